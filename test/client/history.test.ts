import { afterAll, afterEach, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import type { OutcomeKind as ServiceOutcomeKind } from '#shared/delivery/model.ts';
import {
  CreateKey,
  DeleteWebhook,
  ListDeliveries,
  OutcomeKind,
  PutWebhook,
  RequestValidation,
  SdkError,
  TestWebhook,
  TopicPublish,
  WebhookUtils,
  type Delivery,
  type Permission,
} from '@topic-webhooks/client';
import { TestReceiver, settle } from '../helpers/receiver.ts';
import { clientsOf, startLocal, type LocalService } from './local.ts';
import { closedPortUrl } from './stub-server.ts';

/**
 * `listDeliveries` and `testWebhook` against local mode: pings and deliveries to a real
 * receiver on loopback, the history they leave, paging with the cursor, and the error results.
 */
const MAX_MESSAGE_BYTES = 64;

let service: LocalService;
let admin: ReturnType<typeof clientsOf>;
let receiver: TestReceiver;
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  service = await startLocal({ MAX_MESSAGE_BYTES: String(MAX_MESSAGE_BYTES) });
  admin = clientsOf(service);
  receiver = await TestReceiver.start();
});
afterEach(async () => {
  while (closers.length) await closers.pop()?.();
});
afterAll(async () => {
  await receiver?.close();
  await service?.stop();
});

let counter = 0;
/** A webhook on topic `t` of a cache of its own, POSTing to `url` (the receiver by default). */
async function webhook(url = receiver.url()): Promise<{ cache: string; name: string; secret: string }> {
  const cache = `history-${++counter}`;
  const put = await admin.topics.putWebhook(cache, 'hook', { topicName: 't', destination: url });
  if (!(put instanceof PutWebhook.Success)) throw new Error(`putWebhook failed: ${String(put)}`);
  return { cache, name: 'hook', secret: put.secret };
}

async function createKey(permissions: Permission[], caches = ['*'], tokenId?: string): Promise<string> {
  const created = await admin.keys.createKey({ permissions, caches, ...(tokenId === undefined ? {} : { tokenId }) });
  if (!(created instanceof CreateKey.Success)) throw new Error(`createKey failed: ${String(created)}`);
  return created.apiKey;
}

async function pingOk(cache: string, name: string, text?: string): Promise<TestWebhook.Success> {
  const result = await admin.topics.testWebhook(cache, name, text);
  if (!(result instanceof TestWebhook.Success)) throw new Error(`testWebhook failed: ${String(result)}`);
  return result;
}

async function list(cache: string, name: string, options?: { limit?: number; cursor?: string }): Promise<ListDeliveries.Success> {
  const result = await admin.topics.listDeliveries(cache, name, options);
  if (!(result instanceof ListDeliveries.Success)) throw new Error(`listDeliveries failed: ${String(result)}`);
  return result;
}

/** The request the receiver got after `seen` had arrived. */
async function nextRequest(seen: number) {
  const requests = await receiver.waitFor(seen + 1);
  const request = requests[seen];
  if (!request) throw new Error('no request arrived');
  return request;
}

type AnyError = { error: SdkError; errorCode(): string; code: string };

function expectError(result: unknown, errorClass: abstract new (...args: never[]) => unknown, code: string, status?: number): AnyError {
  expect(result).toBeInstanceOf(errorClass);
  const r = result as AnyError;
  expect(r.error).toBeInstanceOf(SdkError);
  expect([r.code, r.errorCode(), r.error.code]).toEqual([code, code, code]);
  expect(r.error.message).toMatch(/.+/);
  expect(r.error.httpStatus).toBe(status);
  return r;
}

describe('OutcomeKind', () => {
  it('is the service’s outcome kinds, under Momento-style names', () => {
    expectTypeOf<OutcomeKind>().toEqualTypeOf<ServiceOutcomeKind>();
    expect(Object.entries(OutcomeKind).map(([name, value]) => [name, value.toUpperCase()])).toEqual(
      Object.keys(OutcomeKind).map((name) => [name, name]),
    );
    expect(Object.values(OutcomeKind)).toHaveLength(9);
  });
});

