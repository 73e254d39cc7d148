/* eslint-disable @typescript-eslint/no-namespace --
 * Each `declare namespace` below holds types only; it merges with the value of the same name
 * so that `PutWebhook.Success` works both in `instanceof` and as a type, as in Momento's SDK.
 */
import type { SdkError, WebhookErrorCode } from './errors.js';
import type { Webhook } from './destination.js';

/**
 * Result classes, one `Success` and one `Error` per operation, in the shape of the API
 * reference and of Momento's SDK: `result instanceof PutWebhook.Success`, `result.secret`,
 * `result.error.message`, `result.errorCode()`, or `switch (result.type)` with the
 * operation's enum (`case PutWebhookResponse.Success:`).
 */

/** The `type` of every `Success` and `Error` result; each operation's enum below names these values. */
const SuccessOrError = { Success: 'Success', Error: 'Error' } as const;
type SuccessOrError = (typeof SuccessOrError)[keyof typeof SuccessOrError];

/** Base of every result. */
abstract class ResponseBase {
  toString(): string {
    return this.constructor.name;
  }
}

/** Base of every `Success` result. */
abstract class SuccessResponse extends ResponseBase {
  readonly type = SuccessOrError.Success;
  /** As in Momento's SDK. */
  readonly is_success = true;
}

/**
 * Base of every `Error` result. `error` (the seed's `result.error.message`) and
 * `innerException()` (Momento's) return the same {@link SdkError}.
 */
abstract class ErrorResponse extends ResponseBase {
  readonly type = SuccessOrError.Error;
  readonly #inner: SdkError;

  constructor(inner: SdkError) {
    super();
    this.#inner = inner;
  }

  /** The error, with `message`, `code` and `errorCode()`. */
  get error(): SdkError {
    return this.#inner;
  }

  /** The Momento-style code, e.g. `NOT_FOUND_ERROR`. */
  get code(): WebhookErrorCode {
    return this.#inner.code;
  }

  /** The code, as Momento's `Error` results return it. */
  errorCode(): WebhookErrorCode {
    return this.#inner.code;
  }

  /** A human-readable sentence, as Momento's `Error` results return it. */
  message(): string {
    return this.#inner.message;
  }

  /** The error itself, as Momento's `Error` results return it; can be thrown. */
  innerException(): SdkError {
    return this.#inner;
  }

  override toString(): string {
    return `${this.constructor.name}: ${this.#inner.code}: ${this.#inner.message}`;
  }
}

// ---- webhooks ------------------------------------------------------------------------------

class PutWebhookSuccess extends SuccessResponse {
  /** The webhook's signing secret: fresh for a new webhook, kept for an updated one. */
  readonly secret: string;
  constructor(secret: string) {
    super();
    this.secret = secret;
  }
  /** The secret, under the name Momento's SDK used. */
  secretString(): string {
    return this.secret;
  }
}
class PutWebhookError extends ErrorResponse {}
/** Results of `putWebhook`. */
export const PutWebhook = { Success: PutWebhookSuccess, Error: PutWebhookError } as const;
export declare namespace PutWebhook {
  type Success = PutWebhookSuccess;
  type Error = PutWebhookError;
  type Response = Success | Error;
}
/** The `type` of PutWebhook results, as Momento's SDK names it. */
export const PutWebhookResponse = SuccessOrError;
export type PutWebhookResponse = SuccessOrError;

class ListWebhooksSuccess extends SuccessResponse {
  /** The cache's webhooks (empty for a cache never used). */
  readonly webhooks: Webhook[];
  constructor(webhooks: Webhook[]) {
    super();
    this.webhooks = webhooks;
  }
  /** The webhooks, under the name Momento's SDK used. */
  getWebhooks(): Webhook[] {
    return this.webhooks;
  }
  override toString(): string {
    return `${super.toString()}: ${this.webhooks.map((w) => w.id.webhookName).join(', ')}`;
  }
}
class ListWebhooksError extends ErrorResponse {}
/** Results of `listWebhooks`. */
export const ListWebhooks = { Success: ListWebhooksSuccess, Error: ListWebhooksError } as const;
export declare namespace ListWebhooks {
  type Success = ListWebhooksSuccess;
  type Error = ListWebhooksError;
  type Response = Success | Error;
}
/** The `type` of ListWebhooks results, as Momento's SDK names it. */
export const ListWebhooksResponse = SuccessOrError;
export type ListWebhooksResponse = SuccessOrError;

