import { apiHandler, json } from '#shared/lambda/http.ts';
import { webhookIdentityOf } from '#shared/lambda/path-parameters.ts';
import { parseJsonBody } from '#shared/validation.ts';
import { putWebhook } from '#shared/webhooks/operations.ts';
import { runtime } from '#shared/runtime.ts';

/** PUT /webhooks/{cacheName}/{webhookName}: create or update; returns the (kept) secret. */
export const handler = apiHandler({ permission: 'webhooks:manage', cacheScoped: true }, async (request) => {
  const id = webhookIdentityOf(request);
  return json(200, await putWebhook(runtime(), id, parseJsonBody(request.text())));
});
