import { PutCommand, paginateQuery } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient, QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { Attempt, DeliveryLedger, GroupClaim, HistoryEntry, OutcomeKind, StoredHistoryEntry } from '../delivery/model.ts';
import { groupClaimKey, historyPartition } from './keys.ts';
import { batchWriteAll, conditionalWrite } from './dynamo-helpers.ts';

/**
 * An attempt as stored: one-letter names keep a history item of ten attempts under 1 KB, one
 * write unit (docs/data-model.md lists them).
 */
interface StoredAttempt {
  s: number;
  e: number;
  a: number;
  o: OutcomeKind;
  c: number | null;
  l: number;
  t?: true;
}

/** History items read per query page: a page of the history route needs at most 100 attempts. */
const HISTORY_PAGE_ITEMS = 25;

/** DynamoDB adapter of the delivery ledger: group claims and history items, both expiring through TTL. */
export class DeliveryStore implements DeliveryLedger {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly ttlSeconds: number,
  ) {}

  /** A conditional put of a small item (one write unit); the condition failing means claimed before. */
  async claimGroup(claim: GroupClaim, now: number): Promise<boolean> {
    const out = await conditionalWrite(() =>
      this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...groupClaimKey(claim), claimedAt: now, expiresAt: this.expiry(now) },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
    return out !== undefined;
  }

  async recordHistory(entries: readonly HistoryEntry[]): Promise<void> {
    await batchWriteAll(
      this.db,
      this.tableName,
      entries.map((entry) => {
        const newest = Math.max(...entry.attempts.map((a) => a.attemptedAt));
        return {
          PutRequest: {
            Item: {
              pk: historyPartition(entry.webhookId),
              // Newest attempt first, then the invocation: unique, and ordered by time.
              sk: `${String(newest).padStart(15, '0')}#${entry.invocationId}`,
              attempts: entry.attempts.map(toStored),
              expiresAt: this.expiry(newest),
            },
          },
        };
      }),
    );
  }

  async *readHistory(webhookId: string, atOrBefore?: string): AsyncGenerator<StoredHistoryEntry> {
    const input: QueryCommandInput = {
      TableName: this.tableName,
      KeyConditionExpression: atOrBefore === undefined ? 'pk = :pk' : 'pk = :pk AND sk <= :sk',
      ExpressionAttributeValues: { ':pk': historyPartition(webhookId), ...(atOrBefore === undefined ? {} : { ':sk': atOrBefore }) },
      ScanIndexForward: false,
      ConsistentRead: true,
    };
    const nowSeconds = Date.now() / 1000;
    for await (const page of paginateQuery({ client: this.db, pageSize: HISTORY_PAGE_ITEMS }, input)) {
      for (const item of page.Items ?? []) {
        // DynamoDB deletes expired items late: readers skip them.
        if (typeof item.expiresAt === 'number' && item.expiresAt <= nowSeconds) continue;
        yield { position: String(item.sk), attempts: ((item.attempts ?? []) as StoredAttempt[]).map(fromStored) };
      }
    }
  }

  private expiry(epochMs: number): number {
    return Math.floor(epochMs / 1000) + this.ttlSeconds;
  }
}

function toStored(a: Attempt): StoredAttempt {
  return {
    s: a.sequenceNumber,
    e: a.eventTimestamp,
    a: a.attemptedAt,
    o: a.outcome,
    c: a.statusCode,
    l: a.latencyMs,
    ...(a.test ? { t: true as const } : {}),
  };
}

function fromStored(s: StoredAttempt): Attempt {
  return {
    sequenceNumber: Number(s.s),
    eventTimestamp: Number(s.e),
    attemptedAt: Number(s.a),
    outcome: s.o,
    statusCode: s.c === null || s.c === undefined ? null : Number(s.c),
    latencyMs: Number(s.l),
    ...(s.t ? { test: true } : {}),
  };
}
