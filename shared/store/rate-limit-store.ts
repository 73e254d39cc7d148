import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { RateLimiter } from '../delivery/model.ts';
import { rateWindowKey } from './keys.ts';
import { conditionalWrite } from './dynamo-helpers.ts';

/** A second's counter is kept this long after the second, then TTL deletes it. */
const WINDOW_TTL_SECONDS = 60;

/**
 * DynamoDB adapter of the per-webhook rate limit: one counter item per (webhook, second). One
 * conditional `ADD` takes several POSTs at once: it succeeds while the counter is below the
 * limit, and the count before it tells how many of the wanted POSTs fit. The counter may end
 * above the limit; every later `ADD` of that second then fails. The limit so holds across
 * every concurrent delivery function, never per container. See docs/data-model.md.
 */
export class RateLimitStore implements RateLimiter {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async acquire(webhookId: string, limit: number, now: number, wanted: number): Promise<number> {
    const second = Math.floor(now / 1000);
    const out = await conditionalWrite(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: rateWindowKey(webhookId, second),
          UpdateExpression: 'ADD posts :wanted SET expiresAt = :expiresAt',
          ConditionExpression: 'attribute_not_exists(posts) OR posts < :limit',
          ExpressionAttributeValues: { ':wanted': wanted, ':limit': limit, ':expiresAt': second + WINDOW_TTL_SECONDS },
          ReturnValues: 'UPDATED_NEW',
        }),
      ),
    );
    if (out === undefined) return 0;
    const before = Number(out.Attributes?.posts) - wanted;
    return Math.min(wanted, limit - before);
  }
}
