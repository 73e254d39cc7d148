import { SdkError, WebhookErrorCode } from './errors.ts';
import { PostUrlWebhookDestination, postUrlOf, type Webhook, type WebhookDestination } from './destination.ts';
import {
  CreateKey,
  DeleteWebhook,
  GetWebhookSecret,
  ListKeys,
  ListWebhooks,
  PutWebhook,
  RevokeKey,
  RotateWebhookSecret,
  TopicPublish,
  type ApiKeyInfo,
  type Permission,
  type WebhookSecretProps,
} from './responses.ts';
import { Transport, type ClientOptions, type HttpOutcome } from './transport.ts';

/** Options of `putWebhook`, as in Momento's SDK. */
export interface PutWebhookCallOptions {
  /** Where deliveries go: `new PostUrlWebhookDestination(url)`, a URL string, or `{ postUrl }`. */
  destination: WebhookDestination;
  /** The topic whose messages the webhook receives. */
  topicName: string;
}

/** Options of `createKey` (DESIGN §2). */
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
const invalid = (message: string) => new SdkError(WebhookErrorCode.INVALID_ARGUMENT_ERROR, message);

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
  new SdkError(WebhookErrorCode.UNKNOWN_SERVICE_ERROR, `the service answered with an unexpected ${what} body`);

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

  /** Creates a webhook (fresh secret) or updates its topic and URL (secret kept). Retried: putting twice is harmless. */
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
      json: { topicName: options.topicName, destination: { postUrl } },
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
   * Replaces the signing secret; every delivery from now on is signed with the new one.
   * Never retried: a retry after a lost answer would rotate twice.
   */
  async rotateWebhookSecret(cacheName: string, webhookName: string): Promise<RotateWebhookSecret.Response> {
    const path = webhookPath(cacheName, webhookName);
    if (path instanceof SdkError) return new RotateWebhookSecret.Error(path);
    const outcome = await this.transport.send({ method: 'POST', path: `${path}/secret/rotate`, idempotent: false });
    const props = secretProps(outcome);
    if (props instanceof SdkError) return new RotateWebhookSecret.Error(props);
    return new RotateWebhookSecret.Success(props);
  }
}

/**
 * Publishes to topics, and manages webhooks as Momento's `TopicClient` did (it carries every
 * {@link WebhookClient} method).
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
  return { secret: b.secret, webhookName: b.webhookName, cacheName: b.cacheName };
}

function parseWebhooks(body: unknown): Webhook[] | undefined {
  if (!isObject(body) || !Array.isArray(body.webhooks)) return undefined;
  const webhooks: Webhook[] = [];
  for (const w of body.webhooks as unknown[]) {
    if (!isObject(w) || !isObject(w.id) || !isObject(w.destination) || !isString(w.topicName)) return undefined;
    const { cacheName, webhookName } = w.id;
    const { postUrl } = w.destination;
    if (!isString(cacheName) || !isString(webhookName) || !isString(postUrl)) return undefined;
    webhooks.push({ id: { cacheName, webhookName }, topicName: w.topicName, destination: new PostUrlWebhookDestination(postUrl) });
  }
  return webhooks;
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
