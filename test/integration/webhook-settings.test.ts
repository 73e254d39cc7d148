import { createHmac } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Webhook as StandardWebhook, WebhookVerificationError } from 'standardwebhooks';
import { startLocalService } from '#local/service.ts';
import { apiClient, errorBody, webhookPath, type ApiCaller } from '../helpers/api-client.ts';
import { settle, TestReceiver, type ReceivedRequest } from '../helpers/receiver.ts';

/**
 * The optional webhook settings end to end in local mode: real puts, publishes, the real
 * delivery handler and receivers on loopback. Standard Webhooks deliveries are verified by the
 * `standardwebhooks` library (the reference implementation, not ours), rate limits by what
 * the receiver saw and what the history recorded.
 */
let service: Awaited<ReturnType<typeof startLocalService>>;
let api: ApiCaller;
const receivers: TestReceiver[] = [];
let counter = 0;
const unique = (name: string) => `${name}-${++counter}`;

async function receiver(): Promise<TestReceiver> {
  const r = await TestReceiver.start();
  receivers.push(r);
  return r;
}

async function put(cache: string, name: string, body: Record<string, unknown>): Promise<string> {
  const res = await api('PUT', webhookPath(cache, name), { body: { topicName: 't', ...body } });
  expect(res.status, res.text).toBe(200);
  return (res.json as { secret: string }).secret;
}

async function listed(cache: string): Promise<unknown[]> {
  return ((await api('GET', webhookPath(cache))).json as { webhooks: unknown[] }).webhooks;
}

async function publish(cache: string, text: string): Promise<void> {
  expect((await api('POST', `/topics/${encodeURIComponent(cache)}/t`, { raw: text })).status).toBe(204);
}

async function secretOf(cache: string, name: string): Promise<{ secret: string; standardWebhooksSecret?: string }> {
  return (await api('GET', webhookPath(cache, name, '/secret'))).json as { secret: string; standardWebhooksSecret?: string };
}

async function history(cache: string, name: string): Promise<{ outcome: string; statusCode: number | null; attemptedAt: number }[]> {
  const res = await api('GET', `${webhookPath(cache, name)}/deliveries?limit=100`);
  return (res.json as { deliveries: { outcome: string; statusCode: number | null; attemptedAt: number }[] }).deliveries;
}

const headersOf = (request: ReceivedRequest): Record<string, string> =>
  Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k, String(v)]));
const momentoSignature = (secret: string, body: Buffer) => createHmac('sha3-256', secret).update(body).digest('hex');

beforeAll(async () => {
  service = await startLocalService({ port: 0, quiet: true, env: {} });
  api = apiClient(service.url, service.apiKey);
});

afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

afterAll(async () => {
  await service?.stop();
});

