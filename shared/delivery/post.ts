import { logger } from '../logger.ts';
import type { WebhookRecord } from '../webhooks/model.ts';
import type { DeliveryOutcome, DeliveryRequest, RateLimiter, WebhookSender } from './model.ts';

export interface PostDeps {
  sender: WebhookSender;
  rateLimits: RateLimiter;
  now: () => number;
}

/**
 * One POST of a delivery or a test ping, within the webhook's rate limit: over the limit it is
 * not sent and ends `rate_limited` (docs/design.md#rate-limits). A counter that cannot be
 * written (DynamoDB failing after the SDK's own retries) also means not sent: the group is
 * already claimed, so it cannot go back to the queue, and the limit is a promise to the receiver.
 */
export async function postWithinRateLimit(
  deps: PostDeps,
  webhook: Pick<WebhookRecord, 'webhookId' | 'webhookName' | 'rateLimitPerSecond'>,
  request: DeliveryRequest,
): Promise<DeliveryOutcome> {
  if (webhook.rateLimitPerSecond !== null) {
    const now = deps.now();
    let acquired = false;
    try {
      acquired = await deps.rateLimits.tryAcquire(webhook.webhookId, webhook.rateLimitPerSecond, now);
    } catch (err) {
      logger.warn('rate limit counter unavailable; delivery not sent', { webhookName: webhook.webhookName, error: (err as Error).name });
    }
    if (!acquired) return { kind: 'rate_limited', latencyMs: 0, attemptedAt: now };
  }
  return deps.sender.send(request);
}
