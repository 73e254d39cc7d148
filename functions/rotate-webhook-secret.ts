import { apiHandler } from '#functions/commons/api-handler.ts';
import { json } from '#functions/commons/api-request.ts';
import { webhookIdentityOf } from '#functions/commons/path-parameters.ts';
import { rotateWebhookSecret } from '#shared/webhooks/operations.ts';
import { runtime } from '#shared/runtime.ts';

/** POST /webhooks/{cacheName}/{webhookName}/secret/rotate: the next POST is signed with the new secret. */
export const handler = apiHandler({ runtime, permission: 'webhooks:manage', cacheScoped: true }, async (request, rt) =>
  json(200, await rotateWebhookSecret(rt, webhookIdentityOf(request))),
);
