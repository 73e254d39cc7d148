import { InvalidArgumentError, SdkError, UnknownServiceError } from './errors.js';
import { PostUrlWebhookDestination, postUrlOf, type Webhook, type WebhookDestination, type WebhookSettings } from './destination.js';
import {
  CreateKey,
  DeleteWebhook,
  GetWebhookSecret,
  ListDeliveries,
  ListKeys,
  ListWebhooks,
  PutWebhook,
  RevokeKey,
  RotateWebhookSecret,
  TestWebhook,
  TopicPublish,
  TopicSubscribe,
  type ApiKeyInfo,
  type Delivery,
  type OutcomeKind,
  type Permission,
  type TestWebhookProps,
  type WebhookSecretProps,
} from './responses.js';
import { Transport, type ClientOptions, type HttpOutcome } from './transport.js';
import { startSubscription, type SubscribeCallOptions } from './subscription.js';

/**
 * Options of `putWebhook`: Momento's two, plus this service's optional settings. A setting left
 * out is not sent: a new webhook then takes its default, an existing one keeps its value.
 */
export interface PutWebhookCallOptions extends WebhookSettings {
  /** Where deliveries go: `new PostUrlWebhookDestination(url)`, a URL string, or `{ postUrl }`. */
  destination: WebhookDestination;
  /** The topic whose messages the webhook receives. */
  topicName: string;
}

/** Options of `rotateWebhookSecret`. */
export interface RotateWebhookSecretOptions {
  /**
   * For this many seconds (0 to 86400) the Standard Webhooks signature header carries the old
   * secret's signature beside the new one's; `momento-signature` always uses the new secret only.
   * @default 0
   */
  graceSeconds?: number;
}

/** Options of `listDeliveries`. */
export interface ListDeliveriesOptions {
  /**
   * The most deliveries in the page, 1 to 100.
   * @default 20
   */
  limit?: number;
  /** The previous page's `nextCursor`, unchanged; omit it for the newest page. */
  cursor?: string;
}

/** Options of `createKey` (docs/design.md#authentication-and-keys). */
export interface CreateKeyOptions {
  /** A subset of the calling key's own permissions. */
  permissions: Permission[];
  /** `['*']` or cache names, within the calling key's own caches. */
  caches: string[];
  /** What deliveries of messages published with the new key carry as `token_id` (at most 64 characters). */
  tokenId?: string;
  /** Lifetime in seconds; the new key may not outlive the calling key. */
  expiresInSeconds?: number;
}

/** Client-side refusal, sent nowhere: the same code the service would answer. */
const invalid = (message: string) => new InvalidArgumentError(message);

/**
 * One path segment. WHATWG URL parsing removes `.` and `..` segments (encoded or not), so such
 * a name would address another route: it is refused before sending.
 */
function segment(value: unknown, field: string): string | SdkError {
  if (typeof value !== 'string' || value === '') return invalid(`${field} must be a non-empty string`);
  if (value === '.' || value === '..') return invalid(`${field} must not be '.' or '..'`);
  return encodeURIComponent(value);
}

/** An unexpected 2xx body: the endpoint is probably not this service. */
const unexpected = (what: string) =>
  new UnknownServiceError(`the service answered with an unexpected ${what} body`);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isString = (v: unknown): v is string => typeof v === 'string';

/**
 * Manages the webhooks of caches. Methods never throw for service or network failures: each
 * returns its operation's `Success` or `Error` result.
 *
 * @example
 * const client = new WebhookClient({ endpoint: 'http://127.0.0.1:8080', apiKey });
 * const result = await client.putWebhook('cache', 'hook', { topicName: 'orders', destination: 'https://example.com/hook' });
 * if (result instanceof PutWebhook.Success) console.log(result.secret);
 */
export class WebhookClient {
  protected readonly transport: Transport;

  constructor(options: ClientOptions) {
    this.transport = new Transport(options);
  }

