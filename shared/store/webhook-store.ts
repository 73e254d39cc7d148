import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, paginateQuery } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient, QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { identityKey } from '../webhooks/model.ts';
import type { TopicSubscriber, WebhookIdentity, WebhookRecord, WebhookRepository, WebhookSummary } from '../webhooks/model.ts';
import { TABLE_KEYS } from './table-schema.ts';
import { cachePartition, topicPartition, webhookKey } from './keys.ts';
import { batchGetAll, conditionalWrite } from './dynamo-helpers.ts';

/** DynamoDB adapter for webhook items (pk = cache, sk = webhook; `topicKey` feeds the fan-out index). */
export class WebhookStore implements WebhookRepository {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async updateExisting(
    id: WebhookIdentity,
    change: { topicName: string; postUrl: string; now: number },
  ): Promise<WebhookRecord | undefined> {
    const out = await conditionalWrite(() =>
      this.db.send(
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
      ),
    );
    return toRecord(out?.Attributes);
  }

  async create(record: WebhookRecord): Promise<boolean> {
    const out = await conditionalWrite(() =>
      this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...webhookKey(record.cacheName, record.webhookName),
            topicKey: topicPartition(record.cacheName, record.topicName),
            ...record,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
    return out !== undefined;
  }

  async countInCache(cacheName: string): Promise<number> {
    let count = 0;
    for await (const page of paginateQuery({ client: this.db }, { ...this.cacheQuery(cacheName), Select: 'COUNT' })) {
      count += page.Count ?? 0;
    }
    return count;
  }

  /** The projection leaves the secrets in the table. */
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

  async replaceSecret(id: WebhookIdentity, secret: string, now: number): Promise<WebhookRecord | undefined> {
    const out = await conditionalWrite(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: webhookKey(id.cacheName, id.webhookName),
          UpdateExpression: 'SET secret = :secret, updatedAt = :now',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':secret': secret, ':now': now },
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
