import { apiHandler, json } from '#shared/lambda/http.ts';
import { webhookIdentityOf } from '#shared/lambda/path-parameters.ts';
import { rotateWebhookSecret } from '#shared/webhooks/operations.ts';
import { runtime } from '#shared/runtime.ts';

/** POST /webhooks/{cacheName}/{webhookName}/secret/rotate: the next POST is signed with the new secret. */
export const handler = apiHandler({ permission: 'webhooks:manage', cacheScoped: true }, async (request) =>
  json(200, await rotateWebhookSecret(runtime(), webhookIdentityOf(request))),
);
