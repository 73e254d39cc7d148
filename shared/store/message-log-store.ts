import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { LoggedMessage, MessageLog, StoredMessage } from '../subscriptions/model.ts';
import { messageLogKey, topicPartition } from './keys.ts';

/**
 * DynamoDB adapter of the message log: one item per message in its topic's partition, beside
 * the sequence counter, sorted by sequence number and expiring through TTL. See
 * docs/data-model.md.
 */
export class MessageLogStore implements MessageLog {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async append(cacheName: string, topicName: string, message: LoggedMessage, expiresAt: number): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...messageLogKey(cacheName, topicName, message.sequenceNumber), ...message, expiresAt },
      }),
    );
  }

  /** One strongly consistent Query page: a subscriber sees what publish has written. */
  async read(cacheName: string, topicName: string, fromSequence: number, limit: number): Promise<StoredMessage[]> {
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :last',
        ExpressionAttributeValues: {
          ':pk': topicPartition(cacheName, topicName),
          ':from': messageLogKey(cacheName, topicName, fromSequence).sk,
          ':last': messageLogKey(cacheName, topicName, Number.MAX_SAFE_INTEGER).sk,
        },
        Limit: limit,
        ConsistentRead: true,
      }),
    );
    return (out.Items ?? []).map((item) => ({
      sequenceNumber: Number(item.sequenceNumber),
      eventTimestamp: Number(item.eventTimestamp),
      tokenId: String(item.tokenId ?? ''),
      text: String(item.text ?? ''),
      expiresAt: Number(item.expiresAt),
    }));
  }
}