  /**
   * Creates a webhook (fresh secret) or updates its topic, URL and the settings given (secret
   * kept). Retried: putting twice is harmless.
   */
  async putWebhook(cacheName: string, webhookName: string, options: PutWebhookCallOptions): Promise<PutWebhook.Response> {
    const path = webhookPath(cacheName, webhookName);
    if (path instanceof SdkError) return new PutWebhook.Error(path);
    const postUrl = postUrlOf(options?.destination);
    if (postUrl === undefined) {
      return new PutWebhook.Error(invalid('destination must be a PostUrlWebhookDestination, a URL string or { postUrl }'));
    }
    const outcome = await this.transport.send({
      method: 'PUT',
      path,
      json: {
        topicName: options.topicName,
        destination: { postUrl },
        // Left out when not given (JSON drops undefined): absent means "keep" on an update.
        standardWebhooks: options.standardWebhooks,
        rateLimitPerSecond: options.rateLimitPerSecond,
      },
      idempotent: true,
    });
    if (!outcome.ok) return new PutWebhook.Error(outcome.error);
    const body = outcome.body;
    if (!isObject(body) || !isString(body.secret)) return new PutWebhook.Error(unexpected('put webhook'));
    return new PutWebhook.Success(body.secret);
  }

  /** The cache's webhooks, without secrets; an unused cache lists as empty. */
  async listWebhooks(cacheName: string): Promise<ListWebhooks.Response> {
    const cache = segment(cacheName, 'cacheName');
    if (cache instanceof SdkError) return new ListWebhooks.Error(cache);
    const outcome = await this.transport.send({ method: 'GET', path: `/webhooks/${cache}`, idempotent: true });
    if (!outcome.ok) return new ListWebhooks.Error(outcome.error);
    const webhooks = parseWebhooks(outcome.body);
    if (!webhooks) return new ListWebhooks.Error(unexpected('list webhooks'));
    return new ListWebhooks.Success(webhooks);
  }

  /**
   * Deletes a webhook; deliveries stop, including messages already queued. Retried on transient
   * failures, so if a first attempt was applied but its answer lost, the result is `NOT_FOUND_ERROR`.
   */
  async deleteWebhook(cacheName: string, webhookName: string): Promise<DeleteWebhook.Response> {
    const path = webhookPath(cacheName, webhookName);
    if (path instanceof SdkError) return new DeleteWebhook.Error(path);
    const outcome = await this.transport.send({ method: 'DELETE', path, idempotent: true });
    return outcome.ok ? new DeleteWebhook.Success() : new DeleteWebhook.Error(outcome.error);
  }

  /** The webhook's current signing secret. */
  async getWebhookSecret(cacheName: string, webhookName: string): Promise<GetWebhookSecret.Response> {
    const path = webhookPath(cacheName, webhookName);
    if (path instanceof SdkError) return new GetWebhookSecret.Error(path);
    const outcome = await this.transport.send({ method: 'GET', path: `${path}/secret`, idempotent: true });
    const props = secretProps(outcome);
    if (props instanceof SdkError) return new GetWebhookSecret.Error(props);
    return new GetWebhookSecret.Success(props);
  }

  /**
   * Replaces the signing secret; every delivery from now on is signed with the new one (and,
   * with `graceSeconds`, the Standard Webhooks header also with the old one for that long).
   * Never retried: a retry after a lost answer would rotate twice.
   */
  async rotateWebhookSecret(
    cacheName: string,
    webhookName: string,
    options: RotateWebhookSecretOptions = {},
  ): Promise<RotateWebhookSecret.Response> {
    const path = webhookPath(cacheName, webhookName);
    if (path instanceof SdkError) return new RotateWebhookSecret.Error(path);
    const graceSeconds = options?.graceSeconds;
    const outcome = await this.transport.send({
      method: 'POST',
      path: `${path}/secret/rotate`,
      ...(graceSeconds === undefined ? {} : { json: { graceSeconds } }),
      idempotent: false,
    });
    const props = secretProps(outcome);
    if (props instanceof SdkError) return new RotateWebhookSecret.Error(props);
    return new RotateWebhookSecret.Success(props);
  }

