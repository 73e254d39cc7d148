import { apiHandler } from '#functions/commons/api-handler.ts';
import { json } from '#functions/commons/api-request.ts';
import { listKeys } from '#shared/keys/operations.ts';
import { runtime } from '#shared/runtime.ts';

/** GET /keys: the keys within the caller's caches, without the keys themselves. */
export const handler = apiHandler({ runtime, permission: 'keys:manage' }, async (request, rt) =>
  json(200, await listKeys(rt, request.principal)),
);
