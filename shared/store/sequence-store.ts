import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SequenceCounter } from '../publish/model.ts';
import { sequenceCounterKey } from './keys.ts';

/** Per-(cache, topic) sequence numbers: an atomic ADD, so concurrent publishers never share one. */
export class SequenceStore implements SequenceCounter {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async next(cacheName: string, topicName: string): Promise<number> {
    const out = await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: sequenceCounterKey(cacheName, topicName),
        UpdateExpression: 'ADD #seq :one',
        ExpressionAttributeNames: { '#seq': 'sequence' },
        ExpressionAttributeValues: { ':one': 1 },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return Number(out.Attributes?.sequence);
  }

  async current(cacheName: string, topicName: string): Promise<number> {
    const out = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: sequenceCounterKey(cacheName, topicName), ConsistentRead: true }),
    );
    return Number(out.Item?.sequence ?? 0);
  }
}