describe('testWebhook', () => {
  it('POSTs one signed ping to a real receiver and answers with how it ended', async () => {
    const { cache, name, secret } = await webhook();
    const seen = receiver.requests.length;
    const result = await pingOk(cache, name, 'hello ✓');
    expect({ ...result }).toEqual({ type: 'Success', is_success: true, outcome: OutcomeKind.DELIVERED, statusCode: 204, latencyMs: expect.any(Number) });
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
    expect(String(result)).toBe(`TestWebhookSuccess: delivered 204 in ${result.latencyMs} ms`);

    const request = await nextRequest(seen);
    expect(receiver.requests).toHaveLength(seen + 1);
    expect(request.method).toBe('POST');
    expect(WebhookUtils.validateWebhookRequest({ body: request.body, signature: request.headers['momento-signature'], signingSecret: secret })).toBe(
      RequestValidation.VALID,
    );
    const body = JSON.parse(request.body.toString('utf8')) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(['cache', 'topic', 'event_timestamp', 'publish_timestamp', 'topic_sequence_number', 'token_id', 'text']);
    expect(body).toMatchObject({ cache, topic: 't', topic_sequence_number: 0, token_id: '', text: 'hello ✓' });
  });

  it.each([
    ['no text', undefined, 'test'],
    ['an empty text', '', 'test'],
    ['bytes', new TextEncoder().encode('héllo bytes'), 'héllo bytes'],
  ])('sends %s as the ping text %j', async (_label, text, expected) => {
    const { cache, name } = await webhook();
    const seen = receiver.requests.length;
    expect(await admin.topics.testWebhook(cache, name, text)).toBeInstanceOf(TestWebhook.Success);
    expect(JSON.parse((await nextRequest(seen)).body.toString('utf8')).text).toBe(expected);
  });

  it('carries the calling key’s tokenId as token_id', async () => {
    const { cache, name } = await webhook();
    const pinger = clientsOf(service, await createKey(['webhooks:manage'], [cache], 'pinger-7'));
    const seen = receiver.requests.length;
    expect(await pinger.topics.testWebhook(cache, name)).toBeInstanceOf(TestWebhook.Success);
    expect(JSON.parse((await nextRequest(seen)).body.toString('utf8')).token_id).toBe('pinger-7');
  });

  it('answers Success with the failure as outcome when the receiver fails or is not there', async () => {
    const failing = await TestReceiver.start({ status: 500 });
    closers.push(() => failing.close());
    const failed = await webhook(failing.url());
    expect({ ...(await pingOk(failed.cache, failed.name)) }).toEqual({
      type: 'Success',
      is_success: true,
      outcome: OutcomeKind.HTTP_ERROR,
      statusCode: 500,
      latencyMs: expect.any(Number),
    });
    expect(failing.requests).toHaveLength(1);

    const absent = await webhook(`${await closedPortUrl()}/hook`);
    const refused = await pingOk(absent.cache, absent.name);
    expect([refused.outcome, refused.statusCode]).toEqual([OutcomeKind.CONNECTION_REFUSED, null]);
    expect(String(refused)).toBe(`TestWebhookSuccess: connection_refused in ${refused.latencyMs} ms`);
  });

  describe('errors', () => {
    it('answers NOT_FOUND_ERROR for an unknown webhook', async () => {
      const { cache } = await webhook();
      const result = expectError(await admin.topics.testWebhook(cache, 'missing'), TestWebhook.Error, 'NOT_FOUND_ERROR', 404);
      expect(result.error.message).toMatch(/webhook/);
    });

    it.each([
      ['invalid UTF-8', new Uint8Array([0x68, 0xff]), 'INVALID_ARGUMENT_ERROR', 400],
      ['a text one byte over the maximum', 'x'.repeat(MAX_MESSAGE_BYTES + 1), 'LIMIT_EXCEEDED_ERROR', 413],
    ])('answers %s with %s, and sends nothing', async (_label, text, code, status) => {
      const { cache, name } = await webhook();
      const seen = receiver.requests.length;
      expectError(await admin.topics.testWebhook(cache, name, text), TestWebhook.Error, code, status);
      expect(await pingOk(cache, name, 'x'.repeat(MAX_MESSAGE_BYTES))).toBeInstanceOf(TestWebhook.Success);
      expect(receiver.requests).toHaveLength(seen + 1);
      expect((await list(cache, name)).deliveries).toHaveLength(1);
    });

    it('refuses a name the URL cannot carry, or a text of another type, before sending', async () => {
      expectError(await admin.topics.testWebhook('c', '..'), TestWebhook.Error, 'INVALID_ARGUMENT_ERROR', undefined);
      expectError(await admin.topics.testWebhook('c', 'w', 42 as unknown as string), TestWebhook.Error, 'INVALID_ARGUMENT_ERROR', undefined);
    });

    it('answers AUTHENTICATION_ERROR to an unknown key and PERMISSION_ERROR without webhooks:manage on the cache', async () => {
      const { cache, name } = await webhook();
      const seen = receiver.requests.length;
      const outsider = clientsOf(service, 'whk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
      expectError(await outsider.topics.testWebhook(cache, name), TestWebhook.Error, 'AUTHENTICATION_ERROR', 401);
      const publisher = clientsOf(service, await createKey(['topics:publish']));
      expectError(await publisher.topics.testWebhook(cache, name), TestWebhook.Error, 'PERMISSION_ERROR', 403);
      const elsewhere = clientsOf(service, await createKey(['webhooks:manage'], ['another-cache']));
      expectError(await elsewhere.topics.testWebhook(cache, name), TestWebhook.Error, 'PERMISSION_ERROR', 403);
      await settle(50);
      expect(receiver.requests).toHaveLength(seen);
    });
  });
});

describe('listDeliveries', () => {
  it('lists a real delivery and a ping, newest first, as the Delivery type describes them', async () => {
    const { cache, name } = await webhook();
    const seen = receiver.requests.length;
    expect(await admin.topics.publish(cache, 't', 'a real message')).toBeInstanceOf(TopicPublish.Success);
    await nextRequest(seen);
    // The delivery's record lands just after its POST.
    const deadline = Date.now() + 15_000;
    while ((await list(cache, name)).deliveries.length === 0 && Date.now() < deadline) await settle(25);
    await settle(5);
    const ping = await pingOk(cache, name);

    const page = await list(cache, name);
    expect(page.nextCursor).toBeNull();
    expect(page.getDeliveries()).toBe(page.deliveries);
    const [newest, oldest] = page.deliveries as [Delivery, Delivery];
    expect(page.deliveries).toHaveLength(2);
    expect(newest).toStrictEqual({
      topicSequenceNumber: 0,
      eventTimestamp: expect.any(Number),
      attemptedAt: expect.any(Number),
      outcome: 'delivered',
      statusCode: ping.statusCode,
      latencyMs: ping.latencyMs,
      test: true,
    });
    // No `test` key at all on a real delivery.
    expect(oldest).toStrictEqual({
      topicSequenceNumber: 1,
      eventTimestamp: expect.any(Number),
      attemptedAt: expect.any(Number),
      outcome: OutcomeKind.DELIVERED,
      statusCode: 204,
      latencyMs: expect.any(Number),
    });
    expect(oldest.attemptedAt).toBeGreaterThanOrEqual(oldest.eventTimestamp);
    expect(newest.attemptedAt).toBeGreaterThan(oldest.attemptedAt);
    expect(String(page)).toBe('ListDeliveriesSuccess: 2 deliveries');
  });

  it('pages with the cursor until nextCursor is null, each delivery once', async () => {
    const { cache, name } = await webhook();
    const pings: TestWebhook.Success[] = [];
    for (let i = 0; i < 5; i++) pings.push(await pingOk(cache, name, `ping ${i}`));

    const pages: ListDeliveries.Success[] = [];
    let cursor: string | undefined;
    do {
      const page = await list(cache, name, { limit: 2, ...(cursor === undefined ? {} : { cursor }) });
      pages.push(page);
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined && pages.length < 10);

    expect(pages.map((p) => p.deliveries.length)).toEqual([2, 2, 1]);
    expect(pages.map((p) => typeof p.nextCursor)).toEqual(['string', 'string', 'object']);
    expect(String(pages[0])).toBe('ListDeliveriesSuccess: 2 deliveries, more to read');
    const paged = pages.flatMap((p) => p.deliveries);
    expect(paged).toStrictEqual((await list(cache, name, { limit: 100 })).deliveries);
    // Newest first; pings within one millisecond may come in either order.
    const times = paged.map((d) => d.attemptedAt);
    expect(times).toEqual([...times].sort((x, y) => y - x));
    const byNumber = (x: number, y: number) => x - y;
    expect(paged.map((d) => d.latencyMs).sort(byNumber)).toEqual(pings.map((p) => p.latencyMs).sort(byNumber));
    expect(paged.every((d) => d.test === true && d.topicSequenceNumber === 0)).toBe(true);
  });

  it('lists a webhook deleted and created again as empty, and refuses a cursor of its former self', async () => {
    const { cache, name } = await webhook();
    await pingOk(cache, name);
    await pingOk(cache, name);
    const cursor = (await list(cache, name, { limit: 1 })).nextCursor;
    expect(cursor).toEqual(expect.any(String));
    expect(await admin.topics.deleteWebhook(cache, name)).toBeInstanceOf(DeleteWebhook.Success);
    await webhookAgain(cache, name);
    const page = await list(cache, name);
    expect([page.deliveries, page.nextCursor]).toEqual([[], null]);
    expectError(await admin.topics.listDeliveries(cache, name, { cursor: cursor as string }), ListDeliveries.Error, 'INVALID_ARGUMENT_ERROR', 400);
  });

  describe('errors', () => {
    it('answers NOT_FOUND_ERROR for an unknown webhook', async () => {
      const { cache } = await webhook();
      const result = expectError(await admin.topics.listDeliveries(cache, 'missing'), ListDeliveries.Error, 'NOT_FOUND_ERROR', 404);
      expect(result.error.message).toMatch(/webhook/);
    });

    it.each([0, 101, 1.5, -1, Number.NaN])('answers INVALID_ARGUMENT_ERROR for limit %s', async (limit) => {
      const { cache, name } = await webhook();
      expectError(await admin.topics.listDeliveries(cache, name, { limit }), ListDeliveries.Error, 'INVALID_ARGUMENT_ERROR', 400);
    });

    it('answers INVALID_ARGUMENT_ERROR for a tampered cursor and for a cursor of another webhook', async () => {
      const a = await webhook();
      const b = await webhook();
      for (const w of [a, b]) for (let i = 0; i < 2; i++) await pingOk(w.cache, w.name);
      const cursor = (await list(a.cache, a.name, { limit: 1 })).nextCursor as string;
      expect((await list(a.cache, a.name, { cursor })).deliveries).toHaveLength(1);
      const edited = (cursor.startsWith('A') ? 'B' : 'A') + cursor.slice(1);
      expectError(await admin.topics.listDeliveries(a.cache, a.name, { cursor: edited }), ListDeliveries.Error, 'INVALID_ARGUMENT_ERROR', 400);
      expectError(await admin.topics.listDeliveries(b.cache, b.name, { cursor }), ListDeliveries.Error, 'INVALID_ARGUMENT_ERROR', 400);
    });

    it('refuses a name the URL cannot carry, or options of the wrong type, before sending', async () => {
      expectError(await admin.topics.listDeliveries('.', 'w'), ListDeliveries.Error, 'INVALID_ARGUMENT_ERROR', undefined);
      expectError(await admin.topics.listDeliveries('c', 'w', { limit: '5' as unknown as number }), ListDeliveries.Error, 'INVALID_ARGUMENT_ERROR', undefined);
      expectError(await admin.topics.listDeliveries('c', 'w', { cursor: 5 as unknown as string }), ListDeliveries.Error, 'INVALID_ARGUMENT_ERROR', undefined);
    });

    it('answers AUTHENTICATION_ERROR to an unknown key and PERMISSION_ERROR without webhooks:manage on the cache', async () => {
      const { cache, name } = await webhook();
      const outsider = clientsOf(service, 'whk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
      expectError(await outsider.topics.listDeliveries(cache, name), ListDeliveries.Error, 'AUTHENTICATION_ERROR', 401);
      const publisher = clientsOf(service, await createKey(['topics:publish']));
      expectError(await publisher.topics.listDeliveries(cache, name), ListDeliveries.Error, 'PERMISSION_ERROR', 403);
      const elsewhere = clientsOf(service, await createKey(['webhooks:manage'], ['another-cache']));
      expectError(await elsewhere.topics.listDeliveries(cache, name), ListDeliveries.Error, 'PERMISSION_ERROR', 403);
      expect(await clientsOf(service, await createKey(['webhooks:manage'], [cache])).topics.listDeliveries(cache, name)).toBeInstanceOf(
        ListDeliveries.Success,
      );
    });
  });
});

async function webhookAgain(cache: string, name: string): Promise<void> {
  const put = await admin.topics.putWebhook(cache, name, { topicName: 't', destination: receiver.url() });
  if (!(put instanceof PutWebhook.Success)) throw new Error(`putWebhook failed: ${String(put)}`);
}
