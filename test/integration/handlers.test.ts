import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { ReceiveMessageCommand, SQSClient, DeleteMessageBatchCommand } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { createDeliveryQueues, ensureTable, startDynalite, startFauxqs, type RunningEmulator } from '#local/emulators.ts';
import { configureRuntime, runtime } from '#shared/runtime.ts';
import { webhookSenderOf } from '#functions/commons/webhook-sender.ts';
import { decodeDeliveryGroup } from '#shared/delivery/queue-message.ts';
import type { DeliveryGroup } from '#shared/delivery/model.ts';
import { apiEvent, lambdaContext } from '../helpers/events.ts';

/**
 * The Lambda handlers invoked directly with API Gateway events, against dynalite and fauxqs
 * in-process: what the stored items and queued messages look like, which black-box tests
 * cannot see.
 */
const TABLE = 'handlers-test';
const ADMIN_KEY = 'whk_integration-admin-key';
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
let dynalite: RunningEmulator;
let fauxqs: RunningEmulator;
let sqs: SQSClient;
let queueUrl: string;

type Handler = (event: ReturnType<typeof apiEvent>, context: ReturnType<typeof lambdaContext>) => Promise<APIGatewayProxyResult>;
const handlers: Record<string, Handler> = {};

async function invoke(name: string, event: Parameters<typeof apiEvent>[0]) {
  const res = await handlers[name]!(apiEvent({ ...event, headers: { Authorization: ADMIN_KEY, ...event.headers } }), lambdaContext(name));
  return { ...res, json: res.body ? (JSON.parse(res.body) as Record<string, unknown>) : undefined };
}

async function tableItems() {
  const out = await runtime().clients.dynamo.send(new ScanCommand({ TableName: TABLE, ConsistentRead: true }));
  return out.Items ?? [];
}

async function drainQueue(): Promise<DeliveryGroup[]> {
  const tasks: DeliveryGroup[] = [];
  for (;;) {
    const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    const messages = out.Messages ?? [];
    if (messages.length === 0) return tasks;
    for (const m of messages) {
      // The wire format is ASCII only, whatever the names and text hold.
      expect(m.Body).toMatch(/^[\x20-\x7e]*$/);
      tasks.push(decodeDeliveryGroup(m.Body!));
    }
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
      }),
    );
  }
}

/** The runtime every test here runs against (one test swaps it for a broken one and back). */
const serviceRuntime = () => ({
  env: {
    ...process.env,
    AWS_REGION: 'us-east-1',
    TABLE_NAME: TABLE,
    QUEUE_URL: queueUrl,
    AWS_ENDPOINT_URL_DYNAMODB: dynalite.endpoint,
    AWS_ENDPOINT_URL_SQS: fauxqs.endpoint,
    MAX_WEBHOOKS_PER_CACHE: '30',
  },
  devApiKey: ADMIN_KEY,
  allowLoopbackHttp: true,
});

const webhookEvent = (method: string, cacheName: string, webhookName: string, body?: unknown) => ({
  method,
  resource: '/webhooks/{cacheName}/{webhookName}',
  pathParameters: { cacheName, webhookName },
  body: body === undefined ? undefined : JSON.stringify(body),
});

beforeAll(async () => {
  [dynalite, fauxqs] = await Promise.all([startDynalite(), startFauxqs()]);
  await ensureTable(new DynamoDBClient({ endpoint: dynalite.endpoint, region: 'us-east-1', credentials }), TABLE);
  sqs = new SQSClient({ endpoint: fauxqs.endpoint, region: 'us-east-1', credentials });
  ({ queueUrl } = await createDeliveryQueues(sqs, { queue: 'handlers-q', deadLetterQueue: 'handlers-dlq' }, {
    visibilityTimeoutSeconds: 30,
    maxReceiveCount: 3,
    dlqRetentionDays: 1,
  }));
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
  configureRuntime(serviceRuntime());
  for (const name of ['put-webhook', 'list-webhooks', 'publish-message', 'rotate-webhook-secret', 'create-key']) {
    handlers[name] = ((await import(`../../functions/${name}.ts`)) as { handler: Handler }).handler;
  }
});

afterAll(async () => {
  webhookSenderOf(runtime()).close();
  await Promise.all([dynalite?.stop(), fauxqs?.stop()]);
});

