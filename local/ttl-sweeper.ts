import { paginateScan, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TABLE_KEYS } from '#shared/store/table-schema.ts';
import { batchWriteAll } from '#shared/store/dynamo-helpers.ts';

export interface TtlSweeperOptions {
  /** How often to sweep; DynamoDB's TTL is as late as a few days, so any period is faithful. */
  intervalMs: number;
  now: () => number;
  onError: (error: unknown) => void;
}

/**
 * DynamoDB's TTL for local mode, which dynalite lacks: without it every delivery record and
 * expired key would stay in memory for as long as the process runs (docs/performance.md,
 * memory). Like DynamoDB, it deletes items whose `expiresAt` (epoch seconds) has passed,
 * some time after; readers already ignore expired items, so nothing observable changes.
 * No item's `expiresAt` is ever moved later, so deleting without a condition is safe.
 */
export class TtlSweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly options: TtlSweeperOptions,
  ) {}

  /** Sweeps every `intervalMs` after the previous sweep ended, so two never overlap. */
  start(): void {
    const schedule = () => {
      if (this.stopped) return;
      this.timer = setTimeout(() => {
        this.running = this.sweep().catch(this.options.onError).finally(schedule);
      }, this.options.intervalMs);
      // A pending sweep never keeps the process alive.
      this.timer.unref();
    };
    schedule();
  }

  /** Stops sweeping and waits for a sweep in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** Deletes every expired item now; returns how many. */
  async sweep(): Promise<number> {
    const { partitionKey, sortKey, ttlAttribute } = TABLE_KEYS;
    const pages = paginateScan(
      { client: this.db },
      {
        TableName: this.tableName,
        FilterExpression: '#ttl < :now',
        ProjectionExpression: '#pk, #sk',
        ExpressionAttributeNames: { '#ttl': ttlAttribute, '#pk': partitionKey, '#sk': sortKey },
        ExpressionAttributeValues: { ':now': Math.floor(this.options.now() / 1000) },
      },
    );
    let deleted = 0;
    for await (const page of pages) {
      const keys = page.Items ?? [];
      await batchWriteAll(this.db, this.tableName, keys.map((Key) => ({ DeleteRequest: { Key } })));
      deleted += keys.length;
    }
    return deleted;
  }
}