  /**
   * One page of the webhook's delivery history, newest first: every attempt and test ping,
   * never a body, URL or secret. Page on by passing `nextCursor` as `cursor` until it is null.
   *
   * @example
   * let cursor: string | undefined;
   * do {
   *   const page = await client.listDeliveries('cache', 'hook', { limit: 50, cursor });
   *   if (!(page instanceof ListDeliveries.Success)) throw page.innerException();
   *   for (const d of page.deliveries) console.log(d.topicSequenceNumber, d.outcome, d.statusCode);
   *   cursor = page.nextCursor ?? undefined;
   * } while (cursor);
   */
  async listDeliveries(cacheName: string, webhookName: string, options: ListDeliveriesOptions = {}): Promise<ListDeliveries.Response> {
    const path = webhookPath(cacheName, webhookName);
    if (path instanceof SdkError) return new ListDeliveries.Error(path);
    const { limit, cursor } = options ?? {};
    if (limit !== undefined && typeof limit !== 'number') return new ListDeliveries.Error(invalid('limit must be a number'));
    if (cursor !== undefined && typeof cursor !== 'string') return new ListDeliveries.Error(invalid('cursor must be a string'));
    const query = new URLSearchParams();
    if (limit !== undefined) query.set('limit', String(limit));
    if (cursor !== undefined) query.set('cursor', cursor);
    const search = query.size > 0 ? `?${query.toString()}` : '';
    const outcome = await this.transport.send({ method: 'GET', path: `${path}/deliveries${search}`, idempotent: true });
    if (!outcome.ok) return new ListDeliveries.Error(outcome.error);
    const page = parseDeliveries(outcome.body);
    if (!page) return new ListDeliveries.Error(unexpected('list deliveries'));
    return new ListDeliveries.Success(page);
  }

  /**
   * Sends one signed test POST to the webhook now, with `topic_sequence_number` 0 and `text`
   * (sent raw as `text/plain`; the service uses "test" when it is omitted or empty). The result
   * is a `Success` whatever the receiver answered: its `outcome` says how the POST ended. The
   * ping is recorded in the history with `test: true`. Never retried: a retry would ping twice.
   */
  async testWebhook(cacheName: string, webhookName: string, text?: string | Uint8Array): Promise<TestWebhook.Response> {
    const path = webhookPath(cacheName, webhookName);
    if (path instanceof SdkError) return new TestWebhook.Error(path);
    if (text !== undefined && typeof text !== 'string' && !(text instanceof Uint8Array)) {
      return new TestWebhook.Error(invalid('the ping text must be a string or a Uint8Array'));
    }
    const outcome = await this.transport.send({
      method: 'POST',
      path: `${path}/test`,
      ...(text === undefined ? {} : { raw: text, contentType: 'text/plain; charset=utf-8' }),
      idempotent: false,
    });
    if (!outcome.ok) return new TestWebhook.Error(outcome.error);
    const ping = parsePing(outcome.body);
    if (!ping) return new TestWebhook.Error(unexpected('test webhook'));
    return new TestWebhook.Success(ping);
  }
}

/**
 * Publishes and subscribes to topics, and manages webhooks as Momento's `TopicClient` did (it
 * carries every {@link WebhookClient} method).
 */
export class TopicClient extends WebhookClient {
  /**
   * Publishes one message (UTF-8 text, sent raw as `text/plain`) to every webhook on the topic.
   * Never retried: a retry after a lost answer would deliver the message twice.
   */
  async publish(cacheName: string, topicName: string, value: string | Uint8Array): Promise<TopicPublish.Response> {
    const cache = segment(cacheName, 'cacheName');
    if (cache instanceof SdkError) return new TopicPublish.Error(cache);
    const topic = segment(topicName, 'topicName');
    if (topic instanceof SdkError) return new TopicPublish.Error(topic);
    if (typeof value !== 'string' && !(value instanceof Uint8Array)) {
      return new TopicPublish.Error(invalid('the message must be a string or a Uint8Array'));
    }
    const outcome = await this.transport.send({
      method: 'POST',
      path: `/topics/${cache}/${topic}`,
      raw: value,
      contentType: 'text/plain; charset=utf-8',
      idempotent: false,
    });
    return outcome.ok ? new TopicPublish.Success() : new TopicPublish.Error(outcome.error);
  }

