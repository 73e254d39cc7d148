import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, paginateQuery } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient, QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { identityKey } from '../webhooks/model.ts';
import { DEFAULT_WEBHOOK_SETTINGS } from '../webhooks/model.ts';
import type {
  CreateResult,
  TopicSubscriber,
  WebhookChange,
  WebhookIdentity,
  WebhookRecord,
  WebhookRepository,
  WebhookSummary,
} from '../webhooks/model.ts';
import { TABLE_KEYS } from './table-schema.ts';
import { cacheCounterKey, cachePartition, topicPartition, webhookKey } from './keys.ts';
import { batchGetAll, conditionalWrite } from './dynamo-helpers.ts';

/**
 * How long the per-cache counter must have stood still before a full counter is checked
 * against a recount: longer than the put function's timeout (10 s), so a create between its
 * reservation and its item is never mistaken for a leaked slot.
 */
export const COUNTER_SETTLE_MS = 15_000;

/** Rounds of reserve / initialise / repair before giving up (each round is a lost race). */
const MAX_RESERVE_ROUNDS = 20;

/**
 * DynamoDB adapter for webhook items (pk = cache, sk = webhook; `topicKey` feeds the fan-out
 * index) and the per-cache counter (pk = cache, sk = COUNTER). See docs/data-model.md.
 */