class DeleteWebhookSuccess extends SuccessResponse {}
class DeleteWebhookError extends ErrorResponse {}
/** Results of `deleteWebhook`. */
export const DeleteWebhook = { Success: DeleteWebhookSuccess, Error: DeleteWebhookError } as const;
export declare namespace DeleteWebhook {
  type Success = DeleteWebhookSuccess;
  type Error = DeleteWebhookError;
  type Response = Success | Error;
}
/** The `type` of DeleteWebhook results, as Momento's SDK names it. */
export const DeleteWebhookResponse = SuccessOrError;
export type DeleteWebhookResponse = SuccessOrError;

/** The secret of one webhook, with its identity. */
export interface WebhookSecretProps {
  secret: string;
  webhookName: string;
  cacheName: string;
  /** The same secret in Standard Webhooks' form (`whsec_...`), when the webhook has `standardWebhooks` on. */
  standardWebhooksSecret?: string;
}

abstract class WebhookSecretSuccess extends SuccessResponse {
  readonly secret: string;
  readonly webhookName: string;
  readonly cacheName: string;
  /** The same secret in Standard Webhooks' form (`whsec_...`), when the webhook has `standardWebhooks` on. */
  readonly standardWebhooksSecret: string | undefined;
  constructor(props: WebhookSecretProps) {
    super();
    this.secret = props.secret;
    this.webhookName = props.webhookName;
    this.cacheName = props.cacheName;
    this.standardWebhooksSecret = props.standardWebhooksSecret;
  }
}

class GetWebhookSecretSuccess extends WebhookSecretSuccess {}
class GetWebhookSecretError extends ErrorResponse {}
/** Results of `getWebhookSecret`. */
export const GetWebhookSecret = { Success: GetWebhookSecretSuccess, Error: GetWebhookSecretError } as const;
export declare namespace GetWebhookSecret {
  type Success = GetWebhookSecretSuccess;
  type Error = GetWebhookSecretError;
  type Response = Success | Error;
}
/** The `type` of GetWebhookSecret results, as Momento's SDK names it. */
export const GetWebhookSecretResponse = SuccessOrError;
export type GetWebhookSecretResponse = SuccessOrError;

class RotateWebhookSecretSuccess extends WebhookSecretSuccess {}
class RotateWebhookSecretError extends ErrorResponse {}
/** Results of `rotateWebhookSecret`; `secret` is the new one. */
export const RotateWebhookSecret = { Success: RotateWebhookSecretSuccess, Error: RotateWebhookSecretError } as const;
export declare namespace RotateWebhookSecret {
  type Success = RotateWebhookSecretSuccess;
  type Error = RotateWebhookSecretError;
  type Response = Success | Error;
}
/** The `type` of RotateWebhookSecret results, as Momento's SDK names it. */
export const RotateWebhookSecretResponse = SuccessOrError;
export type RotateWebhookSecretResponse = SuccessOrError;

// ---- delivery history and test pings ------------------------------------------------------

/**
 * How one POST to a webhook ended (docs/design.md#delivery-contract); none is retried. The values are
 * the service's own strings, e.g. `OutcomeKind.DELIVERED === 'delivered'`.
 */
