import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/**
 * The single table's key schema, shared by the CDK stack and local mode so both create the
 * same table. The key design and each access pattern are documented in docs/data-model.md.
 */
export const TABLE_KEYS = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** The fan-out index: webhooks by (cache, topic). */
  topicIndex: { name: 'byTopic', partitionKey: 'topicKey', sortKey: 'sk' },
  /** Listing API keys without scanning. */
  keyIndex: { name: 'byKind', partitionKey: 'kind', sortKey: 'pk' },
  /** Epoch seconds; DynamoDB's TTL deletes the item some time after. */
  ttlAttribute: 'expiresAt',
} as const;

/** Attributes the fan-out index projects: enough to address a delivery, never the secret or URL. */
export const TOPIC_INDEX_PROJECTION = ['webhookName', 'webhookId'] as const;

export function createTableInput(tableName: string): CreateTableCommandInput {
  const { partitionKey, sortKey, topicIndex, keyIndex } = TABLE_KEYS;
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: partitionKey, AttributeType: 'S' },
      { AttributeName: sortKey, AttributeType: 'S' },
      { AttributeName: topicIndex.partitionKey, AttributeType: 'S' },
      { AttributeName: keyIndex.partitionKey, AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: partitionKey, KeyType: 'HASH' },
      { AttributeName: sortKey, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: topicIndex.name,
        KeySchema: [
          { AttributeName: topicIndex.partitionKey, KeyType: 'HASH' },
          { AttributeName: topicIndex.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...TOPIC_INDEX_PROJECTION] },
      },
      {
        IndexName: keyIndex.name,
        KeySchema: [
          { AttributeName: keyIndex.partitionKey, KeyType: 'HASH' },
          { AttributeName: keyIndex.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ],
  };
}
