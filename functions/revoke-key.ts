import { apiHandler, noContent } from '#shared/lambda/http.ts';
import { revokeKey } from '#shared/keys/operations.ts';
import { runtime } from '#shared/runtime.ts';

/** DELETE /keys/{keyId} */
export const handler = apiHandler({ permission: 'keys:manage' }, async (request) => {
  await revokeKey(runtime(), request.principal, request.pathParameter('keyId'));
  return noContent();
});