export const OutcomeKind = {
  /** A 2xx within 5 seconds. */
  DELIVERED: 'delivered',
  /** Any other status, a redirect included. */
  HTTP_ERROR: 'http_error',
  /** No status within 5 seconds. */
  TIMEOUT: 'timeout',
  CONNECTION_REFUSED: 'connection_refused',
  DNS_ERROR: 'dns_error',
  TLS_ERROR: 'tls_error',
  /** The URL or its address is not one deliveries may go to. */
  DESTINATION_REFUSED: 'destination_refused',
  /** Any other failure before a status arrived. */
  NETWORK_ERROR: 'network_error',
  /** Not sent: the webhook's `rateLimitPerSecond` was used up in that second. */
  RATE_LIMITED: 'rate_limited',
} as const;

/** One of {@link OutcomeKind}. */
export type OutcomeKind = (typeof OutcomeKind)[keyof typeof OutcomeKind];

/** One attempt in a webhook's delivery history: never a body, a URL, a secret or a response body. */
export interface Delivery {
  /** The message's `topic_sequence_number`; 0 for a test ping. */
  topicSequenceNumber: number;
  /** Epoch ms when publish accepted the message (for a ping, when it was asked for). */
  eventTimestamp: number;
  /** Epoch ms when the POST started. */
  attemptedAt: number;
  outcome: OutcomeKind;
  /** The receiver's HTTP status, or null when it gave no HTTP answer. */
  statusCode: number | null;
  latencyMs: number;
  /** Present, and true, on test pings only. */
  test?: true;
}

class ListDeliveriesSuccess extends SuccessResponse {
  /** Newest first. */
  readonly deliveries: Delivery[];
  /** Pass as `cursor` for the next page; null on the last page. */
  readonly nextCursor: string | null;
  constructor(page: { deliveries: Delivery[]; nextCursor: string | null }) {
    super();
    this.deliveries = page.deliveries;
    this.nextCursor = page.nextCursor;
  }
  /** The deliveries, in the style of Momento's getters. */
  getDeliveries(): Delivery[] {
    return this.deliveries;
  }
  override toString(): string {
    return `${super.toString()}: ${this.deliveries.length} deliveries${this.nextCursor === null ? '' : ', more to read'}`;
  }
}
class ListDeliveriesError extends ErrorResponse {}
/** Results of `listDeliveries`. */
export const ListDeliveries = { Success: ListDeliveriesSuccess, Error: ListDeliveriesError } as const;
export declare namespace ListDeliveries {
  type Success = ListDeliveriesSuccess;
  type Error = ListDeliveriesError;
  type Response = Success | Error;
}
/** The `type` of ListDeliveries results, as Momento's SDK names it. */
export const ListDeliveriesResponse = SuccessOrError;
export type ListDeliveriesResponse = SuccessOrError;

/** How a test ping ended. */
export interface TestWebhookProps {
  outcome: OutcomeKind;
  /** The receiver's HTTP status, or null when it gave no HTTP answer. */
  statusCode: number | null;
  latencyMs: number;
}

/** The ping was sent: a `Success` whatever the receiver answered; `outcome` says how it ended. */
class TestWebhookSuccess extends SuccessResponse {
  readonly outcome: OutcomeKind;
  readonly statusCode: number | null;
  readonly latencyMs: number;
  constructor(props: TestWebhookProps) {
    super();
    this.outcome = props.outcome;
    this.statusCode = props.statusCode;
    this.latencyMs = props.latencyMs;
  }
  override toString(): string {
    return `${super.toString()}: ${this.outcome}${this.statusCode === null ? '' : ` ${this.statusCode}`} in ${this.latencyMs} ms`;
  }
}
class TestWebhookError extends ErrorResponse {}
/** Results of `testWebhook`. */
export const TestWebhook = { Success: TestWebhookSuccess, Error: TestWebhookError } as const;
export declare namespace TestWebhook {
  type Success = TestWebhookSuccess;
  type Error = TestWebhookError;
  type Response = Success | Error;
}
/** The `type` of TestWebhook results, as Momento's SDK names it. */
export const TestWebhookResponse = SuccessOrError;
export type TestWebhookResponse = SuccessOrError;

// ---- topics --------------------------------------------------------------------------------

