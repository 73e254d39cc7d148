import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CompletedDelivery, DeliveryLedger, DeliveryTask } from '../delivery/model.ts';
import { deliveryKey } from './keys.ts';
import { batchWriteAll, conditionalWrite } from './dynamo-helpers.ts';

/** DynamoDB adapter of the delivery ledger: once-only claims and outcomes, expiring through TTL. */
export class DeliveryStore implements DeliveryLedger {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly ttlSeconds: number,
  ) {}

  /**
   * A conditional put: false when the delivery was claimed before (SQS delivered the message
   * twice, or a previous invocation crashed after claiming). A claim is never retried.
   */
  async claim(task: DeliveryTask, now: number): Promise<boolean> {
    const out = await conditionalWrite(() =>
      this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: this.item({ ...task, claimedAt: now }),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
    return out !== undefined;
  }

  /**
   * One BatchWriteItem per 25 records (one call per SQS batch) instead of an update each: the
   * put replaces the claim item with the claim plus its outcome.
   */
  async recordOutcomes(records: readonly CompletedDelivery[]): Promise<void> {
    await batchWriteAll(
      this.db,
      this.tableName,
      records.map((r) => ({
        PutRequest: {
          Item: {
            ...this.item(r),
            status: 'done',
            outcome: r.outcome.kind,
            statusCode: r.outcome.statusCode ?? null,
            latencyMs: r.outcome.latencyMs,
            attemptedAt: r.outcome.attemptedAt,
          },
        },
      })),
    );
  }

  private item(d: DeliveryTask & { claimedAt: number }) {
    return {
      ...deliveryKey(d),
      cacheName: d.cacheName,
      topicName: d.topicName,
      webhookName: d.webhookName,
      webhookId: d.webhookId,
      sequenceNumber: d.sequenceNumber,
      status: 'claimed',
      claimedAt: d.claimedAt,
      expiresAt: Math.floor(d.claimedAt / 1000) + this.ttlSeconds,
    };
  }
}
