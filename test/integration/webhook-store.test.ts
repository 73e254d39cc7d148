import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ensureTable, startDynalite, type RunningEmulator } from '#local/emulators.ts';
import { COUNTER_SETTLE_MS, WebhookStore } from '#shared/store/webhook-store.ts';
import { cacheCounterKey } from '#shared/store/keys.ts';
import type { WebhookRecord } from '#shared/webhooks/model.ts';

/**
 * The per-cache webhook limit against dynalite: exact under concurrent creates, and a slot
 * leaked by a crash between counter and item (dynalite has no transactions) repaired once the
 * counter has stood still, never while a create may still be in flight.
 */
const TABLE = 'webhook-store-test';
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
let dynalite: RunningEmulator;
let raw: DynamoDBClient;
let db: DynamoDBDocumentClient;
let store: WebhookStore;

const record = (cacheName: string, webhookName: string): WebhookRecord => ({
  cacheName,
  webhookName,
  webhookId: `${cacheName}/${webhookName}`,
  topicName: 't',
  postUrl: 'https://example.com/',
  secret: 's',
  standardWebhooks: false,
  rateLimitPerSecond: null,
  createdAt: 0,
  updatedAt: 0,
});

const counter = async (cacheName: string) =>
  (await db.send(new GetCommand({ TableName: TABLE, Key: cacheCounterKey(cacheName), ConsistentRead: true }))).Item;

beforeAll(async () => {
  dynalite = await startDynalite();
  raw = new DynamoDBClient({ endpoint: dynalite.endpoint, region: 'us-east-1', credentials });
  await ensureTable(raw, TABLE);
  db = DynamoDBDocumentClient.from(raw);
  store = new WebhookStore(db, TABLE);
});

afterAll(async () => {
  raw?.destroy();
  await dynalite?.stop();
});

describe('the per-cache webhook limit', () => {
  it('holds exactly under 30 concurrent creates of different webhooks', async () => {
    const now = Date.now();
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => store.create(record('race', `w${i}`), { maxWebhooksPerCache: 10, now })),
    );
    expect(results.filter((r) => r.created)).toHaveLength(10);
    expect(results.filter((r) => !r.created && r.reason === 'limit')).toHaveLength(20);
    expect(await store.listByCache('race')).toHaveLength(10);
    expect((await counter('race'))?.webhookCount).toBe(10);
  });

  it('gives the slot back when a create loses to a concurrent create of the same name', async () => {
    const now = Date.now();
    const results = await Promise.all(Array.from({ length: 5 }, () => store.create(record('same', 'w'), { maxWebhooksPerCache: 10, now })));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(results.filter((r) => !r.created && r.reason === 'exists')).toHaveLength(4);
    expect((await counter('same'))?.webhookCount).toBe(1);
  });

  it('frees a slot on delete', async () => {
    const now = Date.now();
    for (const name of ['a', 'b']) expect((await store.create(record('del', name), { maxWebhooksPerCache: 2, now })).created).toBe(true);
    expect(await store.create(record('del', 'c'), { maxWebhooksPerCache: 2, now })).toEqual({ created: false, reason: 'limit', count: 2 });
    expect(await store.delete({ cacheName: 'del', webhookName: 'a' }, now)).toBe(true);
    expect(await store.delete({ cacheName: 'del', webhookName: 'a' }, now)).toBe(false);
    expect((await store.create(record('del', 'c'), { maxWebhooksPerCache: 2, now })).created).toBe(true);
    expect((await counter('del'))?.webhookCount).toBe(2);
  });

  it('repairs a leaked slot once the counter has stood still, and not before', async () => {
    const now = Date.now();
    expect((await store.create(record('leak', 'a'), { maxWebhooksPerCache: 2, now })).created).toBe(true);
    // A crash after the reservation, before the item: the counter says 2, the cache holds 1.
    await db.send(
      new UpdateCommand({
        TableName: TABLE,
        Key: cacheCounterKey('leak'),
        UpdateExpression: 'SET webhookCount = webhookCount + :one, changedAt = :now',
        ExpressionAttributeValues: { ':one': 1, ':now': now },
      }),
    );
    // Within the settle time the reservation may belong to a create still in flight: 429.
    expect(await store.create(record('leak', 'b'), { maxWebhooksPerCache: 2, now: now + COUNTER_SETTLE_MS - 1 })).toEqual({
      created: false,
      reason: 'limit',
      count: 2,
    });
    // After it, a recount finds the leak and the create succeeds.
    expect((await store.create(record('leak', 'b'), { maxWebhooksPerCache: 2, now: now + COUNTER_SETTLE_MS + 1 })).created).toBe(true);
    expect((await counter('leak'))?.webhookCount).toBe(2);
    expect(await store.listByCache('leak')).toHaveLength(2);
  });

  it('initialises a missing counter (a table from before it) by counting the cache', async () => {
    const now = Date.now();
    for (const name of ['a', 'b']) await store.create(record('old', name), { maxWebhooksPerCache: 5, now });
    await db.send(new DeleteCommand({ TableName: TABLE, Key: cacheCounterKey('old') }));
    expect(await store.create(record('old', 'c'), { maxWebhooksPerCache: 3, now })).toEqual({ created: true });
    expect(await store.create(record('old', 'd'), { maxWebhooksPerCache: 3, now })).toEqual({ created: false, reason: 'limit', count: 3 });
  });

  it('keeps the counter out of listings', async () => {
    await store.create(record('listed', 'only'), { maxWebhooksPerCache: 5, now: Date.now() });
    expect((await store.listByCache('listed')).map((w) => w.webhookName)).toEqual(['only']);
  });
});
