/**
 * The delivery model: what a queued delivery carries, how an attempt ends, and the ports the
 * delivery stage needs (a ledger for once-only claims and outcomes, a sender for the POST).
 * See docs/design.md#delivery-contract and docs/design.md#architecture.
 */
import type { WebhookRepository } from '../webhooks/model.ts';

/** How one delivery attempt ended (every outcome is recorded, none is retried). */
export type OutcomeKind =
  | 'delivered'
  | 'http_error'
  | 'timeout'
  | 'connection_refused'
  | 'dns_error'
  | 'tls_error'
  | 'destination_refused'
  | 'network_error';

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
 * One queued delivery: identifiers and the immutable message, never mutable webhook state.
 * Delivery re-reads the webhook, so a rotate or delete that has returned applies to messages
 * already queued.
 */
export interface DeliveryTask {
  cacheName: string;
  topicName: string;
  webhookName: string;
  /** The incarnation of the webhook at publish time: a re-created webhook is another one. */
  webhookId: string;
  sequenceNumber: number;
  /** Epoch ms when publish accepted the message. */
  eventTimestamp: number;
  tokenId: string;
  /** The published message, unchanged. */
  text: string;
}

/** One queued record as the queue hands it over: its id and its encoded body. */
export interface QueuedRecord {
  recordId: string;
  body: string;
}

/** A claimed delivery and how its POST ended. */
export interface CompletedDelivery extends DeliveryTask {
  claimedAt: number;
  outcome: DeliveryOutcome;
}

/** Once-only claims and delivery outcomes. */
export interface DeliveryLedger {
  /** Claims a delivery before its POST: true for the one caller that wins, false when it was claimed before. */
  claim(task: DeliveryTask, now: number): Promise<boolean>;
  /** Records outcomes of claimed deliveries; throws when some could not be written. */
  recordOutcomes(records: readonly CompletedDelivery[]): Promise<void>;
}

/** One signed POST to a webhook. */
export interface DeliveryRequest {
  url: string;
  body: string;
  signature: string;
}

/** Sends one signed POST and reports how it ended; never throws for a delivery failure. */
export interface WebhookSender {
  send(request: DeliveryRequest): Promise<DeliveryOutcome>;
}

/** What the delivery stage reads webhooks with. */
export type CurrentWebhooks = Pick<WebhookRepository, 'getMany'>;
