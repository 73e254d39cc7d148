/** The ports publishing needs: a per-topic sequence and the delivery queue. See docs/design.md#architecture. */
import type { DeliveryGroup } from '../delivery/model.ts';

/** Per-(cache, topic) sequence numbers: 1 for the first message, +1 for each, never reused. */
export interface SequenceCounter {
  next(cacheName: string, topicName: string): Promise<number>;
  /** The last number taken (0 before the first message), read consistently. */
  current(cacheName: string, topicName: string): Promise<number>;
}

/** Where publish hands deliveries over. */
export interface DeliveryQueue {
  /** Resolves when every group is queued; throws when any could not be. */
  sendAll(groups: readonly DeliveryGroup[]): Promise<void>;
}