export class WebhookStore implements WebhookRepository {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** Settings the change leaves out are not touched; a rate limit of null is removed. */
  async updateExisting(id: WebhookIdentity, change: WebhookChange): Promise<WebhookRecord | undefined> {
    const set = ['topicName = :topic', 'postUrl = :url', 'topicKey = :topicKey', 'updatedAt = :now'];
    const remove: string[] = [];
    const values: Record<string, unknown> = {
      ':topic': change.topicName,
      ':url': change.postUrl,
      ':topicKey': topicPartition(id.cacheName, change.topicName),
      ':now': change.now,
    };
    if (change.standardWebhooks !== undefined) {
      set.push('standardWebhooks = :standardWebhooks');
      values[':standardWebhooks'] = change.standardWebhooks;
    }
    if (change.rateLimitPerSecond === null) remove.push('rateLimitPerSecond');
    else if (change.rateLimitPerSecond !== undefined) {
      set.push('rateLimitPerSecond = :rateLimit');
      values[':rateLimit'] = change.rateLimitPerSecond;
    }
    const out = await conditionalWrite(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: webhookKey(id.cacheName, id.webhookName),
          UpdateExpression: `SET ${set.join(', ')}${remove.length > 0 ? ` REMOVE ${remove.join(', ')}` : ''}`,
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    return toRecord(out?.Attributes);
  }

  /**
   * Reserves a slot on the cache's counter, then puts the item; a put that loses to a
   * concurrent create of the same name gives its slot back. dynalite has no transactions, so
   * a crash between the two leaks a slot: `reserveSlot` repairs that once the counter is full.
   */
  async create(record: WebhookRecord, limit: { maxWebhooksPerCache: number; now: number }): Promise<CreateResult> {
    const reserved = await this.reserveSlot(record.cacheName, limit.maxWebhooksPerCache, limit.now);
    if (reserved !== true) return { created: false, reason: 'limit', count: reserved.count };
    const out = await conditionalWrite(() =>
      this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: toItem(record),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
    if (out) return { created: true };
    await this.releaseSlot(record.cacheName, limit.now);
    return { created: false, reason: 'exists' };
  }

  /**
   * Takes one slot of the cache's counter with a conditional update: exact under concurrent
   * creates. When the condition fails the counter is either missing (a table from before the
   * counter: initialised by a count), or full: then, if it has not changed for
   * `COUNTER_SETTLE_MS`, a consistent recount below it reveals leaked slots and repairs it.
   *
   * @returns true, or the count that refused the slot
   */
  private async reserveSlot(cacheName: string, limit: number, now: number): Promise<true | { count: number }> {
    const Key = cacheCounterKey(cacheName);
    for (let round = 0; round < MAX_RESERVE_ROUNDS; round++) {
      const taken = await conditionalWrite(() =>
        this.db.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key,
            UpdateExpression: 'SET webhookCount = webhookCount + :one, changedAt = :now',
            ConditionExpression: 'attribute_exists(webhookCount) AND webhookCount < :limit',
            ExpressionAttributeValues: { ':one': 1, ':now': now, ':limit': limit },
          }),
        ),
      );
      if (taken) return true;

      const counter = (await this.db.send(new GetCommand({ TableName: this.tableName, Key, ConsistentRead: true }))).Item;
      if (counter === undefined) {
        const count = await this.countInCache(cacheName);
        await conditionalWrite(() =>
          this.db.send(
            new PutCommand({
              TableName: this.tableName,
              Item: { ...Key, webhookCount: count, changedAt: now },
              ConditionExpression: 'attribute_not_exists(pk)',
            }),
          ),
        );
        continue;
      }
      const seen = Number(counter.webhookCount);
      const changedAt = Number(counter.changedAt);
      if (seen < limit) continue; // a slot was freed meanwhile
      if (now - changedAt < COUNTER_SETTLE_MS) return { count: seen };
      const actual = await this.countInCache(cacheName);
      if (actual >= seen) return { count: actual };
      // Leaked slots: set the counter to the count, unless it moved meanwhile.
      await conditionalWrite(() =>
        this.db.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key,
            UpdateExpression: 'SET webhookCount = :actual, changedAt = :now',
            ConditionExpression: 'webhookCount = :seen AND changedAt = :changedAt',
            ExpressionAttributeValues: { ':actual': actual, ':now': now, ':seen': seen, ':changedAt': changedAt },
          }),
        ),
      );
    }
    throw new Error(`could not reserve a webhook slot in ${MAX_RESERVE_ROUNDS} rounds`);
  }

  /** Gives a slot back (best effort: a counter left too high is repaired by `reserveSlot`). */
  private async releaseSlot(cacheName: string, now: number): Promise<void> {
    await conditionalWrite(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: cacheCounterKey(cacheName),
          UpdateExpression: 'SET webhookCount = webhookCount - :one, changedAt = :now',
          ConditionExpression: 'webhookCount > :zero',
          ExpressionAttributeValues: { ':one': 1, ':zero': 0, ':now': now },
        }),
      ),
    );
  }

  /** Number of webhooks in a cache, read consistently. */
  private async countInCache(cacheName: string): Promise<number> {
    let count = 0;
    for await (const page of paginateQuery({ client: this.db }, { ...this.cacheQuery(cacheName), Select: 'COUNT' })) {
      count += page.Count ?? 0;
    }
    return count;
  }

  /** The projection leaves the secrets in the table. */
  async listByCache(cacheName: string): Promise<WebhookSummary[]> {
    const webhooks: WebhookSummary[] = [];
    const input = { ...this.cacheQuery(cacheName), ProjectionExpression: 'cacheName, webhookName, topicName, postUrl, standardWebhooks, rateLimitPerSecond' };
    for await (const page of paginateQuery({ client: this.db }, input)) {
      for (const item of page.Items ?? []) {
        webhooks.push({
          cacheName: String(item.cacheName),
          webhookName: String(item.webhookName),
          topicName: String(item.topicName),
          postUrl: String(item.postUrl),
          ...settingsOf(item),
        });
      }
    }
    return webhooks.sort((a, b) => (a.webhookName < b.webhookName ? -1 : a.webhookName > b.webhookName ? 1 : 0));
  }

  /** The webhook items of one cache, read consistently. */
  private cacheQuery(cacheName: string): QueryCommandInput {
    return {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': cachePartition(cacheName), ':prefix': 'WEBHOOK#' },
      ConsistentRead: true,
    };
  }

  async get(id: WebhookIdentity): Promise<WebhookRecord | undefined> {
    const out = await this.db.send(
      new GetCommand({
        TableName: this.tableName,
        Key: webhookKey(id.cacheName, id.webhookName),
        ConsistentRead: true,
      }),
    );
    return toRecord(out.Item);
  }

  async delete(id: WebhookIdentity, now: number): Promise<boolean> {
    const out = await this.db.send(
      new DeleteCommand({
        TableName: this.tableName,
        Key: webhookKey(id.cacheName, id.webhookName),
        ReturnValues: 'ALL_OLD',
      }),
    );
    if (out.Attributes === undefined) return false;
    await this.releaseSlot(id.cacheName, now);
    return true;
  }

  /** One update: the right-hand `secret` of a SET is the value before the update. */
  async replaceSecret(
    id: WebhookIdentity,
    rotation: { secret: string; now: number; previousUntil: number },
  ): Promise<WebhookRecord | undefined> {
    const keepPrevious = rotation.previousUntil > rotation.now;
    const out = await conditionalWrite(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: webhookKey(id.cacheName, id.webhookName),
          UpdateExpression: keepPrevious
            ? 'SET previousSecret = secret, previousSecretUntil = :until, secret = :secret, updatedAt = :now'
            : 'SET secret = :secret, updatedAt = :now REMOVE previousSecret, previousSecretUntil',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: {
            ':secret': rotation.secret,
            ':now': rotation.now,
            ...(keepPrevious ? { ':until': rotation.previousUntil } : {}),
          },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    return toRecord(out?.Attributes);
  }

  /** Consistent: delivery must see a rotate or delete that has returned. */
  async getMany(ids: readonly WebhookIdentity[]): Promise<WebhookRecord[]> {
    const unique = new Map(ids.map((id) => [identityKey(id), webhookKey(id.cacheName, id.webhookName)]));
    const items = await batchGetAll(this.db, this.tableName, [...unique.values()], { consistentRead: true });
    return items.map((item) => toRecord(item)!);
  }

  async *subscribers(cacheName: string, topicName: string): AsyncGenerator<TopicSubscriber[]> {
    const pages = paginateQuery(
      { client: this.db },
      {
        TableName: this.tableName,
        IndexName: TABLE_KEYS.topicIndex.name,
        KeyConditionExpression: 'topicKey = :topicKey',
        ExpressionAttributeValues: { ':topicKey': topicPartition(cacheName, topicName) },
        ProjectionExpression: 'webhookName, webhookId',
      },
    );
    for await (const page of pages) {
      yield (page.Items ?? []).map((i) => ({ webhookName: String(i.webhookName), webhookId: String(i.webhookId) }));
    }
  }
}

