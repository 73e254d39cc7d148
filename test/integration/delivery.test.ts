import { createHmac } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SQSEvent } from 'aws-lambda';
import { startLocalService } from '#local/service.ts';
import { runtime } from '#shared/runtime.ts';
import { encodeDeliveryGroup } from '#shared/delivery/queue-message.ts';
import type { DeliveryGroup } from '#shared/delivery/model.ts';
import { DEFAULT_USER_AGENT } from '#shared/config.ts';
import type { WebhookRequestBody } from '@topic-webhooks/client';
import { apiClient, webhookPath, type ApiCaller } from '../helpers/api-client.ts';
import { settle, TestReceiver } from '../helpers/receiver.ts';
import { lambdaContext } from '../helpers/events.ts';

/**
 * The delivery contract (§3) end to end in local mode: real publishes, the real queue poller and
 * delivery handler, real receivers on loopback.
 */
const VISIBILITY_TIMEOUT_SECONDS = 2;

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

async function putWebhook(cache: string, name: string, topic: string, postUrl: string): Promise<string> {
  const res = await api('PUT', webhookPath(cache, name), { body: { topicName: topic, destination: { postUrl } } });
  expect(res.status).toBe(200);
  return (res.json as { secret: string }).secret;
}

async function publish(cache: string, topic: string, text: string | Uint8Array, key?: string): Promise<void> {
  const res = await api('POST', `/topics/${encodeURIComponent(cache)}/${encodeURIComponent(topic)}`, { raw: text, key });
  expect(res.status).toBe(204);
}

const hmac = (secret: string, body: Buffer) => createHmac('sha3-256', secret).update(body).digest('hex');

type Delivered = WebhookRequestBody;

/** The webhook's delivery history, read through its route. */
async function deliveryRecords(cache: string, webhook: string): Promise<Record<string, unknown>[]> {
  const res = await api('GET', `${webhookPath(cache, webhook)}/deliveries`);
  expect(res.status).toBe(200);
  return (res.json as { deliveries: Record<string, unknown>[] }).deliveries;
}

beforeAll(async () => {
  service = await startLocalService({
    port: 0,
    quiet: true,
    env: { MAX_WEBHOOKS_PER_CACHE: '500' },
    queue: { visibilityTimeoutSeconds: VISIBILITY_TIMEOUT_SECONDS },
  });
  api = apiClient(service.url, service.apiKey);
});

afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

afterAll(async () => {
  await service?.stop();
});

