import { apiHandler } from '#functions/commons/api-handler.ts';
import { json } from '#functions/commons/api-request.ts';
import { webhookIdentityOf } from '#functions/commons/path-parameters.ts';
import { testWebhook } from '#shared/delivery/test-ping.ts';
import { runtime } from '#shared/runtime.ts';
import { webhookSenderOf } from '#functions/commons/webhook-sender.ts';

/** POST /webhooks/{cacheName}/{webhookName}/test: one signed ping now; answers with its outcome. */
export const handler = apiHandler({ runtime, permission: 'webhooks:manage', cacheScoped: true }, async (request, rt) =>
  json(200, await testWebhook({ ...rt, sender: webhookSenderOf(rt) }, request.principal, webhookIdentityOf(request), request.body())),
);
