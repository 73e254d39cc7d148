import { apiHandler } from '#functions/commons/api-handler.ts';
import { noContent } from '#functions/commons/api-request.ts';
import { keyIdOf } from '#functions/commons/path-parameters.ts';
import { revokeKey } from '#shared/keys/operations.ts';
import { runtime } from '#shared/runtime.ts';

/** DELETE /keys/{keyId} */
export const handler = apiHandler({ runtime, permission: 'keys:manage' }, async (request, rt) => {
  await revokeKey(rt, request.principal, keyIdOf(request));
  return noContent();
});
