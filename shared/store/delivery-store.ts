import { BatchWriteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { BatchWriteCommandInput, BatchWriteCommandOutput, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { deliveryKey } from './keys.ts';
import { BATCH_WRITE_LIMIT } from './table-schema.ts';
import { isConditionalCheckFailed } from './dynamo-errors.ts';
import type { DeliveryOutcome } from '../delivery/outcome.ts';

export interface DeliveryIdentity {
  cacheName: string;
  topicName: string;
  webhookName: string;
  sequenceNumber: number;
}

/** A claimed delivery and how its POST ended. */
export interface CompletedDelivery extends DeliveryIdentity {
  webhookId: string;
  claimedAt: number;
  outcome: DeliveryOutcome;
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
          Item: this.item({ ...id, claimedAt: now }),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (err) {
      if (isConditionalCheckFailed(err)) return false;
      throw err;
    }
  }

  /**
   * Completes claimed deliveries with their outcomes: one BatchWriteItem per 25 records (one
   * call per SQS batch) instead of an update each. The put replaces the claim item with the
   * claim plus its outcome; unprocessed items are retried, then the call throws.
   */
  async recordOutcomes(records: readonly CompletedDelivery[]): Promise<void> {
    for (let i = 0; i < records.length; i += BATCH_WRITE_LIMIT) {
      let pending: NonNullable<BatchWriteCommandInput['RequestItems']>[string] | undefined = records
        .slice(i, i + BATCH_WRITE_LIMIT)
        .map((r) => ({
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
        }));
      for (let attempt = 0; pending && pending.length > 0; attempt++) {
        if (attempt > 8) throw new Error('BatchWriteItem left outcomes unprocessed after retries');
        if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 25 * 2 ** attempt)));
        const out: BatchWriteCommandOutput = await this.db.send(
          new BatchWriteCommand({ RequestItems: { [this.tableName]: pending } }),
        );
        pending = out.UnprocessedItems?.[this.tableName];
      }
    }
  }

  private item(d: DeliveryIdentity & { webhookId: string; claimedAt: number }) {
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
