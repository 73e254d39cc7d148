import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { RateLimiter } from '../delivery/model.ts';
import { rateWindowKey } from './keys.ts';
import { conditionalWrite } from './dynamo-helpers.ts';

/** A second's counter is kept this long after the second, then TTL deletes it. */
const WINDOW_TTL_SECONDS = 60;

/**
 * DynamoDB adapter of the per-webhook rate limit: one counter item per (webhook, second),
 * taken with a conditional `ADD`, so the limit holds across every concurrent delivery function
 * and never per container. See docs/data-model.md.
 */
export class RateLimitStore implements RateLimiter {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async tryAcquire(webhookId: string, limit: number, now: number): Promise<boolean> {
    const second = Math.floor(now / 1000);
    const out = await conditionalWrite(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: rateWindowKey(webhookId, second),
          UpdateExpression: 'ADD posts :one SET expiresAt = :expiresAt',
          ConditionExpression: 'attribute_not_exists(posts) OR posts < :limit',
          ExpressionAttributeValues: { ':one': 1, ':limit': limit, ':expiresAt': second + WINDOW_TTL_SECONDS },
        }),
      ),
    );
    return out !== undefined;
  }
}
