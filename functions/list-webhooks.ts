import { apiHandler, json } from '#shared/lambda/http.ts';
import { cacheNameOf } from '#shared/lambda/path-parameters.ts';
import { listWebhooks } from '#shared/webhooks/operations.ts';
import { runtime } from '#shared/runtime.ts';

/** GET /webhooks/{cacheName}: the cache's webhooks, never with secrets. */
export const handler = apiHandler({ permission: 'webhooks:manage', cacheScoped: true }, async (request) =>
  json(200, await listWebhooks(runtime(), cacheNameOf(request))),
);