describe('delivery', () => {
  it('POSTs one signed body, byte for byte as §3 says, that a Momento receiver verifies', async () => {
    const r = await receiver();
    const cache = unique('sig');
    const key = (
      await api('POST', '/keys', { body: { permissions: ['topics:publish'], caches: [cache], tokenId: 'svc-7' } })
    ).json as { apiKey: string };
    const secret = await putWebhook(cache, 'w', 'news', r.url());
    const text = 'héllo "world"\n😀 </script>';
    const before = Date.now();
    await publish(cache, 'news', text, key.apiKey);
    const [request] = await r.waitFor(1);

    expect(request!.method).toBe('POST');
    expect(request!.headers['content-type']).toBe('application/json');
    expect(request!.headers['user-agent']).toBe(DEFAULT_USER_AGENT);
    expect(request!.headers['momento-signature']).toBe(hmac(secret, request!.body));

    const body = JSON.parse(request!.body.toString('utf8')) as Delivered;
    expect(Object.keys(body)).toEqual([
      'cache', 'topic', 'event_timestamp', 'publish_timestamp', 'topic_sequence_number', 'token_id', 'text',
    ]);
    // Compact JSON, nothing else: re-serialising the parsed fields gives the same bytes.
    expect(request!.body.toString('utf8')).toBe(JSON.stringify(body));
    expect(body).toMatchObject({ cache, topic: 'news', topic_sequence_number: 1, token_id: 'svc-7', text });
    expect(body.event_timestamp).toBeGreaterThanOrEqual(before);
    expect(body.publish_timestamp).toBeGreaterThanOrEqual(body.event_timestamp);
    expect(body.publish_timestamp).toBeLessThanOrEqual(request!.receivedAt);

    // The outcome is written just after the receiver answered.
    await expect.poll(async () => (await deliveryRecords(cache, 'w')).length, { timeout: 10_000 }).toBe(1);
    const [record] = await deliveryRecords(cache, 'w');
    expect(record).toMatchObject({ topicSequenceNumber: 1, outcome: 'delivered', statusCode: 204 });
    expect(JSON.stringify(record)).not.toContain(secret);
  });

  it('numbers messages 1..N per (cache, topic) under concurrent publishers, the same for every webhook', async () => {
    const r = await receiver();
    const cache = unique('seq');
    const other = unique('seq-other');
    await putWebhook(cache, 'a1', 'A', r.url('/a1'));
    await putWebhook(cache, 'a2', 'A', r.url('/a2'));
    await putWebhook(cache, 'b', 'B', r.url('/b'));
    await putWebhook(other, 'a', 'A', r.url('/other'));

    const publishers = 4;
    const perPublisher = 8;
    await Promise.all([
      ...Array.from({ length: publishers }, async (_, p) => {
        for (let i = 0; i < perPublisher; i++) await publish(cache, 'A', `p${p}-${i}`);
      }),
      (async () => {
        for (let i = 0; i < 3; i++) await publish(cache, 'B', `b${i}`);
      })(),
      publish(other, 'A', 'other'),
    ]);
    const total = publishers * perPublisher;
    await r.waitFor(total * 2 + 3 + 1);
    const seqsAt = (path: string) =>
      r.requests
        .filter((q) => q.path === path)
        .map((q) => JSON.parse(q.body.toString()) as Delivered)
        .map((b) => [b.topic_sequence_number, b.text] as const)
        .sort((x, y) => x[0] - y[0]);

    const a1 = seqsAt('/a1');
    expect(a1.map(([n]) => n)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(seqsAt('/a2')).toEqual(a1);
    expect(seqsAt('/b').map(([n]) => n)).toEqual([1, 2, 3]);
    expect(seqsAt('/other').map(([n]) => n)).toEqual([1]);
    // Each publisher's own messages got increasing numbers.
    for (let p = 0; p < publishers; p++) {
      const mine = a1.filter(([, t]) => t.startsWith(`p${p}-`)).map(([, t]) => Number(t.split('-')[1]));
      expect(mine).toEqual([...mine].sort((x, y) => x - y));
    }
  });

  it('attempts a 500, a timeout, a refused connection and a redirect exactly once, never again', { timeout: 30_000 }, async () => {
    const failing = await receiver();
    failing.behaviour = { status: 500 };
    const sleeping = await receiver();
    sleeping.behaviour = { status: 200, delayMs: 6_000 };
    const target = await receiver();
    const redirecting = await receiver();
    redirecting.behaviour = { status: 302, headers: { location: target.url('/moved') } };
    const closed = await TestReceiver.start();
    const refusedUrl = closed.url();
    await closed.close();

    const cache = unique('once');
    await putWebhook(cache, 'failing', 't', failing.url());
    await putWebhook(cache, 'sleeping', 't', sleeping.url());
    await putWebhook(cache, 'redirecting', 't', redirecting.url());
    await putWebhook(cache, 'refused', 't', refusedUrl);
    await publish(cache, 't', 'once');

    await Promise.all([failing.waitFor(1), sleeping.waitFor(1), redirecting.waitFor(1)]);
    // Past the 5 s abort and two visibility timeouts: anything retried would have arrived.
    await settle(5_000 + 2 * VISIBILITY_TIMEOUT_SECONDS * 1000 + 500);
    expect(failing.requests).toHaveLength(1);
    expect(sleeping.requests).toHaveLength(1);
    expect(redirecting.requests).toHaveLength(1);
    expect(target.requests).toHaveLength(0);

    const outcomes = Object.fromEntries(
      await Promise.all(
        ['failing', 'sleeping', 'redirecting', 'refused'].map(async (w) => [w, await deliveryRecords(cache, w)] as const),
      ),
    );
    expect(outcomes.failing).toEqual([expect.objectContaining({ outcome: 'http_error', statusCode: 500 })]);
    expect(outcomes.sleeping).toEqual([expect.objectContaining({ outcome: 'timeout' })]);
    expect(outcomes.redirecting).toEqual([expect.objectContaining({ outcome: 'http_error', statusCode: 302 })]);
    expect(outcomes.refused).toEqual([expect.objectContaining({ outcome: 'connection_refused' })]);
    expect(Number(outcomes.sleeping![0]!.latencyMs)).toBeGreaterThanOrEqual(4_900);
  });

  it('signs the next POST with the rotated secret', async () => {
    const r = await receiver();
    const cache = unique('rotate');
    const first = await putWebhook(cache, 'w', 't', r.url());
    await publish(cache, 't', 'one');
    await r.waitFor(1);
    const rotated = (await api('POST', webhookPath(cache, 'w', '/secret/rotate'))).json as { secret: string };
    await publish(cache, 't', 'two');
    const [, second] = await r.waitFor(2);
    expect(second!.headers['momento-signature']).toBe(hmac(rotated.secret, second!.body));
    expect(second!.headers['momento-signature']).not.toBe(hmac(first, second!.body));
  });

  it('drops messages already queued for a webhook deleted before delivery', async () => {
    const r = await receiver();
    const cache = unique('delete');
    await putWebhook(cache, 'w', 't', r.url());
    await service.pauseDeliveries();
    try {
      await publish(cache, 't', 'queued before delete');
      expect((await api('DELETE', webhookPath(cache, 'w'))).status).toBe(204);
      // Re-created under the same name: a new webhook, which must not get the old message either.
      await putWebhook(cache, 'w', 't', r.url('/new'));
    } finally {
      service.resumeDeliveries();
    }
    await publish(cache, 't', 'after');
    await r.waitFor(1);
    await settle(1_000);
    expect(r.requests.map((q) => [q.path, (JSON.parse(q.body.toString()) as Delivered).text])).toEqual([
      ['/new', 'after'],
    ]);
  });

  it('drops messages already queued for a webhook moved to another topic before delivery', async () => {
    const r = await receiver();
    const cache = unique('move');
    await putWebhook(cache, 'w', 'old', r.url());
    await service.pauseDeliveries();
    try {
      await publish(cache, 'old', 'for the old topic');
      await putWebhook(cache, 'w', 'new', r.url());
    } finally {
      service.resumeDeliveries();
    }
    await publish(cache, 'new', 'for the new topic');
    await r.waitFor(1);
    await settle(1_000);
    expect(r.requests.map((q) => (JSON.parse(q.body.toString()) as Delivered).text)).toEqual(['for the new topic']);
  });

  it('fans one message out to many webhooks, each exactly once', async () => {
    const r = await receiver();
    const cache = unique('fanout');
    const n = 60;
    for (let i = 0; i < n; i++) await putWebhook(cache, `w${i}`, 'big', r.url(`/w${i}`));
    await publish(cache, 'big', 'to everyone');
    await r.waitFor(n);
    await settle(VISIBILITY_TIMEOUT_SECONDS * 1000 + 500);
    expect(r.requests.map((q) => q.path).sort()).toEqual(Array.from({ length: n }, (_, i) => `/w${i}`).sort());
  });
});

describe('the delivery handler', () => {
  const context = lambdaContext('deliver-messages');
  const sqsEvent = (records: { id: string; body: string }[]): SQSEvent => ({
    Records: records.map(({ id, body }) => ({
      messageId: id,
      receiptHandle: id,
      body,
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: String(Date.now()),
        SenderId: 'local',
        ApproximateFirstReceiveTimestamp: String(Date.now()),
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:deliveries',
      awsRegion: 'us-east-1',
    })),
  });

  async function queuedGroup(cache: string, r: TestReceiver, sequenceNumber: number): Promise<DeliveryGroup> {
    await putWebhook(cache, 'w', 't', r.url());
    const record = await runtime().webhooks.get({ cacheName: cache, webhookName: 'w' });
    return {
      cacheName: cache,
      topicName: 't',
      sequenceNumber,
      eventTimestamp: Date.now(),
      tokenId: '',
      text: 'dup',
      group: 0,
      webhooks: [{ webhookName: 'w', webhookId: record!.webhookId }],
    };
  }

  it('POSTs once when SQS hands the same message over twice, even concurrently', async () => {
    const { handler } = await import('#functions/deliver-messages.ts');
    const r = await receiver();
    const body = encodeDeliveryGroup(await queuedGroup(unique('dup'), r, 1));
    const results = await Promise.all([
      handler(sqsEvent([{ id: 'm1', body }]), context),
      handler(sqsEvent([{ id: 'm1', body }]), context),
      handler(sqsEvent([{ id: 'm1', body }, { id: 'm1-again', body }]), context),
    ]);
    expect(results).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }, { batchItemFailures: [] }]);
    await settle(500);
    expect(r.requests).toHaveLength(1);
  });

  it('never POSTs a record claimed by an invocation that crashed after its claim', async () => {
    const { handler } = await import('#functions/deliver-messages.ts');
    const r = await receiver();
    const group = await queuedGroup(unique('crash'), r, 7);
    expect(await runtime().deliveries.claimGroup(group, Date.now())).toBe(true);
    const result = await handler(sqsEvent([{ id: 'm2', body: encodeDeliveryGroup(group) }]), context);
    expect(result).toEqual({ batchItemFailures: [] });
    await settle(500);
    expect(r.requests).toHaveLength(0);
  });

  it('returns malformed records to the queue as batch-item failures', async () => {
    const { handler } = await import('#functions/deliver-messages.ts');
    const result = await handler(sqsEvent([{ id: 'bad', body: '{"v":1}' }, { id: 'worse', body: 'not json' }]), context);
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'bad' }, { itemIdentifier: 'worse' }] });
  });
});
