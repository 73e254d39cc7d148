import { createHmac } from 'node:crypto';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startLocalService, type LocalService } from '#local/service.ts';
import type { WebhookRequestBody } from '@topic-webhooks/client';
import { apiClient, errorBody, webhookPath, type ApiCaller } from '../helpers/api-client.ts';
import { settle, TestReceiver, type ReceivedRequest } from '../helpers/receiver.ts';

/**
 * Grouped fan-out, group claims, the delivery history and the test ping, end to end in local
 * mode: real HTTP in, real receivers on 127.0.0.1 out.
 */
let service: LocalService | undefined;
let receiver: TestReceiver | undefined;

afterEach(async () => {
  await service?.stop();
  service = undefined;
  await receiver?.close();
  receiver = undefined;
});
afterAll(async () => {
  await service?.stop();
});

async function start(env: Record<string, string> = {}): Promise<{ api: ApiCaller; r: TestReceiver; svc: LocalService }> {
  service = await startLocalService({ port: 0, quiet: true, env: { MAX_WEBHOOKS_PER_CACHE: '50', ...env } });
  receiver = await TestReceiver.start();
  return { api: apiClient(service.url, service.apiKey), r: receiver, svc: service };
}

const sign = (secret: string, body: Buffer) => createHmac('sha3-256', secret).update(body).digest('hex');
const bodyOf = (request: ReceivedRequest) => JSON.parse(request.body.toString('utf8')) as WebhookRequestBody;

async function put(api: ApiCaller, cache: string, name: string, topic: string, url: string): Promise<string> {
  const res = await api('PUT', webhookPath(cache, name), { body: { topicName: topic, destination: { postUrl: url } } });
  expect(res.status).toBe(200);
  return (res.json as { secret: string }).secret;
}

async function publish(api: ApiCaller, cache: string, topic: string, text: string, key?: string) {
  const res = await api('POST', `/topics/${encodeURIComponent(cache)}/${encodeURIComponent(topic)}`, { raw: text, key });
  expect(res.status).toBe(204);
}

async function history(api: ApiCaller, cache: string, name: string, query = '') {
  const res = await api('GET', `${webhookPath(cache, name)}/deliveries${query}`);
  return res;
}

