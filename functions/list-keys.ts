import { apiHandler, json } from '#shared/lambda/http.ts';
import { listKeys } from '#shared/keys/operations.ts';
import { runtime } from '#shared/runtime.ts';

/** GET /keys: the keys within the caller's caches, without the keys themselves. */
export const handler = apiHandler({ permission: 'keys:manage' }, async (request) =>
  json(200, await listKeys(runtime(), request.principal)),
);