class TopicPublishSuccess extends SuccessResponse {}
class TopicPublishError extends ErrorResponse {}
/** Results of `publish`, named as in Momento's SDK. */
export const TopicPublish = { Success: TopicPublishSuccess, Error: TopicPublishError } as const;
export declare namespace TopicPublish {
  type Success = TopicPublishSuccess;
  type Error = TopicPublishError;
  type Response = Success | Error;
}
/** The `type` of TopicPublish results, as Momento's SDK names it. */
export const TopicPublishResponse = SuccessOrError;
export type TopicPublishResponse = SuccessOrError;

// ---- subscriptions -------------------------------------------------------------------------

/** Momento's `toString` shows the value; a long one is cut. */
const shown = (text: string) => (text.length > 100 ? `${text.slice(0, 100)}...` : text);

/**
 * One message of a subscription, with the accessors of Momento's `TopicItem`. Messages are
 * UTF-8 text here, so `value()` is always the string.
 */
export class TopicItem {
  readonly #text: string;
  readonly #tokenId: string | undefined;
  readonly #sequenceNumber: number;
  readonly #sequencePage: number;

  constructor(props: { text: string; tokenId: string; topicSequenceNumber: number; topicSequencePage: number }) {
    this.#text = props.text;
    this.#tokenId = props.tokenId === '' ? undefined : props.tokenId;
    this.#sequenceNumber = props.topicSequenceNumber;
    this.#sequencePage = props.topicSequencePage;
  }

  /** The message. */
  value(): string {
    return this.#text;
  }

  /** The message, as a string. */
  valueString(): string {
    return this.#text;
  }

  /** The message's UTF-8 bytes. */
  valueUint8Array(): Uint8Array {
    return new TextEncoder().encode(this.#text);
  }

  /** The publishing key's `tokenId`, or undefined when it has none (deliveries carry `""`). */
  tokenId(): string | undefined {
    return this.#tokenId;
  }

  /** The message's number: the `topic_sequence_number` its webhook deliveries carry. */
  topicSequenceNumber(): number {
    return this.#sequenceNumber;
  }

  /** Always 0: numbers never restart here, so there is one page. */
  topicSequencePage(): number {
    return this.#sequencePage;
  }

  toString(): string {
    return `TopicItem: ${shown(this.#text)}`;
  }
}

/**
 * Messages the subscriber will never get: those after `lastTopicSequence()` and before
 * `newTopicSequence()` have expired (`MESSAGE_RETENTION_SECONDS`) or were never written.
 * The subscription goes on from `newTopicSequence()`.
 */
export class TopicDiscontinuity {
  readonly #last: number;
  readonly #next: number;
  readonly #page: number;

  constructor(props: { lastTopicSequence: number; newTopicSequence: number; newSequencePage: number }) {
    this.#last = props.lastTopicSequence;
    this.#next = props.newTopicSequence;
    this.#page = props.newSequencePage;
  }

  /** The last number before the gap (the subscriber asked for the one after it). */
  lastTopicSequence(): number {
    return this.#last;
  }

  /** The first number after the gap: the next item's. */
  newTopicSequence(): number {
    return this.#next;
  }

  /** Always 0. */
  newSequencePage(): number {
    return this.#page;
  }

  toString(): string {
    return `TopicDiscontinuity: ${this.#last} -> ${this.#next}`;
  }
}

/** A poll that ended without a message: the service is there, the topic quiet. */
export class TopicHeartbeat {
  toString(): string {
    return 'TopicHeartbeat';
  }
}

/** What a subscription object controls; `subscribe` builds it. */
export interface SubscriptionControl {
  unsubscribe(): void;
  isSubscribed(): boolean;
}

/** The `type` of subscribe results, as Momento's SDK names it. */
export const TopicSubscribeResponse = { Subscription: 'Subscription', Error: SuccessOrError.Error } as const;
export type TopicSubscribeResponse = (typeof TopicSubscribeResponse)[keyof typeof TopicSubscribeResponse];

/** A running subscription, as Momento's `TopicSubscribe.Subscription`. */
class TopicSubscription extends ResponseBase {
  readonly type = TopicSubscribeResponse.Subscription;
  /** As in Momento's SDK. */
  readonly is_success = true;
  readonly #control: SubscriptionControl;
  constructor(control: SubscriptionControl) {
    super();
    this.#control = control;
  }

