import type { ClosableWebhookSender } from '#shared/delivery/model.ts';
import { createWebhookSender } from '#shared/http/webhook-sender.ts';
import type { Runtime } from '#shared/runtime.ts';

const senders = new WeakMap<Runtime, ClosableWebhookSender>();

/**
 * Outbound POSTs over kept-alive connections, built on first use per runtime and reused across
 * the container's invocations: only delivery and the ping import this module. Tests may give
 * their own sender (an injected resolver and connector) through the runtime.
 */
export function webhookSenderOf(rt: Runtime): ClosableWebhookSender {
  if (rt.sender) return rt.sender;
  let sender = senders.get(rt);
  if (!sender) {
    sender = createWebhookSender({ policy: rt.destinationPolicy, userAgent: rt.config.userAgent });
    senders.set(rt, sender);
  }
  return sender;
}
