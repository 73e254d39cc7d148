import { apiHandler } from '#functions/commons/api-handler.ts';
import { json } from '#functions/commons/api-request.ts';
import { parseJsonBody } from '#shared/validation.ts';
import { createKey } from '#shared/keys/operations.ts';
import { runtime } from '#shared/runtime.ts';

/** POST /keys: a new key with at most the caller's power, shown once. */
export const handler = apiHandler({ runtime, permission: 'keys:manage' }, async (request, rt) =>
  json(201, await createKey(rt, request.principal, parseJsonBody(request.text()))),
);
