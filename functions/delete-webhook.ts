import { apiHandler } from '#functions/commons/api-handler.ts';
import { noContent } from '#functions/commons/api-request.ts';
import { webhookIdentityOf } from '#functions/commons/path-parameters.ts';
import { deleteWebhook } from '#shared/webhooks/operations.ts';
import { runtime } from '#shared/runtime.ts';

/** DELETE /webhooks/{cacheName}/{webhookName}: stops deliveries, including messages already queued. */
export const handler = apiHandler({ runtime, permission: 'webhooks:manage', cacheScoped: true }, async (request, rt) => {
  await deleteWebhook(rt, webhookIdentityOf(request));
  return noContent();
});