describe('webhook handlers against dynalite', () => {
  it('stores names as attributes under hashed keys, so delimiter characters cannot collide', async () => {
    await invoke('put-webhook', webhookEvent('PUT', 'a#b', 'c', { topicName: 't', destination: { postUrl: 'https://hooks.example.com/1' } }));
    await invoke('put-webhook', webhookEvent('PUT', 'a', 'b#c', { topicName: 't', destination: { postUrl: 'https://hooks.example.com/2' } }));
    const webhooks = (await tableItems()).filter((i) => String(i.sk).startsWith('WEBHOOK#'));
    const pairs = webhooks.map((i) => [i.cacheName, i.webhookName]).sort();
    expect(pairs).toEqual([['a#b', 'c'], ['a', 'b#c']]);
    expect(new Set(webhooks.map((i) => `${i.pk}|${i.sk}`)).size).toBe(2);
    for (const item of webhooks) {
      expect(item.pk).toMatch(/^CACHE#[A-Za-z0-9_-]{43}$/);
      expect(item.sk).toMatch(/^WEBHOOK#[A-Za-z0-9_-]{43}$/);
    }
  });

  it('decodes percent-encoded path parameters exactly once, as REST APIs deliver them encoded', async () => {
    const put = await handlers['put-webhook']!(
      {
        ...apiEvent({ ...webhookEvent('PUT', 'x', 'y', { topicName: 't', destination: { postUrl: 'https://hooks.example.com/e' } }), headers: { authorization: ADMIN_KEY } }),
        pathParameters: { cacheName: 'caf%C3%A9%20100%25', webhookName: '%2541' },
      },
      lambdaContext(),
    );
    expect(put.statusCode).toBe(200);
    const listed = await invoke('list-webhooks', { method: 'GET', resource: '/webhooks/{cacheName}', pathParameters: { cacheName: 'café 100%' } });
    expect(listed.json).toMatchObject({ webhooks: [{ id: { cacheName: 'café 100%', webhookName: '%41' } }] });
  });

  it.each([
    ['a truncated escape', { cacheName: '%E0%A4%A', webhookName: 'w' }, 'cacheName'],
    ['a non-hex escape', { cacheName: 'c', webhookName: '%zz' }, 'webhookName'],
    ['an invalid UTF-8 sequence', { cacheName: 'c', webhookName: '%FF%FE' }, 'webhookName'],
    ['a lone percent', { cacheName: '%', webhookName: 'w' }, 'cacheName'],
  ])('answers %s in a path parameter with 400 naming it, and writes nothing', async (_label, pathParameters, name) => {
    const before = await tableItems();
    const res = await handlers['put-webhook']!(
      {
        ...apiEvent({ ...webhookEvent('PUT', 'x', 'y', { topicName: 't', destination: { postUrl: 'https://hooks.example.com/e' } }), headers: { authorization: ADMIN_KEY } }),
        pathParameters,
      },
      lambdaContext(),
    );
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body)).toEqual({ error: { code: 'INVALID_ARGUMENT_ERROR', message: `${name} is not valid percent-encoding` } });
    expect(await tableItems()).toEqual(before);
  });

  it('keeps the secret on update, and the list response never carries it', async () => {
    const body = { topicName: 't', destination: { postUrl: 'https://hooks.example.com/x' } };
    const first = await invoke('put-webhook', webhookEvent('PUT', 'keep', 'w', body));
    const second = await invoke('put-webhook', webhookEvent('PUT', 'keep', 'w', { ...body, topicName: 'u' }));
    expect(second.json).toEqual(first.json);
    const listed = await invoke('list-webhooks', { method: 'GET', resource: '/webhooks/{cacheName}', pathParameters: { cacheName: 'keep' } });
    expect(listed.body).not.toContain((first.json as { secret: string }).secret);
    expect(listed.json).toEqual({
      webhooks: [{ id: { cacheName: 'keep', webhookName: 'w' }, topicName: 'u', destination: { postUrl: 'https://hooks.example.com/x' } }],
    });
  });

  it.each([
    ['malformed JSON', '{"topicName"'],
    ['a JSON array', '[]'],
    ['a refused destination', JSON.stringify({ topicName: 't', destination: { postUrl: 'https://[::ffff:169.254.169.254]/' } })],
    ['a huge body', JSON.stringify({ topicName: 't'.repeat(300_000), destination: { postUrl: 'https://hooks.example.com' } })],
  ])('writes nothing for %s', async (_label, body) => {
    const before = await tableItems();
    const res = await handlers['put-webhook']!(
      apiEvent({ ...webhookEvent('PUT', 'rejected', 'w'), body, headers: { authorization: ADMIN_KEY } }),
      lambdaContext(),
    );
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'INVALID_ARGUMENT_ERROR' } });
    expect(await tableItems()).toEqual(before);
  });

  it('answers an unexpected failure with a plain 500 that shows no details', async () => {
    const original = runtime();
    configureRuntime({
      env: { ...process.env, TABLE_NAME: 'no-such-table', AWS_ENDPOINT_URL_DYNAMODB: dynalite.endpoint },
      devApiKey: ADMIN_KEY,
    });
    try {
      const res = await handlers['list-webhooks']!(
        apiEvent({ method: 'GET', resource: '/webhooks/{cacheName}', pathParameters: { cacheName: 'c' }, headers: { authorization: ADMIN_KEY } }),
        lambdaContext(),
      );
      expect(res.statusCode).toBe(500);
      expect(JSON.parse(res.body)).toEqual({
        error: { code: 'INTERNAL_SERVER_ERROR', message: 'the service could not complete the request' },
      });
    } finally {
      configureRuntime({ ...serviceRuntime(), clients: original.clients });
    }
  });
});

