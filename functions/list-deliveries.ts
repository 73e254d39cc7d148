import { apiHandler } from '#functions/commons/api-handler.ts';
import { json } from '#functions/commons/api-request.ts';
import { webhookIdentityOf } from '#functions/commons/path-parameters.ts';
import { listDeliveries } from '#shared/delivery/history.ts';
import { runtime } from '#shared/runtime.ts';

/** GET /webhooks/{cacheName}/{webhookName}/deliveries?limit=N&cursor=C: the delivery history, newest first. */
export const handler = apiHandler({ runtime, permission: 'webhooks:manage', cacheScoped: true }, async (request, rt) =>
  json(200, await listDeliveries(rt, webhookIdentityOf(request), { limit: request.query('limit'), cursor: request.query('cursor') })),
);
