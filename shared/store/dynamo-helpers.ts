import { BatchGetCommand, BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import type {
  BatchGetCommandInput,
  BatchGetCommandOutput,
  BatchWriteCommandInput,
  BatchWriteCommandOutput,
  DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';

/** DynamoDB's caps on one BatchWriteItem and one BatchGetItem. */
const BATCH_WRITE_LIMIT = 25;
const BATCH_GET_LIMIT = 100;

/** Attempts of a batch call before its unprocessed remainder is an error. */
const BATCH_ATTEMPTS = 9;

const isConditionalCheckFailed = (err: unknown) => err instanceof Error && err.name === 'ConditionalCheckFailedException';

/**
 * Runs one conditional write and translates the SDK's `ConditionalCheckFailedException` into
 * `undefined` (the condition said no), so no adapter branches on SDK exception names itself.
 * Any other failure is thrown.
 *
 * @returns the call's output, or undefined when its condition failed
 */
export async function conditionalWrite<T extends object>(write: () => Promise<T>): Promise<T | undefined> {
  try {
    return await write();
  } catch (err) {
    if (isConditionalCheckFailed(err)) return undefined;
    throw err;
  }
}

/** Backoff before retry `attempt` (1, 2, …) of a batch call's unprocessed remainder. */
const backoff = (attempt: number) => new Promise((r) => setTimeout(r, Math.min(1000, 25 * 2 ** attempt)));

type WriteRequests = NonNullable<BatchWriteCommandInput['RequestItems']>[string];
type GetKeys = NonNullable<BatchGetCommandInput['RequestItems']>[string]['Keys'];

/**
 * Writes any number of put/delete requests in BatchWriteItem calls of 25, retrying each
 * call's unprocessed items with backoff; throws when some are still unprocessed after that.
 */
export async function batchWriteAll(db: DynamoDBDocumentClient, tableName: string, requests: WriteRequests): Promise<void> {
  for (let i = 0; i < requests.length; i += BATCH_WRITE_LIMIT) {
    let pending: WriteRequests | undefined = requests.slice(i, i + BATCH_WRITE_LIMIT);
    for (let attempt = 0; pending && pending.length > 0; attempt++) {
      if (attempt >= BATCH_ATTEMPTS) throw new Error('BatchWriteItem left items unprocessed after retries');
      if (attempt > 0) await backoff(attempt);
      const out: BatchWriteCommandOutput = await db.send(new BatchWriteCommand({ RequestItems: { [tableName]: pending } }));
      pending = out.UnprocessedItems?.[tableName];
    }
  }
}

/**
 * Reads any number of keys in BatchGetItem calls of 100, retrying unprocessed keys with
 * backoff; throws when some are still unprocessed after that.
 */
export async function batchGetAll(
  db: DynamoDBDocumentClient,
  tableName: string,
  keys: NonNullable<GetKeys>,
  options: { consistentRead: boolean },
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  for (let i = 0; i < keys.length; i += BATCH_GET_LIMIT) {
    let pending: GetKeys = keys.slice(i, i + BATCH_GET_LIMIT);
    for (let attempt = 0; pending && pending.length > 0; attempt++) {
      if (attempt >= BATCH_ATTEMPTS) throw new Error('BatchGetItem left keys unprocessed after retries');
      if (attempt > 0) await backoff(attempt);
      const out: BatchGetCommandOutput = await db.send(
        new BatchGetCommand({ RequestItems: { [tableName]: { Keys: pending, ConsistentRead: options.consistentRead } } }),
      );
      items.push(...(out.Responses?.[tableName] ?? []));
      pending = out.UnprocessedKeys?.[tableName]?.Keys;
    }
  }
  return items;
}
