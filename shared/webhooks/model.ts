/**
 * The webhook model and the repository it needs. Adapters (`shared/store/`) implement the
 * repository; nothing here knows how webhooks are stored. See docs/design.md#data-model.
 */

/** A webhook's name within its cache: what clients address it by. */
export interface WebhookIdentity {
  cacheName: string;
  webhookName: string;
}

/** A webhook as stored, secret included. Never returned to a client as is. */
export interface WebhookRecord extends WebhookIdentity, WebhookSettings {
  /** Random per incarnation: a webhook deleted and created again is a new webhook. */
  webhookId: string;
  topicName: string;
  postUrl: string;
  secret: string;
  /**
   * The secret before the last rotate, while its grace window lasts: until then the Standard
   * Webhooks header carries its signature too (`momento-signature` never does).
   */
  previousSecret?: { secret: string; until: number };
  createdAt: number;
  updatedAt: number;
}

/** The optional settings of a webhook (docs/design.md#webhook-settings); Momento clients never send them. */
export interface WebhookSettings {
  /** Add the Standard Webhooks headers to every POST. */
  standardWebhooks: boolean;
  /** At most this many POSTs to the webhook in each second; null for no limit. */
  rateLimitPerSecond: number | null;
}

/** The largest `rateLimitPerSecond` (the smallest is 1). */
export const MAX_RATE_LIMIT_PER_SECOND = 1000;
/** The longest rotation grace window: one day. */
export const MAX_ROTATION_GRACE_SECONDS = 86_400;

export const DEFAULT_WEBHOOK_SETTINGS: WebhookSettings = { standardWebhooks: false, rateLimitPerSecond: null };

/** What listing shows of a webhook. */
export type WebhookSummary = Pick<WebhookRecord, 'cacheName' | 'webhookName' | 'topicName' | 'postUrl' | keyof WebhookSettings>;

/** What the fan-out index holds of a webhook: enough to address a delivery. */
export interface TopicSubscriber {
  webhookName: string;
  webhookId: string;
}

/** A webhook as clients see it: never with its secret; a setting only when it is not its default. */
export interface Webhook extends Partial<WebhookSettings> {
  id: WebhookIdentity;
  topicName: string;
  destination: { postUrl: string };
}

export interface WebhookSecret {
  secret: string;
  webhookName: string;
  cacheName: string;
  /** The same secret in Standard Webhooks' form, when that setting is on. */
  standardWebhooksSecret?: string;
}

/** A collision-free map key for a webhook identity (names are arbitrary strings). */
export const identityKey = (id: WebhookIdentity): string => JSON.stringify([id.cacheName, id.webhookName]);

/** A change of an existing webhook by put: a setting left out keeps its current value. */
export interface WebhookChange extends Partial<WebhookSettings> {
  topicName: string;
  postUrl: string;
  now: number;
}

export type CreateResult = { created: true } | { created: false; reason: 'exists' } | { created: false; reason: 'limit'; count: number };

/** Where webhooks live. Every read that decides a delivery or a secret is strongly consistent. */
export interface WebhookRepository {
  /** Updates topic, URL and the given settings of an existing webhook, keeping its secret; undefined when it does not exist. */
  updateExisting(id: WebhookIdentity, change: WebhookChange): Promise<WebhookRecord | undefined>;
  /**
   * Creates a webhook within the per-cache limit, exactly even under concurrent creates:
   * `exists` when one of that name appeared meanwhile, `limit` (with the cache's count) when
   * the cache is full.
   */
  create(record: WebhookRecord, limit: { maxWebhooksPerCache: number; now: number }): Promise<CreateResult>;
  /** The cache's webhooks without their secrets, sorted by name. */
  listByCache(cacheName: string): Promise<WebhookSummary[]>;
  get(id: WebhookIdentity): Promise<WebhookRecord | undefined>;
  /** Deletes a webhook, freeing its slot in the cache; false when it did not exist. */
  delete(id: WebhookIdentity, now: number): Promise<boolean>;
  /**
   * Replaces the secret of an existing webhook; undefined when it does not exist. With
   * `previousUntil` after `now` the replaced secret stays the previous one until then,
   * otherwise no previous secret is kept.
   */
  replaceSecret(id: WebhookIdentity, rotation: { secret: string; now: number; previousUntil: number }): Promise<WebhookRecord | undefined>;
  /** The current records of many webhooks in one batched, consistent read; missing ones are absent. */
  getMany(ids: readonly WebhookIdentity[]): Promise<WebhookRecord[]>;
  /** Pages of the webhooks on (cache, topic), from the fan-out index. */
  subscribers(cacheName: string, topicName: string): AsyncIterable<TopicSubscriber[]>;
}
