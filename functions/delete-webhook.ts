import { apiHandler, noContent } from '#shared/lambda/http.ts';
import { webhookIdentityOf } from '#shared/lambda/path-parameters.ts';
import { deleteWebhook } from '#shared/webhooks/operations.ts';
import { runtime } from '#shared/runtime.ts';

/** DELETE /webhooks/{cacheName}/{webhookName}: stops deliveries, including messages already queued. */
export const handler = apiHandler({ permission: 'webhooks:manage', cacheScoped: true }, async (request) => {
  await deleteWebhook(runtime(), webhookIdentityOf(request));
  return noContent();
});