  /**
   * Subscribes to the topic over the service's HTTP long-poll (`GET /topics/{cacheName}/{topicName}`,
   * permission `topics:subscribe`), as Momento's `subscribe`: each message goes to `onItem`
   * in sequence order, each poll resuming after the last number seen. It resolves at once
   * with the running `TopicSubscribe.Subscription` (or a `TopicSubscribe.Error` for arguments
   * refused before sending); failures of the polls go to `onError` (see
   * {@link SubscribeCallOptions.onError}). The subscription keeps a request open, and so the
   * process alive, until `unsubscribe()`.
   *
   * Without `resumeAtTopicSequenceNumber` it starts from the next message published after the
   * first poll reaches the service. Until a first message has arrived each poll starts afresh
   * from "the next one", so a message published between two polls of a quiet topic can be
   * missed; give a number (the last one seen plus one) where that matters.
   *
   * @example
   * const subscription = await client.subscribe('my-cache', 'orders', {
   *   onItem: (item) => console.log(item.topicSequenceNumber(), item.valueString()),
   *   onError: (error) => console.error(error.errorCode(), error.message()),
   * });
   * if (subscription instanceof TopicSubscribe.Subscription) setTimeout(() => subscription.unsubscribe(), 60_000);
   */
  async subscribe(cacheName: string, topicName: string, options: SubscribeCallOptions): Promise<TopicSubscribe.Response> {
    const cache = segment(cacheName, 'cacheName');
    if (cache instanceof SdkError) return new TopicSubscribe.Error(cache);
    const topic = segment(topicName, 'topicName');
    if (topic instanceof SdkError) return new TopicSubscribe.Error(topic);
    if (!isObject(options)) return new TopicSubscribe.Error(invalid('the subscribe options must be an object'));
    for (const name of ['onItem', 'onError', 'onDiscontinuity', 'onHeartbeat'] as const) {
      if (options[name] !== undefined && typeof options[name] !== 'function') {
        return new TopicSubscribe.Error(invalid(`${name} must be a function`));
      }
    }
    for (const name of ['resumeAtTopicSequenceNumber', 'resumeAtTopicSequencePage'] as const) {
      const value: unknown = options[name];
      if (value !== undefined && !(typeof value === 'number' && Number.isSafeInteger(value) && value >= 0)) {
        return new TopicSubscribe.Error(invalid(`${name} must be a whole number`));
      }
    }
    return startSubscription(this.transport, `/topics/${cache}/${topic}`, options);
  }
}

/** Manages API keys (`/keys`); the calling key needs `keys:manage`. */
export class KeyClient {
  protected readonly transport: Transport;

  constructor(options: ClientOptions) {
    this.transport = new Transport(options);
  }

  /** Creates a key with at most the caller's power. The key is in the result once, never again. Never retried. */
  async createKey(options: CreateKeyOptions): Promise<CreateKey.Response> {
    if (!isObject(options)) return new CreateKey.Error(invalid('the key options must be an object'));
    const outcome = await this.transport.send({
      method: 'POST',
      path: '/keys',
      json: {
        permissions: options.permissions,
        caches: options.caches,
        tokenId: options.tokenId,
        expiresInSeconds: options.expiresInSeconds,
      },
      idempotent: false,
    });
    if (!outcome.ok) return new CreateKey.Error(outcome.error);
    const body = outcome.body;
    if (!isObject(body) || !isString(body.apiKey) || !isString(body.keyId) || !isNullableString(body.expiresAt)) {
      return new CreateKey.Error(unexpected('create key'));
    }
    return new CreateKey.Success({ apiKey: body.apiKey, keyId: body.keyId, expiresAt: body.expiresAt });
  }

  /** The keys within the caller's caches, without the keys themselves. */
  async listKeys(): Promise<ListKeys.Response> {
    const outcome = await this.transport.send({ method: 'GET', path: '/keys', idempotent: true });
    if (!outcome.ok) return new ListKeys.Error(outcome.error);
    const keys = parseKeys(outcome.body);
    if (!keys) return new ListKeys.Error(unexpected('list keys'));
    return new ListKeys.Success(keys);
  }

  /** Revokes a key: it is refused from now on. */
  async revokeKey(keyId: string): Promise<RevokeKey.Response> {
    const id = segment(keyId, 'keyId');
    if (id instanceof SdkError) return new RevokeKey.Error(id);
    const outcome = await this.transport.send({ method: 'DELETE', path: `/keys/${id}`, idempotent: true });
    return outcome.ok ? new RevokeKey.Success() : new RevokeKey.Error(outcome.error);
  }
}

function webhookPath(cacheName: string, webhookName: string): string | SdkError {
  const cache = segment(cacheName, 'cacheName');
  if (cache instanceof SdkError) return cache;
  const name = segment(webhookName, 'webhookName');
  if (name instanceof SdkError) return name;
  return `/webhooks/${cache}/${name}`;
}

