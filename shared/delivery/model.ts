/**
 * The delivery model: what a queued delivery group carries, how an attempt ends, and the ports
 * the delivery stage needs (a ledger for group claims and history, a sender for the POST).
 * See docs/design.md#delivery-contract and docs/design.md#architecture.
 */
import type { TopicSubscriber, WebhookRepository } from '../webhooks/model.ts';

/** How one delivery attempt ended (every outcome is recorded, none is retried). */
export type OutcomeKind =
  | 'delivered'
  | 'http_error'
  | 'timeout'
  | 'connection_refused'
  | 'dns_error'
  | 'tls_error'
  | 'destination_refused'
  | 'network_error'
  /** Not sent: the webhook's `rateLimitPerSecond` was used up in that second. */
  | 'rate_limited';

export interface DeliveryOutcome {
  kind: OutcomeKind;
  /** The receiver's status code, when it answered. */
  statusCode?: number;
  /** From the start of the request to its end (or abort). */
  latencyMs: number;
  /** Epoch ms when the sender started the request (the body's `publish_timestamp` is taken just before it). */
  attemptedAt: number;
}

/**
 * One queued delivery: a published message and a group of at most `DELIVERY_GROUP_SIZE`
 * webhooks of its topic, by identity only, never mutable webhook state. Delivery re-reads the
 * webhooks, so a rotate or delete that has returned applies to messages already queued.
 */
export interface DeliveryGroup {
  cacheName: string;
  topicName: string;
  sequenceNumber: number;
  /** Epoch ms when publish accepted the message. */
  eventTimestamp: number;
  tokenId: string;
  /** The published message, unchanged. */
  text: string;
  /** The group's index among the message's groups (0, 1, …): with the message, what is claimed. */
  group: number;
  /** Each webhook by name and by the incarnation publish saw (a re-created webhook is another one). */
  webhooks: TopicSubscriber[];
}

/** What a group claim is keyed by: one per (cache, topic, sequence number, group). */
export type GroupClaim = Pick<DeliveryGroup, 'cacheName' | 'topicName' | 'sequenceNumber' | 'group'>;

/** One queued record as the queue hands it over: its id and its encoded body. */
export interface QueuedRecord {
  recordId: string;
  body: string;
}

/** One attempt as the history keeps it: never a body, a URL, a secret or a response. */
export interface Attempt {
  /** 0 for a test ping. */
  sequenceNumber: number;
  eventTimestamp: number;
  attemptedAt: number;
  outcome: OutcomeKind;
  /** null when the receiver gave no HTTP answer. */
  statusCode: number | null;
  latencyMs: number;
  test?: boolean;
}

/** The attempts of one invocation for one webhook incarnation: one history item. */
export interface HistoryEntry {
  webhookId: string;
  invocationId: string;
  attempts: Attempt[];
}

/** A history item as read back, with its opaque position in the webhook's history. */
export interface StoredHistoryEntry {
  position: string;
  attempts: Attempt[];
}

/** Group claims and delivery history. */
export interface DeliveryLedger {
  /**
   * Claims a group before its POSTs: true for the one caller that wins, false when it was
   * claimed before (a redelivery, or an invocation that crashed after claiming). Never retried.
   */
  claimGroup(claim: GroupClaim, now: number): Promise<boolean>;
  /** Writes history items in batches; throws when some could not be written. */
  recordHistory(entries: readonly HistoryEntry[]): Promise<void>;
  /** The incarnation's history items, newest first, from `atOrBefore` (a position) on when given. */
  readHistory(webhookId: string, atOrBefore?: string): AsyncIterable<StoredHistoryEntry>;
}

/** One signed POST to a webhook. */
export interface DeliveryRequest {
  url: string;
  body: string;
  /** The signature headers (`momento-signature`, and Standard Webhooks' when on). */
  headers: Record<string, string>;
}

/** Sends one signed POST and reports how it ended; never throws for a delivery failure. */
export interface WebhookSender {
  send(request: DeliveryRequest): Promise<DeliveryOutcome>;
}

/** A sender that holds pooled connections, and `close()` drops them (local mode, tests). */
export interface ClosableWebhookSender extends WebhookSender {
  close(): void;
}

/**
 * Per-webhook rate limits, held across every delivery function: at most `limit` POSTs to one
 * webhook incarnation in each second of the clock.
 */
export interface RateLimiter {
  /**
   * Takes up to `wanted` POSTs of the second `now` falls in, in one step: how many it got, 0
   * when that second's `limit` is used up.
   */
  acquire(webhookId: string, limit: number, now: number, wanted: number): Promise<number>;
}

/** What the delivery stage reads webhooks with. */
export type CurrentWebhooks = Pick<WebhookRepository, 'getMany'>;

/** An attempt from an outcome. */
export const attemptOf = (
  outcome: DeliveryOutcome,
  message: { sequenceNumber: number; eventTimestamp: number },
  test = false,
): Attempt => ({
  sequenceNumber: message.sequenceNumber,
  eventTimestamp: message.eventTimestamp,
  attemptedAt: outcome.attemptedAt,
  outcome: outcome.kind,
  statusCode: outcome.statusCode ?? null,
  latencyMs: outcome.latencyMs,
  ...(test ? { test: true } : {}),
});