describe('settings on put', () => {
  it('take their defaults on a create, stay as they are when a put leaves them out, and change when it gives them', async () => {
    const cache = unique('settings');
    const destination = { postUrl: 'https://hooks.example.com/a' };
    const id = (webhookName: string) => ({ cacheName: cache, webhookName });

    await put(cache, 'plain', { destination });
    await put(cache, 'tuned', { destination, standardWebhooks: true, rateLimitPerSecond: 7 });
    // Defaults are left out of the list: a Momento client sees exactly Momento's shape.
    expect(await listed(cache)).toEqual([
      { id: id('plain'), topicName: 't', destination },
      { id: id('tuned'), topicName: 't', destination, standardWebhooks: true, rateLimitPerSecond: 7 },
    ]);

    const secret = (await secretOf(cache, 'tuned')).secret;
    await put(cache, 'tuned', { topicName: 'moved', destination });
    expect(await listed(cache)).toContainEqual({ id: id('tuned'), topicName: 'moved', destination, standardWebhooks: true, rateLimitPerSecond: 7 });
    expect((await secretOf(cache, 'tuned')).secret).toBe(secret);

    await put(cache, 'tuned', { destination, rateLimitPerSecond: null });
    expect(await listed(cache)).toContainEqual({ id: id('tuned'), topicName: 't', destination, standardWebhooks: true });
    await put(cache, 'tuned', { destination, standardWebhooks: false, rateLimitPerSecond: 1000 });
    expect(await listed(cache)).toContainEqual({ id: id('tuned'), topicName: 't', destination, rateLimitPerSecond: 1000 });
    expect(await secretOf(cache, 'tuned')).not.toHaveProperty('standardWebhooksSecret');
  });

  it.each([
    [{ standardWebhooks: 'yes' }, 'standardWebhooks'],
    [{ standardWebhooks: null }, 'standardWebhooks'],
    [{ rateLimitPerSecond: 0 }, 'rateLimitPerSecond'],
    [{ rateLimitPerSecond: 1001 }, 'rateLimitPerSecond'],
    [{ rateLimitPerSecond: 2.5 }, 'rateLimitPerSecond'],
    [{ rateLimitPerSecond: '5' }, 'rateLimitPerSecond'],
    [{ rateLimitPerSecond: -1 }, 'rateLimitPerSecond'],
  ])('refuses %j with a 400 naming %s, and changes nothing', async (settings, field) => {
    const cache = unique('bad-settings');
    const destination = { postUrl: 'https://hooks.example.com/a' };
    await put(cache, 'kept', { destination, rateLimitPerSecond: 3 });
    for (const name of ['kept', 'new']) {
      const res = await api('PUT', webhookPath(cache, name), { body: { topicName: 'other', destination, ...settings } });
      expect(res.status).toBe(400);
      expect(res.json).toEqual(errorBody('INVALID_ARGUMENT_ERROR'));
      expect(res.text).toContain(field);
    }
    expect(await listed(cache)).toEqual([{ id: { cacheName: cache, webhookName: 'kept' }, topicName: 't', destination, rateLimitPerSecond: 3 }]);
  });
});