function secretProps(outcome: HttpOutcome): WebhookSecretProps | SdkError {
  if (!outcome.ok) return outcome.error;
  const b = outcome.body;
  if (!isObject(b) || !isString(b.secret) || !isString(b.webhookName) || !isString(b.cacheName)) {
    return unexpected('webhook secret');
  }
  if (b.standardWebhooksSecret !== undefined && !isString(b.standardWebhooksSecret)) return unexpected('webhook secret');
  return {
    secret: b.secret,
    webhookName: b.webhookName,
    cacheName: b.cacheName,
    ...(b.standardWebhooksSecret === undefined ? {} : { standardWebhooksSecret: b.standardWebhooksSecret }),
  };
}

function parseWebhooks(body: unknown): Webhook[] | undefined {
  if (!isObject(body) || !Array.isArray(body.webhooks)) return undefined;
  const webhooks: Webhook[] = [];
  for (const w of body.webhooks as unknown[]) {
    if (!isObject(w) || !isObject(w.id) || !isObject(w.destination) || !isString(w.topicName)) return undefined;
    const { cacheName, webhookName } = w.id;
    const { postUrl } = w.destination;
    if (!isString(cacheName) || !isString(webhookName) || !isString(postUrl)) return undefined;
    const { standardWebhooks, rateLimitPerSecond } = w;
    if (standardWebhooks !== undefined && typeof standardWebhooks !== 'boolean') return undefined;
    if (rateLimitPerSecond !== undefined && !isNullableInteger(rateLimitPerSecond)) return undefined;
    webhooks.push({
      id: { cacheName, webhookName },
      topicName: w.topicName,
      destination: new PostUrlWebhookDestination(postUrl),
      ...(standardWebhooks === undefined ? {} : { standardWebhooks }),
      ...(rateLimitPerSecond === undefined ? {} : { rateLimitPerSecond }),
    });
  }
  return webhooks;
}

/** How one attempt ended, as the history and the ping answer share it. */
function attemptFields(v: Record<string, unknown>): TestWebhookProps | undefined {
  if (!isString(v.outcome) || !isNullableInteger(v.statusCode) || !isInteger(v.latencyMs)) return undefined;
  // An outcome this client does not know yet is passed on as the service named it.
  return { outcome: v.outcome as OutcomeKind, statusCode: v.statusCode, latencyMs: v.latencyMs };
}

function parsePing(body: unknown): TestWebhookProps | undefined {
  return isObject(body) ? attemptFields(body) : undefined;
}

function parseDeliveries(body: unknown): { deliveries: Delivery[]; nextCursor: string | null } | undefined {
  if (!isObject(body) || !Array.isArray(body.deliveries) || !isNullableString(body.nextCursor)) return undefined;
  const deliveries: Delivery[] = [];
  for (const d of body.deliveries as unknown[]) {
    if (!isObject(d) || !isInteger(d.topicSequenceNumber) || !isInteger(d.eventTimestamp) || !isInteger(d.attemptedAt)) return undefined;
    if (d.test !== undefined && d.test !== true) return undefined;
    const attempt = attemptFields(d);
    if (!attempt) return undefined;
    deliveries.push({
      topicSequenceNumber: d.topicSequenceNumber,
      eventTimestamp: d.eventTimestamp,
      attemptedAt: d.attemptedAt,
      ...attempt,
      ...(d.test === true ? { test: true as const } : {}),
    });
  }
  return { deliveries, nextCursor: body.nextCursor };
}

function parseKeys(body: unknown): ApiKeyInfo[] | undefined {
  if (!isObject(body) || !Array.isArray(body.keys)) return undefined;
  const keys: ApiKeyInfo[] = [];
  for (const k of body.keys as unknown[]) {
    if (
      !isObject(k) ||
      !isString(k.keyId) ||
      !isStringArray(k.permissions) ||
      !isStringArray(k.caches) ||
      !isNullableString(k.tokenId) ||
      !isNullableString(k.expiresAt)
    ) {
      return undefined;
    }
    keys.push({
      keyId: k.keyId,
      permissions: k.permissions as Permission[],
      caches: k.caches,
      tokenId: k.tokenId,
      expiresAt: k.expiresAt,
    });
  }
  return keys;
}

const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every(isString);
const isNullableString = (v: unknown): v is string | null => v === null || isString(v);
const isInteger = (v: unknown): v is number => Number.isSafeInteger(v);
const isNullableInteger = (v: unknown): v is number | null => v === null || isInteger(v);