describe.each([1, 3, 10])('with DELIVERY_GROUP_SIZE=%i', (groupSize) => {
  it('delivers each (message, webhook) exactly once, every webhook with the same sequence numbers', async () => {
    const { api, r } = await start({ DELIVERY_GROUP_SIZE: String(groupSize) });
    const webhooks = Array.from({ length: 7 }, (_, i) => `w${i}`);
    const secrets = new Map<string, string>();
    for (const name of webhooks) secrets.set(name, await put(api, 'groups', name, 'news', r.url(`/${name}`)));
    const messages = 5;
    await Promise.all(Array.from({ length: messages }, (_, i) => publish(api, 'groups', 'news', `m${i}`)));

    await r.waitFor(webhooks.length * messages);
    await settle(500);
    expect(r.requests).toHaveLength(webhooks.length * messages);
    const seen = new Map<string, number[]>();
    const textBySequence = new Map<number, string>();
    for (const request of r.requests) {
      const name = request.path.slice(1);
      expect(request.headers['momento-signature']).toBe(sign(secrets.get(name)!, request.body));
      const body = bodyOf(request);
      seen.set(name, [...(seen.get(name) ?? []), body.topic_sequence_number]);
      // The same number carries the same message for every webhook.
      expect(textBySequence.get(body.topic_sequence_number) ?? body.text).toBe(body.text);
      textBySequence.set(body.topic_sequence_number, body.text);
    }
    expect([...seen.keys()].sort()).toEqual(webhooks);
    for (const numbers of seen.values()) expect(numbers.sort()).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('delivery in local mode', () => {
  it('honours a delete, a rotate and a move after publish per webhook inside one group', async () => {
    const { api, r, svc } = await start({ DELIVERY_GROUP_SIZE: '10' });
    const secrets: Record<string, string> = {};
    for (const name of ['kept', 'deleted', 'rotated', 'moved']) secrets[name] = await put(api, 'mix', name, 'news', r.url(`/${name}`));
    await svc.pauseDeliveries();
    await publish(api, 'mix', 'news', 'queued before the changes');
    expect((await api('DELETE', webhookPath('mix', 'deleted'))).status).toBe(204);
    const rotated = await api('POST', webhookPath('mix', 'rotated', '/secret/rotate'));
    const newSecret = (rotated.json as { secret: string }).secret;
    await put(api, 'mix', 'moved', 'sports', r.url('/moved'));
    svc.resumeDeliveries();

    await r.waitFor(2);
    await settle(500);
    expect(r.requests.map((q) => q.path).sort()).toEqual(['/kept', '/rotated']);
    const byPath = Object.fromEntries(r.requests.map((q) => [q.path, q]));
    expect(byPath['/kept']!.headers['momento-signature']).toBe(sign(secrets.kept!, byPath['/kept']!.body));
    expect(byPath['/rotated']!.headers['momento-signature']).toBe(sign(newSecret, byPath['/rotated']!.body));
    expect(newSecret).not.toBe(secrets.rotated);
  });

  it('publishes and delivers exactly when names and tokenId hold emoji, CJK and U+FFFF', async () => {
    const { api, r } = await start();
    const cache = 'café 🎉 キャッシュ';
    const topic = '注文\uffff🎉';
    const name = 'フック 🎉\uffff';
    const secret = await put(api, cache, name, topic, r.url('/odd'));
    const created = await api('POST', '/keys', { body: { permissions: ['topics:publish'], caches: [cache], tokenId: 'party 🎉 \uffff 東京' } });
    expect(created.status).toBe(201);
    const text = 'hello 🎉 世界 \uffff';
    await publish(api, cache, topic, text, (created.json as { apiKey: string }).apiKey);
    const [request] = await r.waitFor(1);
    expect(request!.headers['momento-signature']).toBe(sign(secret, request!.body));
    expect(bodyOf(request!)).toMatchObject({ cache, topic, token_id: 'party 🎉 \uffff 東京', text, topic_sequence_number: 1 });
  });

  it('lists the history newest first, pages through every attempt once, and refuses a tampered cursor', async () => {
    const { api, r } = await start();
    await put(api, 'hist', 'w', 'news', r.url('/w'));
    r.behaviour = { status: 503 };
    // One at a time, each delivered before the next: the attempts are made in publish order.
    for (let i = 1; i <= 7; i++) {
      await publish(api, 'hist', 'news', `m${i}`);
      await r.waitFor(i);
    }
    await expect.poll(async () => ((await history(api, 'hist', 'w', '?limit=100')).json as { deliveries: unknown[] }).deliveries.length, { timeout: 10_000 }).toBe(7);

    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await history(api, 'hist', 'w', `?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(res.status).toBe(200);
      const page = res.json as { deliveries: { topicSequenceNumber: number; outcome: string; statusCode: number; attemptedAt: number }[]; nextCursor: string | null };
      for (const d of page.deliveries) expect(d).toMatchObject({ outcome: 'http_error', statusCode: 503 });
      seen.push(...page.deliveries.map((d) => d.topicSequenceNumber));
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect([...seen].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    // Newest first.
    expect(seen).toEqual([7, 6, 5, 4, 3, 2, 1]);

    const first = (await history(api, 'hist', 'w', '?limit=3')).json as { nextCursor: string };
    const tampered = `${first.nextCursor.slice(0, -2)}${first.nextCursor.endsWith('A') ? 'BB' : 'AA'}`;
    const bad = await history(api, 'hist', 'w', `?cursor=${encodeURIComponent(tampered)}`);
    expect(bad.status).toBe(400);
    expect(bad.json).toEqual(errorBody('INVALID_ARGUMENT_ERROR'));
    expect((await history(api, 'hist', 'w', '?limit=0')).status).toBe(400);
    expect((await history(api, 'hist', 'nope')).json).toEqual(errorBody('NOT_FOUND_ERROR'));

    // No body, URL or secret in the history.
    const all = (await history(api, 'hist', 'w', '?limit=100')).text;
    expect(all).not.toMatch(/m[0-9]|127\.0\.0\.1|secret/);

    // Deleted and created again: an empty history.
    await api('DELETE', webhookPath('hist', 'w'));
    await put(api, 'hist', 'w', 'news', r.url('/w'));
    expect((await history(api, 'hist', 'w')).json).toEqual({ deliveries: [], nextCursor: null });
  });

  it('pings a webhook: one signed POST with sequence number 0, its outcome in the answer and in the history', async () => {
    const { api, r } = await start();
    const secret = await put(api, 'ping', 'w', 'orders', r.url('/w'));
    const res = await api('POST', webhookPath('ping', 'w', '/test'), { raw: 'ping ✓' });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ outcome: 'delivered', statusCode: 204, latencyMs: expect.any(Number) });
    expect(r.requests).toHaveLength(1);
    const [request] = r.requests;
    expect(request!.headers['momento-signature']).toBe(sign(secret, request!.body));
    expect(bodyOf(request!)).toMatchObject({ cache: 'ping', topic: 'orders', topic_sequence_number: 0, token_id: '', text: 'ping ✓' });

    const empty = await api('POST', webhookPath('ping', 'w', '/test'));
    expect(empty.status).toBe(200);
    expect(bodyOf(r.requests[1]!).text).toBe('test');

    const listed = (await history(api, 'ping', 'w')).json as { deliveries: Record<string, unknown>[] };
    expect(listed.deliveries).toEqual([
      expect.objectContaining({ topicSequenceNumber: 0, outcome: 'delivered', statusCode: 204, test: true }),
      expect.objectContaining({ topicSequenceNumber: 0, outcome: 'delivered', statusCode: 204, test: true }),
    ]);
    expect((await api('POST', webhookPath('ping', 'nope', '/test'))).status).toBe(404);
    // A ping takes no sequence number: the first publish is still number 1.
    await publish(api, 'ping', 'orders', 'first');
    const [, , delivered] = await r.waitFor(3);
    expect(bodyOf(delivered!).topic_sequence_number).toBe(1);
  });
});
