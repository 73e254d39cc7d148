import { apiHandler, json } from '#shared/lambda/http.ts';
import { parseJsonBody } from '#shared/validation.ts';
import { createKey } from '#shared/keys/operations.ts';
import { runtime } from '#shared/runtime.ts';

/** POST /keys: a new key with at most the caller's power, shown once. */
export const handler = apiHandler({ permission: 'keys:manage' }, async (request) =>
  json(201, await createKey(runtime(), request.principal, parseJsonBody(request.text()))),
);