  /** Stops: the poll in flight is aborted and no callback runs after this returns. Calling it again does nothing. */
  unsubscribe(): void {
    this.#control.unsubscribe();
  }

  /** False once unsubscribed, or once an error ended the subscription. */
  get isSubscribed(): boolean {
    return this.#control.isSubscribed();
  }
}
class TopicSubscribeError extends ErrorResponse {}
/** Results of `subscribe`, named as in Momento's SDK; `Item` is Momento's older name of `TopicItem`. */
export const TopicSubscribe = { Subscription: TopicSubscription, Error: TopicSubscribeError, Item: TopicItem } as const;
export declare namespace TopicSubscribe {
  type Subscription = TopicSubscription;
  type Error = TopicSubscribeError;
  type Item = TopicItem;
  type Response = Subscription | Error;
}

// ---- keys ----------------------------------------------------------------------------------

/** A permission an API key may carry (docs/design.md#authentication-and-keys). */
export type Permission = 'webhooks:manage' | 'topics:publish' | 'topics:subscribe' | 'keys:manage';

/** A key as `listKeys` describes it: never the key itself. */
export interface ApiKeyInfo {
  keyId: string;
  permissions: Permission[];
  /** `['*']` or cache names. */
  caches: string[];
  /** What deliveries of messages published with this key carry as `token_id`. */
  tokenId: string | null;
  /** ISO-8601 UTC, or null for a key that does not expire. */
  expiresAt: string | null;
}

class CreateKeySuccess extends SuccessResponse {
  /** The key itself, shown this once: the service stores only its hash. */
  readonly apiKey: string;
  readonly keyId: string;
  readonly expiresAt: string | null;
  constructor(props: { apiKey: string; keyId: string; expiresAt: string | null }) {
    super();
    this.apiKey = props.apiKey;
    this.keyId = props.keyId;
    this.expiresAt = props.expiresAt;
  }
  override toString(): string {
    return `${super.toString()}: ${this.keyId}`;
  }
}
class CreateKeyError extends ErrorResponse {}
/** Results of `createKey`. */
export const CreateKey = { Success: CreateKeySuccess, Error: CreateKeyError } as const;
export declare namespace CreateKey {
  type Success = CreateKeySuccess;
  type Error = CreateKeyError;
  type Response = Success | Error;
}
/** The `type` of CreateKey results, as Momento's SDK names it. */
export const CreateKeyResponse = SuccessOrError;
export type CreateKeyResponse = SuccessOrError;

class ListKeysSuccess extends SuccessResponse {
  readonly keys: ApiKeyInfo[];
  constructor(keys: ApiKeyInfo[]) {
    super();
    this.keys = keys;
  }
}
class ListKeysError extends ErrorResponse {}
/** Results of `listKeys`. */
export const ListKeys = { Success: ListKeysSuccess, Error: ListKeysError } as const;
export declare namespace ListKeys {
  type Success = ListKeysSuccess;
  type Error = ListKeysError;
  type Response = Success | Error;
}
/** The `type` of ListKeys results, as Momento's SDK names it. */
export const ListKeysResponse = SuccessOrError;
export type ListKeysResponse = SuccessOrError;

class RevokeKeySuccess extends SuccessResponse {}
class RevokeKeyError extends ErrorResponse {}
/** Results of `revokeKey`. */
export const RevokeKey = { Success: RevokeKeySuccess, Error: RevokeKeyError } as const;
export declare namespace RevokeKey {
  type Success = RevokeKeySuccess;
  type Error = RevokeKeyError;
  type Response = Success | Error;
}
/** The `type` of RevokeKey results, as Momento's SDK names it. */
export const RevokeKeyResponse = SuccessOrError;
export type RevokeKeyResponse = SuccessOrError;
