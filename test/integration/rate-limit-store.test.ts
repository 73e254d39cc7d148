import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { ensureTable, startDynalite, type RunningEmulator } from '#local/emulators.ts';
import { RateLimitStore } from '#shared/store/rate-limit-store.ts';
import { rateWindowKey } from '#shared/store/keys.ts';

/**
 * The per-webhook rate limit against dynalite: each "container" below has a client and a store
 * of its own, as concurrent delivery functions do, and the limit holds across all of them.
 */
const TABLE = 'rate-limit-store-test';
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
let dynalite: RunningEmulator;
const clients: DynamoDBClient[] = [];

function container(): { store: RateLimitStore; db: DynamoDBDocumentClient; raw: DynamoDBClient } {
  const raw = new DynamoDBClient({ endpoint: dynalite.endpoint, region: 'us-east-1', credentials });
  clients.push(raw);
  const db = DynamoDBDocumentClient.from(raw);
  return { store: new RateLimitStore(db, TABLE), db, raw };
}

beforeAll(async () => {
  dynalite = await startDynalite();
  await ensureTable(container().raw, TABLE);
});

afterAll(async () => {
  for (const c of clients) c.destroy();
  await dynalite?.stop();
});

describe('the rate-limit store', () => {
  it('grants exactly the limit in one second to 60 concurrent acquires from 6 containers', async () => {
    const containers = Array.from({ length: 6 }, container);
    const second = Date.UTC(2026, 11, 1, 12, 0, 0);
    const granted = await Promise.all(
      Array.from({ length: 60 }, (_, i) => containers[i % containers.length]!.store.tryAcquire('hook-a', 7, second + (i % 1000))),
    );
    expect(granted.filter(Boolean)).toHaveLength(7);
  });

  it('counts each second and each webhook apart, and keeps a counter only briefly', async () => {
    const { store, db } = container();
    const t = Date.UTC(2026, 11, 1, 13, 0, 0);
    expect(await store.tryAcquire('hook-b', 1, t)).toBe(true);
    expect(await store.tryAcquire('hook-b', 1, t + 999)).toBe(false);
    expect(await store.tryAcquire('hook-b', 1, t + 1000)).toBe(true);
    expect(await store.tryAcquire('hook-c', 1, t)).toBe(true);
    const item = (await db.send(new GetCommand({ TableName: TABLE, Key: rateWindowKey('hook-b', t / 1000), ConsistentRead: true }))).Item;
    expect(item).toMatchObject({ posts: 1, expiresAt: t / 1000 + 60 });
  });
});
