import { apiHandler } from '#functions/commons/api-handler.ts';
import { json } from '#functions/commons/api-request.ts';
import { cacheNameOf } from '#functions/commons/path-parameters.ts';
import { listWebhooks } from '#shared/webhooks/operations.ts';
import { runtime } from '#shared/runtime.ts';

/** GET /webhooks/{cacheName}: the cache's webhooks, never with secrets. */
export const handler = apiHandler({ runtime, permission: 'webhooks:manage', cacheScoped: true }, async (request, rt) =>
  json(200, await listWebhooks(rt, cacheNameOf(request))),
);
