import { InvalidArgumentError, PayloadTooLargeError } from '../errors.ts';
import type { Principal } from '../auth/model.ts';
import type { DeliveryTask } from '../delivery/model.ts';
import type { TopicSubscriber, WebhookRepository } from '../webhooks/model.ts';
import type { DeliveryQueue, SequenceCounter } from './model.ts';

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
  sequences: SequenceCounter;
  queue: DeliveryQueue;
  config: { maxMessageBytes: number };
  now: () => number;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Accepts a message for a topic: takes the topic's next sequence number, then queues one
 * delivery task per webhook on (cache, topic) at this moment. Succeeds only when every task is
 * queued; a topic without webhooks still takes a number.
 */
export async function publishMessage(deps: Deps, caller: Principal, request: PublishRequest): Promise<PublishResult> {
  const { message } = request;
  if (message.length === 0) throw new InvalidArgumentError('the message must not be empty');
  if (message.length > deps.config.maxMessageBytes) {
    throw new PayloadTooLargeError(
      `the message is ${message.length} bytes, the maximum is ${deps.config.maxMessageBytes}`,
    );
  }
  let text: string;
  try {
    text = strictUtf8.decode(message);
  } catch {
    throw new InvalidArgumentError('the message must be valid UTF-8');
  }

  const eventTimestamp = deps.now();
  // The number and the subscribers do not depend on each other: one round trip instead of two.
  const [sequenceNumber, subscribers] = await Promise.all([
    deps.sequences.next(request.cacheName, request.topicName),
    allSubscribers(deps, request.cacheName, request.topicName),
  ]);
  const tasks: DeliveryTask[] = subscribers.map((subscriber) => ({
    cacheName: request.cacheName,
    topicName: request.topicName,
    webhookName: subscriber.webhookName,
    webhookId: subscriber.webhookId,
    sequenceNumber,
    eventTimestamp,
    tokenId: caller.tokenId ?? '',
    text,
  }));
  await deps.queue.sendAll(tasks);
  return { sequenceNumber, webhookCount: tasks.length };
}

async function allSubscribers(deps: Pick<Deps, 'webhooks'>, cacheName: string, topicName: string) {
  const subscribers: TopicSubscriber[] = [];
  for await (const page of deps.webhooks.subscribers(cacheName, topicName)) subscribers.push(...page);
  return subscribers;
}
