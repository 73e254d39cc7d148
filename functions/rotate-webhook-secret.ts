import { apiHandler } from '#functions/commons/api-handler.ts';
import { json } from '#functions/commons/api-request.ts';
import { webhookIdentityOf } from '#functions/commons/path-parameters.ts';
import { parseJsonBody } from '#shared/validation.ts';
import { rotateWebhookSecret } from '#shared/webhooks/operations.ts';
import { runtime } from '#shared/runtime.ts';

/**
 * POST /webhooks/{cacheName}/{webhookName}/secret/rotate, with an optional `{"graceSeconds"}`
 * body: the next POST's `momento-signature` uses the new secret.
 */
export const handler = apiHandler({ runtime, permission: 'webhooks:manage', cacheScoped: true }, async (request, rt) =>
  json(200, await rotateWebhookSecret(rt, webhookIdentityOf(request), parseJsonBody(request.text(), { optional: true }))),
);
