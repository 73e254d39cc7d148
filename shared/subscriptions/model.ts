/**
 * Topic subscriptions: the message log publish appends to and subscribers read, and the signal
 * that wakes a waiting subscriber. See docs/design.md#topic-subscriptions.
 */

/** One published message as the log keeps it, for `MESSAGE_RETENTION_SECONDS`. */
export interface LoggedMessage {
  sequenceNumber: number;
  /** Epoch ms when publish accepted the message. */
  eventTimestamp: number;
  tokenId: string;
  text: string;
}

/** A message as read back, with its expiry (epoch seconds): DynamoDB deletes expired items late. */
export interface StoredMessage extends LoggedMessage {
  expiresAt: number;
}

export interface MessageLog {
  /** Appends a message to its topic's log, expiring at `expiresAt` (epoch seconds). */
  append(cacheName: string, topicName: string, message: LoggedMessage, expiresAt: number): Promise<void>;
  /**
   * Up to `limit` messages of the topic from `fromSequence` on, in sequence order, expired ones
   * included (the reader skips them): one bounded read, fewer when the messages are large.
   */
  read(cacheName: string, topicName: string, fromSequence: number, limit: number): Promise<StoredMessage[]>;
}

/**
 * Wakes subscribers waiting on a topic when a message is appended. Local mode serves publish
 * and subscribe in one process and wakes them at once; on AWS they run in separate containers,
 * so a waiting subscriber polls the log and this only waits.
 */
export interface TopicSignal {
  notify(cacheName: string, topicName: string): void;
  /** Resolves after `ms`, or sooner when the topic is notified. */
  wait(cacheName: string, topicName: string, ms: number): Promise<void>;
}
