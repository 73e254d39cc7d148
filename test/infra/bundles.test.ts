import { fork, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from 'esbuild';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyResult, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { DELIVERY_FUNCTION, HTTP_FUNCTIONS } from '#functions/routes.ts';
import { createDeliveryQueues, ensureTable, startDynalite, startFauxqs, type RunningEmulator } from '#local/emulators.ts';
import { ApiKeyStore } from '#shared/store/api-key-store.ts';
import { createKey } from '#shared/keys/operations.ts';
import { PERMISSIONS } from '#shared/auth/model.ts';
import { functionEntry, stackEsbuildOptions } from '../../infra/bundling.ts';
import { CONSOLE_ASSETS } from '../../console/assets.generated.ts';
import { apiEvent } from '../helpers/events.ts';
import { LOOPBACK_CERT_PATH, loopbackTls, settle, TestReceiver } from '../helpers/receiver.ts';

/**
 * The shipped code, not only the TypeScript: every function is bundled with the stack's own
 * esbuild options, each bundle is held to 300 KB, loaded in a separate Node process the way
 * Lambda loads it (configuration read while the module loads, credentials from the
 * environment), and the publish and delivery bundles are driven end to end against the
 * emulators with API Gateway and SQS events as AWS sends them, to an HTTPS receiver on
 * 127.0.0.1 that the allowlist lets through.
 */
const BUNDLE_LIMIT_BYTES = 300 * 1024;
const FUNCTIONS = [...HTTP_FUNCTIONS, DELIVERY_FUNCTION];
const TABLE = 'bundles';
const credentials = { accessKeyId: 'bundle-test', secretAccessKey: 'bundle-test' };

let outdir: string;
let dynalite: RunningEmulator;
let fauxqs: RunningEmulator;
let sqs: SQSClient;
let queueUrl: string;
let receiver: TestReceiver;
let container: ChildProcess;
let adminKey: string;
const sizes = new Map<string, number>();

let nextId = 0;
const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

/** Invokes a bundle's handler in the container; `event` undefined only loads the bundle. */
function invoke<T>(name: string, event?: unknown): Promise<T> {
  const id = ++nextId;
  return new Promise<T>((resolve, reject) => {
    pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
    container.send({ id, name, event });
  });
}


beforeAll(async () => {
  outdir = await mkdtemp(path.join(os.tmpdir(), 'bundles-'));
  await Promise.all(
    FUNCTIONS.map(async (name) => {
      await build(stackEsbuildOptions(functionEntry(name), path.join(outdir, name)));
      sizes.set(name, (await stat(path.join(outdir, name, 'index.mjs'))).size);
    }),
  );

  [dynalite, fauxqs] = await Promise.all([startDynalite(), startFauxqs()]);
  const dynamo = new DynamoDBClient({ endpoint: dynalite.endpoint, region: 'us-east-1', credentials });
  await ensureTable(dynamo, TABLE);
  sqs = new SQSClient({ endpoint: fauxqs.endpoint, region: 'us-east-1', credentials });
  ({ queueUrl } = await createDeliveryQueues(sqs, { queue: 'bundles-q', deadLetterQueue: 'bundles-dlq' }, {
    visibilityTimeoutSeconds: 1,
    maxReceiveCount: 5,
    dlqRetentionDays: 1,
  }));
  // The first admin key, written to the table as the operator CLI does.
  const apiKeys = new ApiKeyStore(DynamoDBDocumentClient.from(dynamo), TABLE);
  const operator = { keyId: null, permissions: PERMISSIONS, caches: ['*'], tokenId: null, expiresAt: null };
  adminKey = (await createKey({ apiKeys, now: Date.now }, operator, { permissions: [...PERMISSIONS], caches: ['*'], tokenId: 'bundle-admin' })).apiKey;
  dynamo.destroy();

  receiver = await TestReceiver.start({ status: 200 }, loopbackTls());
  container = fork(path.join(import.meta.dirname, '../helpers/lambda-container.mjs'), [outdir], {
    // As Lambda sets it up: the function's name, its region, its role's credentials in the
    // environment, the stack's configuration; the test CA so the HTTPS receiver verifies.
    env: {
      PATH: process.env.PATH,
      AWS_LAMBDA_FUNCTION_NAME: 'bundle-test',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_ENDPOINT_URL_DYNAMODB: dynalite.endpoint,
      AWS_ENDPOINT_URL_SQS: fauxqs.endpoint,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      TABLE_NAME: TABLE,
      QUEUE_URL: queueUrl,
      DESTINATION_ALLOWLIST: '127.0.0.1/32',
      NODE_EXTRA_CA_CERTS: LOOPBACK_CERT_PATH,
      NODE_OPTIONS: '--enable-source-maps',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
    },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  await new Promise<void>((resolve, reject) => {
    container.once('error', reject);
    container.on('message', (message: { ready?: true; id?: number; result?: unknown; error?: string }) => {
      if (message.ready) return resolve();
      const waiter = pending.get(message.id!);
      pending.delete(message.id!);
      if (message.error !== undefined) waiter?.reject(new Error(message.error));
      else waiter?.resolve(message.result);
    });
  });
}, 120_000);

afterAll(async () => {
  container?.kill();
  await receiver?.close();
  sqs?.destroy();
  await Promise.all([dynalite?.stop(), fauxqs?.stop()]);
  if (outdir) await rm(outdir, { recursive: true, force: true });
});

describe('the built Lambda bundles', () => {
  it.each(FUNCTIONS)('%s is at most 300 KB', (name) => {
    expect(sizes.get(name)).toBeGreaterThan(10_000);
    expect(sizes.get(name)).toBeLessThanOrEqual(BUNDLE_LIMIT_BYTES);
  });

  it.each(FUNCTIONS)('%s loads and builds its runtime from the environment, as at a cold start', async (name) => {
    await expect(invoke(name)).resolves.toBeNull();
  });

  it('answers health', async () => {
    const res = await invoke<APIGatewayProxyResult>('health', apiEvent({ method: 'GET', resource: '/health' }));
    expect(res).toMatchObject({ statusCode: 200, body: JSON.stringify({ status: 'ok' }) });
  });

  it('serves the console page and its script from the bundle, the bytes console/build.ts made', async () => {
    const page = await invoke<APIGatewayProxyResult>('serve-console', apiEvent({ method: 'GET', resource: '/console' }));
    expect(page).toMatchObject({ statusCode: 200, body: CONSOLE_ASSETS['']!.body });
    expect(page.headers?.['content-security-policy']).toContain("default-src 'self'");
    const script = await invoke<APIGatewayProxyResult>(
      'serve-console',
      apiEvent({ method: 'GET', resource: '/console/{asset}', pathParameters: { asset: 'app.js' } }),
    );
    expect(script).toMatchObject({ statusCode: 200, body: CONSOLE_ASSETS['app.js']!.body });
  });

  it('puts a webhook, publishes, and delivers once through the publish and delivery bundles, names and text intact', async () => {
    const names = { cacheName: 'café #1 + 100%', webhookName: '注文 hook+%', topicName: 'news #1 +%' };
    const headers = { Authorization: `Bearer ${adminKey}`, 'Content-Type': 'application/json' };
    // apiEvent percent-encodes path parameters, as a REST API (v1) proxy event carries them, and
    // sends bodies base64-encoded (binaryMediaTypes */*).
    const put = await invoke<APIGatewayProxyResult>(
      'put-webhook',
      apiEvent({
        method: 'PUT',
        resource: '/webhooks/{cacheName}/{webhookName}',
        pathParameters: { cacheName: names.cacheName, webhookName: names.webhookName },
        headers,
        body: JSON.stringify({ topicName: names.topicName, destination: { postUrl: receiver.url('/bundle') } }),
      }),
    );
    expect(put.statusCode).toBe(200);
    const { secret } = JSON.parse(put.body) as { secret: string };

    const text = 'hello ✓ 世界 🎉';
    const published = await invoke<APIGatewayProxyResult>(
      'publish-message',
      apiEvent({
        method: 'POST',
        resource: '/topics/{cacheName}/{topicName}',
        pathParameters: { cacheName: names.cacheName, topicName: names.topicName },
        headers: { Authorization: adminKey, 'Content-Type': 'text/plain' },
        body: text,
      }),
    );
    expect(published.statusCode).toBe(204);

    const messages: Message[] = [];
    for (let i = 0; i < 20 && messages.length === 0; i++) {
      const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, AttributeNames: ['All'] }));
      messages.push(...(out.Messages ?? []));
    }
    expect(messages).toHaveLength(1);
    const event = sqsEvent(messages);
    expect(await invoke<SQSBatchResponse>(DELIVERY_FUNCTION, event)).toEqual({ batchItemFailures: [] });

    const [request] = await receiver.waitFor(1);
    expect(request!.path).toBe('/bundle');
    expect(request!.headers['momento-signature']).toBe(createHmac('sha3-256', secret).update(request!.body).digest('hex'));
    expect(JSON.parse(request!.body.toString('utf8'))).toMatchObject({
      cache: names.cacheName,
      topic: names.topicName,
      topic_sequence_number: 1,
      token_id: 'bundle-admin',
      text,
    });

    // SQS hands the same batch over again: the claim holds, nothing is POSTed twice.
    expect(await invoke<SQSBatchResponse>(DELIVERY_FUNCTION, event)).toEqual({ batchItemFailures: [] });
    await settle(300);
    expect(receiver.requests).toHaveLength(1);
    await sqs.send(
      new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }),
    );

    // The history and ping bundles read and write the same ledger.
    const history = await invoke<APIGatewayProxyResult>(
      'list-deliveries',
      apiEvent({
        method: 'GET',
        resource: '/webhooks/{cacheName}/{webhookName}/deliveries',
        pathParameters: { cacheName: names.cacheName, webhookName: names.webhookName },
        headers,
      }),
    );
    expect(JSON.parse(history.body)).toEqual({
      deliveries: [expect.objectContaining({ topicSequenceNumber: 1, outcome: 'delivered', statusCode: 200 })],
      nextCursor: null,
    });
    const ping = await invoke<APIGatewayProxyResult>(
      'test-webhook',
      apiEvent({
        method: 'POST',
        resource: '/webhooks/{cacheName}/{webhookName}/test',
        pathParameters: { cacheName: names.cacheName, webhookName: names.webhookName },
        headers,
      }),
    );
    expect(JSON.parse(ping.body)).toMatchObject({ outcome: 'delivered', statusCode: 200 });
    expect(receiver.requests).toHaveLength(2);
  });

  it('answers an unknown key 401 and a malformed record as a batch-item failure', async () => {
    const denied = await invoke<APIGatewayProxyResult>(
      'list-keys',
      apiEvent({ method: 'GET', resource: '/keys', headers: { Authorization: 'whk_not-a-key' } }),
    );
    expect(denied.statusCode).toBe(401);
    expect(JSON.parse(denied.body)).toEqual({ error: { code: 'AUTHENTICATION_ERROR', message: expect.any(String) } });
    const failed = await invoke<SQSBatchResponse>(DELIVERY_FUNCTION, sqsEvent([{ MessageId: 'bad', Body: '{"v":2}', ReceiptHandle: 'r' }]));
    expect(failed).toEqual({ batchItemFailures: [{ itemIdentifier: 'bad' }] });
  });
});

/** The event the SQS event source hands the delivery function for these messages. */
function sqsEvent(messages: Message[]): SQSEvent {
  return {
    Records: messages.map((m) => ({
      messageId: m.MessageId!,
      receiptHandle: m.ReceiptHandle!,
      body: m.Body!,
      attributes: {
        ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? '1',
        SentTimestamp: m.Attributes?.SentTimestamp ?? String(Date.now()),
        SenderId: m.Attributes?.SenderId ?? 'AIDAEXAMPLE',
        ApproximateFirstReceiveTimestamp: m.Attributes?.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      },
      messageAttributes: {},
      md5OfBody: m.MD5OfBody ?? '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:bundles-q',
      awsRegion: 'us-east-1',
    })),
  };
}
