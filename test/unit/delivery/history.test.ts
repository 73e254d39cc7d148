import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, listDeliveries } from '#shared/delivery/history.ts';
import { testWebhook } from '#shared/delivery/test-ping.ts';
import { InvalidArgumentError, NotFoundError, PayloadTooLargeError } from '#shared/errors.ts';
import type { Attempt } from '#shared/delivery/model.ts';
import { signDeliveryBody } from '#shared/delivery/signature.ts';
import { fakeClock, FakeLedger, FakeRateLimiter, FakeSender, FakeWebhooks, principal, webhookRecord } from '../../helpers/fakes.ts';

const attempt = (sequenceNumber: number, attemptedAt: number): Attempt => ({
  sequenceNumber,
  eventTimestamp: attemptedAt - 1,
  attemptedAt,
  outcome: 'delivered',
  statusCode: 200,
  latencyMs: 1,
});

function setup() {
  const webhooks = new FakeWebhooks();
  const deliveries = new FakeLedger();
  const webhook = webhooks.add(webhookRecord());
  return { webhooks, deliveries, webhook, deps: { webhooks, deliveries } };
}
const id = { cacheName: 'c', webhookName: 'w' };

describe('listDeliveries', () => {
  it('pages through every attempt exactly once, newest first, across items of several attempts', async () => {
    const { deps, deliveries, webhook } = setup();
    // 5 invocations of 1–4 attempts each: 13 attempts, every attemptedAt distinct.
    let t = 1000;
    let seq = 0;
    for (const [i, n] of [3, 1, 4, 2, 3].entries()) {
      deliveries.history.push({ webhookId: webhook.webhookId, invocationId: `inv${i}`, attempts: Array.from({ length: n }, () => attempt(++seq, (t += 10))) });
    }
    for (const limit of [1, 2, 3, 5, 13, 100]) {
      const seen: number[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await listDeliveries(deps, id, { limit: String(limit), cursor });
        expect(page.deliveries.length).toBeLessThanOrEqual(limit);
        seen.push(...page.deliveries.map((d) => d.topicSequenceNumber));
        cursor = page.nextCursor ?? undefined;
        pages++;
      } while (cursor && pages < 50);
      expect(seen).toEqual(Array.from({ length: 13 }, (_, i) => 13 - i));
      expect(pages).toBe(Math.ceil(13 / limit));
    }
  });

  it('defaults to 20 and shows each attempt in the documented shape', async () => {
    const { deps, deliveries, webhook } = setup();
    deliveries.history.push({
      webhookId: webhook.webhookId,
      invocationId: 'i',
      attempts: [...Array.from({ length: 25 }, (_, i) => attempt(i + 1, 100 + i)), { ...attempt(0, 5000), test: true, outcome: 'timeout', statusCode: null }],
    });
    const page = await listDeliveries(deps, id, {});
    expect(page.deliveries).toHaveLength(20);
    expect(page.deliveries[0]).toEqual({ topicSequenceNumber: 0, eventTimestamp: 4999, attemptedAt: 5000, outcome: 'timeout', statusCode: null, latencyMs: 1, test: true });
    expect(page.deliveries[1]).toEqual({ topicSequenceNumber: 25, eventTimestamp: 123, attemptedAt: 124, outcome: 'delivered', statusCode: 200, latencyMs: 1 });
    expect(page.nextCursor).toEqual(expect.any(String));
  });

  it('answers an empty last page for a webhook without history', async () => {
    const { deps } = setup();
    expect(await listDeliveries(deps, id, {})).toEqual({ deliveries: [], nextCursor: null });
  });

  it('answers 404 for an unknown webhook', async () => {
    const { deps } = setup();
    await expect(listDeliveries(deps, { cacheName: 'c', webhookName: 'nope' }, {})).rejects.toThrow(NotFoundError);
  });

  it.each(['0', '101', '-1', '1.5', 'ten', '', '007x'])('refuses limit=%j with a 400', async (limit) => {
    const { deps } = setup();
    await expect(listDeliveries(deps, id, { limit })).rejects.toThrow(new InvalidArgumentError('limit must be an integer from 1 to 100'));
  });

  it('refuses a tampered cursor, and a cursor of another or a re-created webhook, with a 400', async () => {
    const { deps, deliveries, webhook, webhooks } = setup();
    deliveries.history.push({ webhookId: webhook.webhookId, invocationId: 'i', attempts: [attempt(1, 10), attempt(2, 20)] });
    const { nextCursor } = await listDeliveries(deps, id, { limit: '1' });
    const cursor = nextCursor!;
    const [payload, mac] = cursor.split('.') as [string, string];
    const forged = Buffer.from(JSON.stringify({ p: '9'.repeat(15), s: 0 })).toString('base64url');
    for (const bad of [`${forged}.${mac}`, `${payload}.${mac.slice(0, -1)}A`, `${payload}x.${mac}`, payload, 'garbage', `${cursor}.x`]) {
      await expect(listDeliveries(deps, id, { cursor: bad })).rejects.toThrow(InvalidArgumentError);
    }
    // Re-created: a new incarnation does not take the old one's cursor.
    await webhooks.delete(id);
    webhooks.add(webhookRecord());
    await expect(listDeliveries(deps, id, { cursor })).rejects.toThrow(InvalidArgumentError);
  });

  it('signs cursors with the key, so a well-formed payload under another key is refused', () => {
    const text = encodeCursor({ p: 'x', s: 1 }, 'key-a');
    expect(decodeCursor(text, 'key-a')).toEqual({ p: 'x', s: 1 });
    expect(() => decodeCursor(text, 'key-b')).toThrow(InvalidArgumentError);
  });
});

