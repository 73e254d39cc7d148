import type { LookupAddress } from 'node:dns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { ensureTable, startDynalite, type RunningEmulator } from '#local/emulators.ts';
import { configureRuntime, runtime } from '#shared/runtime.ts';
import { createWebhookSender, type ConnectOptions, type Connector } from '#shared/http/webhook-sender.ts';
import type { Resolver } from '#shared/destination.ts';
import { DEFAULT_USER_AGENT } from '#shared/config.ts';
import { apiEvent, lambdaContext } from '../helpers/events.ts';

/**
 * The test ping goes through the same guarded sender as a delivery: a webhook whose host name
 * resolves to a private address is refused before any connection. The resolver and the
 * connector are injected; nothing is ever dialled.
 */
const TABLE = 'ping-guard';
const ADMIN_KEY = 'whk_ping-guard-admin';
let dynalite: RunningEmulator;
const dialled: ConnectOptions[] = [];
const connect: Connector = (options) => {
  dialled.push(options);
  throw new Error('no connection may be opened in this test');
};
// Every name resolves to an address of the instance metadata range.
const resolve: Resolver = (_host, _options, callback) => callback(null, [{ address: '169.254.169.254', family: 4 } as LookupAddress]);

type Handler = (event: ReturnType<typeof apiEvent>, context: ReturnType<typeof lambdaContext>) => Promise<APIGatewayProxyResult>;
const handlers: Record<string, Handler> = {};
const invoke = async (name: string, event: Parameters<typeof apiEvent>[0]) => {
  const res = await handlers[name]!(apiEvent({ ...event, headers: { authorization: ADMIN_KEY } }), lambdaContext(name));
  return { status: res.statusCode, json: JSON.parse(res.body || 'null') as Record<string, unknown> };
};

beforeAll(async () => {
  dynalite = await startDynalite();
  const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  await ensureTable(new DynamoDBClient({ endpoint: dynalite.endpoint, region: 'us-east-1', credentials }), TABLE);
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
  const policy = { allowLoopbackHttp: false, allowlist: [] };
  configureRuntime({
    env: { ...process.env, AWS_REGION: 'us-east-1', TABLE_NAME: TABLE, AWS_ENDPOINT_URL_DYNAMODB: dynalite.endpoint },
    devApiKey: ADMIN_KEY,
    sender: createWebhookSender({ policy, userAgent: DEFAULT_USER_AGENT, resolve, connect }),
  });
  for (const name of ['put-webhook', 'test-webhook', 'list-deliveries']) {
    handlers[name] = ((await import(`../../functions/${name}.ts`)) as { handler: Handler }).handler;
  }
});

afterAll(async () => {
  runtime().sender?.close();
  await dynalite?.stop();
});

describe('POST /webhooks/{cacheName}/{webhookName}/test', () => {
  it('refuses a destination that resolves to a private address before connecting, and records it', async () => {
    const path = { cacheName: 'c', webhookName: 'w' };
    const put = await invoke('put-webhook', {
      method: 'PUT',
      resource: '/webhooks/{cacheName}/{webhookName}',
      pathParameters: path,
      body: JSON.stringify({ topicName: 't', destination: { postUrl: 'https://metadata.example.com/hook' } }),
    });
    expect(put.status).toBe(200);
    const ping = await invoke('test-webhook', { method: 'POST', resource: '/webhooks/{cacheName}/{webhookName}/test', pathParameters: path });
    expect(ping).toEqual({ status: 200, json: { outcome: 'destination_refused', statusCode: null, latencyMs: expect.any(Number) } });
    expect(dialled).toEqual([]);
    const listed = await invoke('list-deliveries', { method: 'GET', resource: '/webhooks/{cacheName}/{webhookName}/deliveries', pathParameters: path });
    expect(listed.json).toEqual({
      deliveries: [expect.objectContaining({ topicSequenceNumber: 0, outcome: 'destination_refused', statusCode: null, test: true })],
      nextCursor: null,
    });
  });
});
