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
      Array.from({ length: 60 }, (_, i) => containers[i % containers.length]!.store.acquire('hook-a', 7, second + (i % 1000), 1)),
    );
    expect(granted.reduce((a, b) => a + b, 0)).toBe(7);
    expect(granted.every((g) => g === 0 || g === 1)).toBe(true);
  });

  it('grants part of a request for several slots, exactly the limit in all, whatever the mix of sizes', async () => {
    const containers = Array.from({ length: 4 }, container);
    const second = Date.UTC(2026, 11, 1, 12, 30, 0);
    const wanted = [3, 5, 1, 10, 2, 4, 7, 1, 6, 2, 8, 3];
    const granted = await Promise.all(wanted.map((w, i) => containers[i % containers.length]!.store.acquire('hook-mix', 20, second, w)));
    expect(granted.reduce((a, b) => a + b, 0)).toBe(20);
    granted.forEach((g, i) => expect(g).toBeLessThanOrEqual(wanted[i]!));
    expect(await containers[0]!.store.acquire('hook-mix', 20, second + 999, 1)).toBe(0);
  });

  it('counts each second and each webhook apart, and keeps a counter only briefly', async () => {
    const { store, db } = container();
    const t = Date.UTC(2026, 11, 1, 13, 0, 0);
    expect(await store.acquire('hook-b', 3, t, 2)).toBe(2);
    expect(await store.acquire('hook-b', 3, t + 500, 2)).toBe(1);
    expect(await store.acquire('hook-b', 3, t + 999, 1)).toBe(0);
    expect(await store.acquire('hook-b', 3, t + 1000, 5)).toBe(3);
    expect(await store.acquire('hook-c', 1, t, 1)).toBe(1);
    const item = (await db.send(new GetCommand({ TableName: TABLE, Key: rateWindowKey('hook-b', t / 1000), ConsistentRead: true }))).Item;
    expect(item).toMatchObject({ posts: 4, expiresAt: t / 1000 + 60 });
  });
});
