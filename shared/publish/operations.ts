import type { Principal } from '../auth/model.ts';
import type { DeliveryGroup } from '../delivery/model.ts';
import type { TopicSubscriber, WebhookRepository } from '../webhooks/model.ts';
import type { DeliveryQueue, SequenceCounter } from './model.ts';
import { messageText } from './message.ts';
import type { MessageLog, TopicSignal } from '../subscriptions/model.ts';

export interface PublishRequest {
  cacheName: string;
  topicName: string;
  /** The raw message bytes as received. */
  message: Buffer;
}

export interface PublishResult {
  sequenceNumber: number;
  webhookCount: number;
}

interface Deps {
  webhooks: Pick<WebhookRepository, 'subscribers'>;
  sequences: Pick<SequenceCounter, 'next'>;
  queue: DeliveryQueue;
  log: Pick<MessageLog, 'append'>;
  signal: Pick<TopicSignal, 'notify'>;
  config: { maxMessageBytes: number; deliveryGroupSize: number; messageRetentionSeconds: number };
  now: () => number;
}

/**
 * Accepts a message for a topic: takes the topic's next sequence number, then queues one
 * delivery group per `deliveryGroupSize` webhooks on (cache, topic) at this moment, the text
 * carried once per group. Succeeds only when every group is queued; a topic without webhooks
 * still takes a number. See docs/design.md#architecture.
 */
export async function publishMessage(deps: Deps, caller: Principal, request: PublishRequest): Promise<PublishResult> {
  const text = messageText(request.message, deps.config.maxMessageBytes);

  const eventTimestamp = deps.now();
  // The number and the subscribers do not depend on each other: one round trip instead of two.
  const [sequenceNumber, subscribers] = await Promise.all([
    deps.sequences.next(request.cacheName, request.topicName),
    allSubscribers(deps, request.cacheName, request.topicName),
  ]);
  const size = deps.config.deliveryGroupSize;
  const groups: DeliveryGroup[] = [];
  for (let start = 0; start < subscribers.length; start += size) {
    groups.push({
      cacheName: request.cacheName,
      topicName: request.topicName,
      sequenceNumber,
      eventTimestamp,
      tokenId: caller.tokenId ?? '',
      text,
      group: groups.length,
      webhooks: subscribers.slice(start, start + size),
    });
  }
  // The log (subscribers) and the queue (webhooks) take the same message with the same number.
  const retention = deps.config.messageRetentionSeconds;
  await Promise.all([
    deps.queue.sendAll(groups),
    retention > 0
      ? deps.log.append(
          request.cacheName,
          request.topicName,
          { sequenceNumber, eventTimestamp, tokenId: caller.tokenId ?? '', text },
          Math.floor(eventTimestamp / 1000) + retention,
        )
      : undefined,
  ]);
  if (retention > 0) deps.signal.notify(request.cacheName, request.topicName);
  return { sequenceNumber, webhookCount: subscribers.length };
}

async function allSubscribers(deps: Pick<Deps, 'webhooks'>, cacheName: string, topicName: string) {
  const subscribers: TopicSubscriber[] = [];
  for await (const page of deps.webhooks.subscribers(cacheName, topicName)) subscribers.push(...page);
  return subscribers;
}