describe('publish handler against dynalite and fauxqs', () => {
  it('queues one group per ten webhooks, every webhook in exactly one, the text once per group', async () => {
    await drainQueue();
    const n = 23;
    for (let i = 0; i < n; i++) {
      const res = await invoke('put-webhook', webhookEvent('PUT', 'fan', `w${i}`, { topicName: 'news', destination: { postUrl: `http://127.0.0.1:9/${i}` } }));
      expect(res.statusCode).toBe(200);
    }
    await invoke('put-webhook', webhookEvent('PUT', 'fan', 'elsewhere', { topicName: 'sports', destination: { postUrl: 'http://127.0.0.1:9/x' } }));
    const key = await invoke('create-key', {
      method: 'POST',
      resource: '/keys',
      body: JSON.stringify({ permissions: ['topics:publish'], caches: ['fan'], tokenId: 'svc' }),
    });
    const res = await handlers['publish-message']!(
      apiEvent({
        method: 'POST',
        resource: '/topics/{cacheName}/{topicName}',
        pathParameters: { cacheName: 'fan', topicName: 'news' },
        headers: { authorization: `Bearer ${(key.json as { apiKey: string }).apiKey}` },
        body: 'breaking ✓',
      }),
      lambdaContext(),
    );
    expect(res.statusCode).toBe(204);

    const groups = await drainQueue();
    expect(groups.map((g) => g.group).sort()).toEqual([0, 1, 2]);
    expect(groups.map((g) => g.webhooks.length).sort((a, b) => a - b)).toEqual([3, 10, 10]);
    const names = groups.flatMap((g) => g.webhooks.map((w) => w.webhookName));
    expect(names.sort()).toEqual(Array.from({ length: n }, (_, i) => `w${i}`).sort());
    for (const group of groups) {
      expect(group).toMatchObject({ cacheName: 'fan', topicName: 'news', sequenceNumber: 1, tokenId: 'svc', text: 'breaking ✓' });
      expect(JSON.stringify(group)).not.toMatch(/secret|postUrl/);
    }
  });

  it('takes a sequence number even with no webhooks', async () => {
    const publish = () =>
      invoke('publish-message', {
        method: 'POST',
        resource: '/topics/{cacheName}/{topicName}',
        pathParameters: { cacheName: 'empty', topicName: 'quiet' },
        body: 'x',
      });
    expect((await publish()).statusCode).toBe(204);
    await invoke('put-webhook', webhookEvent('PUT', 'empty', 'late', { topicName: 'quiet', destination: { postUrl: 'http://127.0.0.1:9/' } }));
    await drainQueue();
    expect((await publish()).statusCode).toBe(204);
    expect((await drainQueue()).map((t) => t.sequenceNumber)).toEqual([2]);
  });
});
