import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { ensureTable, startDynalite, type RunningEmulator } from '#local/emulators.ts';
import { TtlSweeper } from '#local/ttl-sweeper.ts';
import { startLocalService } from '#local/service.ts';
import { apiClient } from '../helpers/api-client.ts';

/** Local mode's stand-in for DynamoDB's TTL, against dynalite. */
const TABLE = 'ttl-sweeper';
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
let dynalite: RunningEmulator;
let db: DynamoDBDocumentClient;

beforeAll(async () => {
  dynalite = await startDynalite();
  const client = new DynamoDBClient({ endpoint: dynalite.endpoint, region: 'us-east-1', credentials });
  await ensureTable(client, TABLE);
  db = DynamoDBDocumentClient.from(client);
});

afterAll(async () => {
  db?.destroy();
  await dynalite?.stop();
});

const remainingKeys = async () =>
  ((await db.send(new ScanCommand({ TableName: TABLE, ConsistentRead: true }))).Items ?? []).map((i) => `${i.pk}|${i.sk}`).sort();

describe('TTL sweeper', () => {
  it('deletes exactly the items whose expiresAt has passed, across several pages and batches', async () => {
    const now = 1_800_000_000_000;
    const nowSeconds = now / 1000;
    const items = [
      // 60 expired (more than two BatchWriteItem calls), some with bodies large enough to need several scan pages.
      ...Array.from({ length: 60 }, (_, i) => ({ pk: `DELIVERY#${i}`, sk: 's', expiresAt: nowSeconds - 1 - i, pad: 'x'.repeat(30_000) })),
      { pk: 'DELIVERY#fresh', sk: 's', expiresAt: nowSeconds + 60 },
      { pk: 'DELIVERY#now', sk: 's', expiresAt: nowSeconds },
      { pk: 'CACHE#c', sk: 'WEBHOOK#w' },
    ];
    for (const Item of items) await db.send(new PutCommand({ TableName: TABLE, Item }));

    const sweeper = new TtlSweeper(db, TABLE, { intervalMs: 60_000, now: () => now, onError: (e) => { throw e; } });
    expect(await sweeper.sweep()).toBe(60);
    expect(await remainingKeys()).toEqual(['CACHE#c|WEBHOOK#w', 'DELIVERY#fresh|s', 'DELIVERY#now|s']);
    expect(await sweeper.sweep()).toBe(0);
  });
});

describe('local mode', () => {
  it('deletes an expired API key from its table on its own', async () => {
    const service = await startLocalService({ port: 0, quiet: true, ttlSweepIntervalMs: 100 });
    try {
      const api = apiClient(service.url, service.apiKey);
      const created = await api('POST', '/keys', { body: { permissions: ['topics:publish'], caches: ['*'], expiresInSeconds: 1 } });
      expect(created.status).toBe(201);
      const { keyId } = created.json as { keyId: string };
      const local = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: service.dynamoEndpoint, region: 'us-east-1', credentials }));
      const keyItems = async () =>
        ((await local.send(new ScanCommand({ TableName: service.tableName, ConsistentRead: true }))).Items ?? []).filter(
          (i) => i.keyId === keyId,
        );
      expect(await keyItems()).toHaveLength(1);
      // Waits for the outcome, not for a duration: the key expires after 1 s, then the next sweep takes it.
      for (let i = 0; i < 100 && (await keyItems()).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
      expect(await keyItems()).toEqual([]);
      local.destroy();
    } finally {
      await service.stop();
    }
  });
});
