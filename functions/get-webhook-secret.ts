import { apiHandler } from '#functions/commons/api-handler.ts';
import { json } from '#functions/commons/api-request.ts';
import { webhookIdentityOf } from '#functions/commons/path-parameters.ts';
import { getWebhookSecret } from '#shared/webhooks/operations.ts';
import { runtime } from '#shared/runtime.ts';

/** GET /webhooks/{cacheName}/{webhookName}/secret */
export const handler = apiHandler({ runtime, permission: 'webhooks:manage', cacheScoped: true }, async (request, rt) =>
  json(200, await getWebhookSecret(rt, webhookIdentityOf(request))),
);
