import { randomUUID } from 'node:crypto';
import { NotFoundError } from '../errors.ts';
import type { Principal } from '../auth/model.ts';
import { messageText } from '../publish/message.ts';
import type { WebhookIdentity, WebhookRepository } from '../webhooks/model.ts';
import { attemptOf, type DeliveryLedger, type OutcomeKind, type RateLimiter, type WebhookSender } from './model.ts';
import { signedDelivery, standardWebhooksMessageId } from './signature.ts';
import { postWithinRateLimit, RateLimitSlots } from './post.ts';

export interface PingResult {
  outcome: OutcomeKind;
  statusCode: number | null;
  latencyMs: number;
}

interface Deps {
  webhooks: Pick<WebhookRepository, 'get'>;
  deliveries: Pick<DeliveryLedger, 'recordHistory'>;
  sender: WebhookSender;
  rateLimits: RateLimiter;
  config: { maxMessageBytes: number };
  now: () => number;
}

/**
 * A test ping: one signed POST to the webhook now, through the same guarded sender, with
 * the same body and headers as a delivery and within the same rate limit, but with `topic_sequence_number` 0 (it takes no
 * number) and the caller's `tokenId`. Recorded in the history as a test. The text is the
 * request body, or "test" when it is empty. See docs/design.md#test-ping.
 */
export async function testWebhook(deps: Deps, caller: Principal, id: WebhookIdentity, message: Buffer): Promise<PingResult> {
  const text = messageText(message, deps.config.maxMessageBytes, 'test');
  const webhook = await deps.webhooks.get(id);
  if (!webhook) throw new NotFoundError('the webhook does not exist');
  const eventTimestamp = deps.now();
  const request = signedDelivery(
    webhook,
    {
      cache: webhook.cacheName,
      topic: webhook.topicName,
      eventTimestamp,
      publishTimestamp: Math.max(deps.now(), eventTimestamp),
      sequenceNumber: 0,
      tokenId: caller.tokenId ?? '',
      text,
    },
    () => standardWebhooksMessageId(),
  );
  const outcome = await postWithinRateLimit(deps, new RateLimitSlots(deps, [webhook]), webhook, request);
  await deps.deliveries.recordHistory([
    { webhookId: webhook.webhookId, invocationId: randomUUID(), attempts: [attemptOf(outcome, { sequenceNumber: 0, eventTimestamp }, true)] },
  ]);
  return { outcome: outcome.kind, statusCode: outcome.statusCode ?? null, latencyMs: outcome.latencyMs };
}
