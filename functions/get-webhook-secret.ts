import { apiHandler, json } from '#shared/lambda/http.ts';
import { webhookIdentityOf } from '#shared/lambda/path-parameters.ts';
import { getWebhookSecret } from '#shared/webhooks/operations.ts';
import { runtime } from '#shared/runtime.ts';

/** GET /webhooks/{cacheName}/{webhookName}/secret */
export const handler = apiHandler({ permission: 'webhooks:manage', cacheScoped: true }, async (request) =>
  json(200, await getWebhookSecret(runtime(), webhookIdentityOf(request))),
);