describe('testWebhook', () => {
  function pingSetup() {
    const clock = fakeClock();
    const webhooks = new FakeWebhooks();
    const deliveries = new FakeLedger();
    const sender = new FakeSender(clock);
    const webhook = webhooks.add(webhookRecord({ topicName: 'orders', secret: 's3cret' }));
    const rateLimits = new FakeRateLimiter();
    return { webhook, sender, deliveries, clock, deps: { webhooks, deliveries, sender, rateLimits, config: { maxMessageBytes: 8 }, now: clock.now } };
  }

  it('POSTs one signed body with sequence number 0 and the caller tokenId, records it as a test, and answers its outcome', async () => {
    const { deps, sender, deliveries, webhook, clock } = pingSetup();
    sender.outcome = { kind: 'http_error', statusCode: 503, latencyMs: 12 };
    const result = await testWebhook(deps, principal({ tokenId: 'ops' }), id, Buffer.from('hi'));
    expect(result).toEqual({ outcome: 'http_error', statusCode: 503, latencyMs: 12 });
    expect(sender.requests).toHaveLength(1);
    const [request] = sender.requests;
    expect(JSON.parse(request!.body)).toEqual({
      cache: 'c',
      topic: 'orders',
      event_timestamp: clock.now(),
      publish_timestamp: clock.now(),
      topic_sequence_number: 0,
      token_id: 'ops',
      text: 'hi',
    });
    expect(request!.headers['momento-signature']).toBe(signDeliveryBody(request!.body, 's3cret'));
    expect(deliveries.history).toEqual([
      { webhookId: webhook.webhookId, invocationId: expect.any(String), attempts: [expect.objectContaining({ sequenceNumber: 0, test: true, statusCode: 503 })] },
    ]);
  });

  it('sends "test" for an empty body', async () => {
    const { deps, sender } = pingSetup();
    await testWebhook(deps, principal(), id, Buffer.alloc(0));
    expect(JSON.parse(sender.requests[0]!.body)).toMatchObject({ text: 'test', token_id: '' });
  });

  it('refuses an unknown webhook (404) and a bad body (400/413) without sending', async () => {
    const { deps, sender } = pingSetup();
    await expect(testWebhook(deps, principal(), { cacheName: 'c', webhookName: 'nope' }, Buffer.alloc(0))).rejects.toThrow(NotFoundError);
    await expect(testWebhook(deps, principal(), id, Buffer.from([0xff]))).rejects.toThrow(InvalidArgumentError);
    await expect(testWebhook(deps, principal(), id, Buffer.alloc(9, 'x'))).rejects.toThrow(PayloadTooLargeError);
    expect(sender.requests).toHaveLength(0);
  });
});
