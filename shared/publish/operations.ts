import { InvalidArgumentError, PayloadTooLargeError } from '../errors.ts';
import type { Principal } from '../auth/principal.ts';
import type { Runtime } from '../runtime.ts';
import type { DeliveryQueue } from '../queue/delivery-queue.ts';
import type { DeliveryTask } from '../delivery/queue-message.ts';
import type { TopicSubscriber } from '../store/webhook-store.ts';

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

type Deps = Pick<Runtime, 'webhooks' | 'sequences' | 'config' | 'now'> & { queue: DeliveryQueue };

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
  try {
    strictUtf8.decode(message);
  } catch {
    throw new InvalidArgumentError('the message must be valid UTF-8');
  }

  const eventTimestamp = deps.now();
  // The number and the subscribers do not depend on each other: one round trip instead of two.
  const [sequenceNumber, subscribers] = await Promise.all([
    deps.sequences.next(request.cacheName, request.topicName),
    allSubscribers(deps, request.cacheName, request.topicName),
  ]);
  const textBase64 = message.toString('base64');
  const tasks: DeliveryTask[] = subscribers.map((subscriber) => ({
    v: 1,
    cacheName: request.cacheName,
    topicName: request.topicName,
    webhookName: subscriber.webhookName,
    webhookId: subscriber.webhookId,
    sequenceNumber,
    eventTimestamp,
    tokenId: caller.tokenId ?? '',
    textBase64,
  }));
  await deps.queue.sendAll(tasks);
  return { sequenceNumber, webhookCount: tasks.length };
}

async function allSubscribers(deps: Pick<Deps, 'webhooks'>, cacheName: string, topicName: string) {
  const subscribers: TopicSubscriber[] = [];
  for await (const page of deps.webhooks.subscribers(cacheName, topicName)) subscribers.push(...page);
  return subscribers;
}
