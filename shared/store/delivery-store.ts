import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { deliveryKey } from './keys.ts';
import { isConditionalCheckFailed } from './dynamo-errors.ts';
import type { DeliveryOutcome } from '../delivery/outcome.ts';

export interface DeliveryIdentity {
  cacheName: string;
  topicName: string;
  webhookName: string;
  sequenceNumber: number;
}

/** Once-only claims and outcomes of deliveries, expiring through TTL. */
export class DeliveryStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly ttlSeconds: number,
  ) {}

  /**
   * Claims a delivery before its POST with a conditional put: true for the one caller that
   * wins, false when it was claimed before (SQS delivered the message twice, or a previous
   * invocation crashed after claiming). A claim is never retried.
   */
  async claim(id: DeliveryIdentity & { webhookId: string }, now: number): Promise<boolean> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...deliveryKey(id),
            cacheName: id.cacheName,
            topicName: id.topicName,
            webhookName: id.webhookName,
            webhookId: id.webhookId,
            sequenceNumber: id.sequenceNumber,
            status: 'claimed',
            claimedAt: now,
            expiresAt: Math.floor(now / 1000) + this.ttlSeconds,
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

  async recordOutcome(id: DeliveryIdentity, outcome: DeliveryOutcome): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: deliveryKey(id),
        UpdateExpression:
          'SET #status = :status, outcome = :kind, statusCode = :code, latencyMs = :latency, attemptedAt = :at',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':status': 'done',
          ':kind': outcome.kind,
          ':code': outcome.statusCode ?? null,
          ':latency': outcome.latencyMs,
          ':at': outcome.attemptedAt,
        },
      }),
    );
  }
}
