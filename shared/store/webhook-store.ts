import { BatchGetCommand, DeleteCommand, GetCommand, PutCommand, UpdateCommand, paginateQuery } from '@aws-sdk/lib-dynamodb';
import type { BatchGetCommandOutput, DynamoDBDocumentClient, QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { TABLE_KEYS } from './table-schema.ts';
import { cachePartition, topicPartition, webhookKey } from './keys.ts';
import { isConditionalCheckFailed } from './dynamo-errors.ts';

/** A webhook as stored, secret included. Never returned to a client as is. */
export interface WebhookRecord {
  cacheName: string;
  webhookName: string;
  /** Random per incarnation: a webhook deleted and created again is a new webhook. */
  webhookId: string;
  topicName: string;
  postUrl: string;
  secret: string;
  createdAt: number;
  updatedAt: number;
}

/** What listing shows of a webhook. */
export type WebhookSummary = Pick<WebhookRecord, 'cacheName' | 'webhookName' | 'topicName' | 'postUrl'>;

/** What the fan-out index holds of a webhook: enough to address a delivery. */
export interface TopicSubscriber {
  webhookName: string;
  webhookId: string;
}

export interface WebhookIdentity {
  cacheName: string;
  webhookName: string;
}

const BATCH_GET_LIMIT = 100;

/** DynamoDB adapter for webhook items (pk = cache, sk = webhook; `topicKey` feeds the fan-out index). */
export class WebhookStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** Updates topic and URL of an existing webhook, keeping its secret; undefined when it does not exist. */
  async updateExisting(
    id: WebhookIdentity,
    change: { topicName: string; postUrl: string; now: number },
  ): Promise<WebhookRecord | undefined> {
    try {
      const out = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: webhookKey(id.cacheName, id.webhookName),
          UpdateExpression: 'SET topicName = :topic, postUrl = :url, topicKey = :topicKey, updatedAt = :now',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: {
            ':topic': change.topicName,
            ':url': change.postUrl,
            ':topicKey': topicPartition(id.cacheName, change.topicName),
            ':now': change.now,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return toRecord(out.Attributes);
    } catch (err) {
      if (isConditionalCheckFailed(err)) return undefined;
      throw err;
    }
  }

  /** Creates a webhook; false when one of that name appeared meanwhile. */
  async create(record: WebhookRecord): Promise<boolean> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...webhookKey(record.cacheName, record.webhookName),
            topicKey: topicPartition(record.cacheName, record.topicName),
            ...record,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (err) {
      if (isConditionalCheckFailed(err)) return false;
      throw err;
    }
  }

  /** Number of webhooks in a cache, read consistently (the per-cache limit). */
  async countInCache(cacheName: string): Promise<number> {
    let count = 0;
    for await (const page of paginateQuery({ client: this.db }, { ...this.cacheQuery(cacheName), Select: 'COUNT' })) {
      count += page.Count ?? 0;
    }
    return count;
  }

  /** The cache's webhooks, read without their secrets (the projection leaves them in the table). */
  async listByCache(cacheName: string): Promise<WebhookSummary[]> {
    const webhooks: WebhookSummary[] = [];
    const input = { ...this.cacheQuery(cacheName), ProjectionExpression: 'cacheName, webhookName, topicName, postUrl' };
    for await (const page of paginateQuery({ client: this.db }, input)) {
      for (const item of page.Items ?? []) {
        webhooks.push({
          cacheName: String(item.cacheName),
          webhookName: String(item.webhookName),
          topicName: String(item.topicName),
          postUrl: String(item.postUrl),
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

  /** Deletes a webhook; false when it did not exist. */
  async delete(id: WebhookIdentity): Promise<boolean> {
    const out = await this.db.send(
      new DeleteCommand({
        TableName: this.tableName,
        Key: webhookKey(id.cacheName, id.webhookName),
        ReturnValues: 'ALL_OLD',
      }),
    );
    return out.Attributes !== undefined;
  }

  /** Replaces the secret of an existing webhook; undefined when it does not exist. */
  async replaceSecret(id: WebhookIdentity, secret: string, now: number): Promise<WebhookRecord | undefined> {
    try {
      const out = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: webhookKey(id.cacheName, id.webhookName),
          UpdateExpression: 'SET secret = :secret, updatedAt = :now',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':secret': secret, ':now': now },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return toRecord(out.Attributes);
    } catch (err) {
      if (isConditionalCheckFailed(err)) return undefined;
      throw err;
    }
  }

  /**
   * Reads many webhooks at once, consistently (delivery must see a rotate or delete that has
   * returned). Retries unprocessed keys; the result maps `webhookKey` pk+sk to the record.
   */
  async getMany(ids: WebhookIdentity[]): Promise<Map<string, WebhookRecord>> {
    const found = new Map<string, WebhookRecord>();
    const unique = new Map(ids.map((id) => [storageId(id), webhookKey(id.cacheName, id.webhookName)]));
    const keys = [...unique.values()];
    for (let i = 0; i < keys.length; i += BATCH_GET_LIMIT) {
      let pending: Record<string, unknown>[] | undefined = keys.slice(i, i + BATCH_GET_LIMIT);
      for (let attempt = 0; pending && pending.length > 0; attempt++) {
        if (attempt > 0) await sleep(Math.min(1000, 25 * 2 ** attempt));
        if (attempt > 8) throw new Error('BatchGetItem left keys unprocessed after retries');
        const out: BatchGetCommandOutput = await this.db.send(
          new BatchGetCommand({
            RequestItems: { [this.tableName]: { Keys: pending, ConsistentRead: true } },
          }),
        );
        for (const item of out.Responses?.[this.tableName] ?? []) {
          const record = toRecord(item)!;
          found.set(storageId(record), record);
        }
        pending = out.UnprocessedKeys?.[this.tableName]?.Keys;
      }
    }
    return found;
  }

  /** Pages of the webhooks subscribed to (cache, topic), from the fan-out index. */
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

/** A stable map key for a webhook identity. */
export const storageId = (id: WebhookIdentity): string => {
  const k = webhookKey(id.cacheName, id.webhookName);
  return `${k.pk}|${k.sk}`;
};

function toRecord(item: Record<string, unknown> | undefined): WebhookRecord | undefined {
  if (!item) return undefined;
  return {
    cacheName: String(item.cacheName),
    webhookName: String(item.webhookName),
    webhookId: String(item.webhookId),
    topicName: String(item.topicName),
    postUrl: String(item.postUrl),
    secret: String(item.secret),
    createdAt: Number(item.createdAt),
    updatedAt: Number(item.updatedAt),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
