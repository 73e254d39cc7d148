import { apiHandler } from '#functions/commons/api-handler.ts';
import { json } from '#functions/commons/api-request.ts';
import { webhookIdentityOf } from '#functions/commons/path-parameters.ts';
import { parseJsonBody } from '#shared/validation.ts';
import { putWebhook } from '#shared/webhooks/operations.ts';
import { runtime } from '#shared/runtime.ts';

/** PUT /webhooks/{cacheName}/{webhookName}: create or update; returns the (kept) secret. */
export const handler = apiHandler({ runtime, permission: 'webhooks:manage', cacheScoped: true }, async (request, rt) =>
  json(200, await putWebhook(rt, webhookIdentityOf(request), parseJsonBody(request.text()))),
);