/** The item of a webhook: its record, the previous secret flattened, a rate limit of null left out. */
function toItem(record: WebhookRecord): Record<string, unknown> {
  const { previousSecret, rateLimitPerSecond, ...rest } = record;
  return {
    ...webhookKey(record.cacheName, record.webhookName),
    topicKey: topicPartition(record.cacheName, record.topicName),
    ...rest,
    ...(rateLimitPerSecond === null ? {} : { rateLimitPerSecond }),
    ...(previousSecret ? { previousSecret: previousSecret.secret, previousSecretUntil: previousSecret.until } : {}),
  };
}

/** Items written before the settings existed have none: they read as the defaults. */
function settingsOf(item: Record<string, unknown>) {
  return {
    standardWebhooks: item.standardWebhooks === true,
    rateLimitPerSecond: item.rateLimitPerSecond === undefined ? DEFAULT_WEBHOOK_SETTINGS.rateLimitPerSecond : Number(item.rateLimitPerSecond),
  };
}

function toRecord(item: Record<string, unknown> | undefined): WebhookRecord | undefined {
  if (!item) return undefined;
  return {
    cacheName: String(item.cacheName),
    webhookName: String(item.webhookName),
    webhookId: String(item.webhookId),
    topicName: String(item.topicName),
    postUrl: String(item.postUrl),
    secret: String(item.secret),
    ...(item.previousSecret === undefined
      ? {}
      : { previousSecret: { secret: String(item.previousSecret), until: Number(item.previousSecretUntil) } }),
    ...settingsOf(item),
    createdAt: Number(item.createdAt),
    updatedAt: Number(item.updatedAt),
  };
}