describe('Standard Webhooks', () => {
  it('signs each delivery so that the standardwebhooks library verifies it, beside an unchanged body and momento-signature', async () => {
    const r = await receiver();
    const cache = unique('sw');
    const secret = await put(cache, 'sw', { destination: { postUrl: r.url('/sw') }, standardWebhooks: true });
    await put(cache, 'plain', { destination: { postUrl: r.url('/plain') } });
    const { standardWebhooksSecret } = await secretOf(cache, 'sw');
    expect(standardWebhooksSecret).toBe(`whsec_${Buffer.from(secret, 'utf8').toString('base64')}`);

    await publish(cache, 'héllo 😀');
    await publish(cache, 'second');
    const requests = await r.waitFor(4);
    const signed = requests.filter((q) => q.path === '/sw');
    const verifier = new StandardWebhook(standardWebhooksSecret!);
    for (const request of signed) {
      const body = JSON.parse(request.body.toString('utf8')) as { publish_timestamp: number; text: string };
      expect(verifier.verify(request.body.toString('utf8'), headersOf(request))).toEqual(body);
      expect(request.headers['momento-signature']).toBe(momentoSignature(secret, request.body));
      expect(request.headers['webhook-id']).toMatch(/^msg_[A-Za-z0-9_-]+$/);
      expect(request.headers['webhook-timestamp']).toBe(String(Math.floor(body.publish_timestamp / 1000)));
      expect(request.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    }
    // One id per (message, webhook).
    expect(new Set(signed.map((q) => q.headers['webhook-id'])).size).toBe(2);
    // The same message to the plain webhook: the same body bytes, no Standard Webhooks headers.
    const plain = requests.filter((q) => q.path === '/plain');
    expect(plain).toHaveLength(2);
    for (const request of plain) {
      expect(Object.keys(request.headers).filter((h) => h.startsWith('webhook-'))).toEqual([]);
      const twin = signed.find((q) => JSON.parse(q.body.toString()).text === JSON.parse(request.body.toString()).text)!;
      expect({ ...JSON.parse(request.body.toString()), publish_timestamp: 0 }).toEqual({ ...JSON.parse(twin.body.toString()), publish_timestamp: 0 });
    }
  });

  it('refuses a delivery whose body or headers were altered (the verifier is not a rubber stamp)', async () => {
    const r = await receiver();
    const cache = unique('sw-tamper');
    await put(cache, 'sw', { destination: { postUrl: r.url() }, standardWebhooks: true });
    const { standardWebhooksSecret } = await secretOf(cache, 'sw');
    await publish(cache, 'original');
    const [request] = await r.waitFor(1);
    const verifier = new StandardWebhook(standardWebhooksSecret!);
    const body = request!.body.toString('utf8');
    const headers = headersOf(request!);
    expect(() => verifier.verify(body.replace('original', 'altered!'), headers)).toThrow(WebhookVerificationError);
    expect(() => verifier.verify(body, { ...headers, 'webhook-id': `${headers['webhook-id']}x` })).toThrow(WebhookVerificationError);
    expect(() => new StandardWebhook(`whsec_${Buffer.from('another secret').toString('base64')}`).verify(body, headers)).toThrow(WebhookVerificationError);
  });

  it('signs a test ping the same way, with an id of its own', async () => {
    const r = await receiver();
    const cache = unique('sw-ping');
    await put(cache, 'sw', { destination: { postUrl: r.url() }, standardWebhooks: true });
    const { standardWebhooksSecret } = await secretOf(cache, 'sw');
    for (let i = 0; i < 2; i++) {
      expect((await api('POST', webhookPath(cache, 'sw', '/test'), { raw: 'ping' })).json).toMatchObject({ outcome: 'delivered' });
    }
    const pings = await r.waitFor(2);
    for (const ping of pings) expect(new StandardWebhook(standardWebhooksSecret!).verify(ping.body.toString(), headersOf(ping))).toMatchObject({ text: 'ping' });
    expect(pings[0]!.headers['webhook-id']).not.toBe(pings[1]!.headers['webhook-id']);
  });
});

describe('rotation grace', () => {
  it('signs webhook-signature with the new and the old secret while the grace lasts, momento-signature with the new one only', async () => {
    const r = await receiver();
    const cache = unique('grace');
    const oldSecret = await put(cache, 'w', { destination: { postUrl: r.url() }, standardWebhooks: true });
    const oldWhsec = (await secretOf(cache, 'w')).standardWebhooksSecret!;
    const rotated = await api('POST', webhookPath(cache, 'w', '/secret/rotate'), { body: { graceSeconds: 3600 } });
    expect(rotated.status).toBe(200);
    const { secret: newSecret, standardWebhooksSecret: newWhsec } = rotated.json as { secret: string; standardWebhooksSecret: string };
    expect(newSecret).not.toBe(oldSecret);
    expect(newWhsec).toBe(`whsec_${Buffer.from(newSecret).toString('base64')}`);

    await publish(cache, 'during the grace');
    const [request] = await r.waitFor(1);
    const body = request!.body.toString('utf8');
    const headers = headersOf(request!);
    const [first, second, ...rest] = headers['webhook-signature']!.split(' ');
    expect(rest).toEqual([]);
    // New first: a verifier that knows only the new secret finds it, and so does one that still has the old.
    const only = (signature: string) => ({ ...headers, 'webhook-signature': signature });
    expect(() => new StandardWebhook(newWhsec).verify(body, only(first!))).not.toThrow();
    expect(() => new StandardWebhook(oldWhsec).verify(body, only(second!))).not.toThrow();
    expect(() => new StandardWebhook(oldWhsec).verify(body, headers)).not.toThrow();
    expect(request!.headers['momento-signature']).toBe(momentoSignature(newSecret, request!.body));
  });

  it('ends the grace when it runs out, and a rotate without grace drops the old secret at once', async () => {
    const r = await receiver();
    const cache = unique('grace-end');
    await put(cache, 'w', { destination: { postUrl: r.url() }, standardWebhooks: true });
    const first = (await secretOf(cache, 'w')).standardWebhooksSecret!;
    expect((await api('POST', webhookPath(cache, 'w', '/secret/rotate'), { body: { graceSeconds: 1 } })).status).toBe(200);
    await settle(1_100);
    await publish(cache, 'after the grace');
    const second = (await secretOf(cache, 'w')).standardWebhooksSecret!;
    // An empty body is no grace, as is {} or {"graceSeconds":0}.
    expect((await api('POST', webhookPath(cache, 'w', '/secret/rotate'))).status).toBe(200);
    await publish(cache, 'after a rotate without grace');

    const requests = await r.waitFor(2);
    for (const request of requests) expect(String(request.headers['webhook-signature']).split(' ')).toHaveLength(1);
    const [late, rotatedAgain] = requests.sort((a, b) => a.receivedAt - b.receivedAt);
    expect(() => new StandardWebhook(first).verify(late!.body.toString(), headersOf(late!))).toThrow(WebhookVerificationError);
    expect(() => new StandardWebhook(second).verify(late!.body.toString(), headersOf(late!))).not.toThrow();
    expect(() => new StandardWebhook(second).verify(rotatedAgain!.body.toString(), headersOf(rotatedAgain!))).toThrow(WebhookVerificationError);
  });

  it.each([
    [{ graceSeconds: -1 }, 'graceSeconds'],
    [{ graceSeconds: 86_401 }, 'graceSeconds'],
    [{ graceSeconds: 1.5 }, 'graceSeconds'],
    [{ graceSeconds: '60' }, 'graceSeconds'],
    ['[1]', 'the body must be a JSON object'],
    ['{"graceSeconds":', 'not valid JSON'],
  ])('refuses %j with a 400 naming %s, keeping the secret', async (body, field) => {
    const cache = unique('grace-bad');
    const secret = await put(cache, 'w', { destination: { postUrl: 'https://hooks.example.com/' } });
    const res = await api('POST', webhookPath(cache, 'w', '/secret/rotate'), typeof body === 'string' ? { raw: body } : { body });
    expect(res.status).toBe(400);
    expect(res.text).toContain(field);
    expect((await secretOf(cache, 'w')).secret).toBe(secret);
  });
});

describe('rate limits', () => {
  it('POSTs at most rateLimitPerSecond in each second and records the rest as rate_limited, unsent', async () => {
    const [r, free] = [await receiver(), await receiver()];
    const cache = unique('rate');
    const limit = 2;
    await put(cache, 'limited', { destination: { postUrl: r.url() }, rateLimitPerSecond: limit });
    await put(cache, 'free', { destination: { postUrl: free.url() } });
    const messages = 12;
    await Promise.all(Array.from({ length: messages }, (_, i) => publish(cache, `m${i}`)));

    await free.waitFor(messages);
    await expect.poll(async () => (await history(cache, 'limited')).length, { timeout: 15_000 }).toBe(messages);
    const attempts = await history(cache, 'limited');
    const delivered = attempts.filter((a) => a.outcome === 'delivered');
    const limited = attempts.filter((a) => a.outcome === 'rate_limited');
    expect(delivered.length + limited.length).toBe(messages);
    expect(limited.every((a) => a.statusCode === null)).toBe(true);
    // Every POST the receiver got is a recorded `delivered`, at most `limit` in any second of the clock.
    expect(r.requests).toHaveLength(delivered.length);
    const perSecond = new Map<number, number>();
    for (const a of delivered) perSecond.set(Math.floor(a.attemptedAt / 1000), (perSecond.get(Math.floor(a.attemptedAt / 1000)) ?? 0) + 1);
    expect(Math.max(...perSecond.values())).toBeLessThanOrEqual(limit);
    // 12 deliveries cannot all fit unless they spread over six seconds; they arrive within far less.
    expect(limited.length).toBeGreaterThan(0);
    expect((await history(cache, 'free')).every((a) => a.outcome === 'delivered')).toBe(true);
  });

  it('limits test pings too: the ping over the limit answers rate_limited and sends nothing', async () => {
    const r = await receiver();
    const cache = unique('rate-ping');
    await put(cache, 'w', { destination: { postUrl: r.url() }, rateLimitPerSecond: 1 });
    const outcomes: unknown[] = [];
    for (let i = 0; i < 3; i++) outcomes.push((await api('POST', webhookPath(cache, 'w', '/test'))).json);
    // Three pings in a row span at most two seconds: at least one is over the limit of 1.
    expect(outcomes).toContainEqual({ outcome: 'rate_limited', statusCode: null, latencyMs: 0 });
    const sent = outcomes.filter((o) => (o as { outcome: string }).outcome === 'delivered').length;
    await settle(200);
    expect(r.requests).toHaveLength(sent);
  });
});
