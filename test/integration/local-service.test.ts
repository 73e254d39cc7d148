import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startLocalService, type LocalService } from '#local/service.ts';
import { apiClient, errorBody } from '../helpers/api-client.ts';

/** Local mode's lifecycle: start and stop twice in one process, one at a time, data kept on disk. */
const running: LocalService[] = [];
const tmpDirs: string[] = [];

async function start(options: Parameters<typeof startLocalService>[0] = {}): Promise<LocalService> {
  const service = await startLocalService({ port: 0, quiet: true, ...options });
  running.push(service);
  return service;
}

afterEach(async () => {
  for (const s of running.splice(0)) await s.stop();
});

afterAll(async () => {
  await Promise.all(tmpDirs.map((d) => rm(d, { recursive: true, force: true })));
});

const putBody = (topicName: string) => ({ topicName, destination: { postUrl: 'http://127.0.0.1:9/hook' } });

describe('local service', () => {
  it('starts, serves, stops, and starts again in the same process', async () => {
    for (let round = 0; round < 2; round++) {
      const service = await start();
      expect(service.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const health = await fetch(`${service.url}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok' });

      const api = apiClient(service.url, service.apiKey);
      expect((await api('PUT', '/webhooks/c/w', { body: putBody('t') })).status).toBe(200);
      // A fresh in-memory table each time.
      expect((await api('GET', '/webhooks/c')).json).toEqual({
        webhooks: [{ id: { cacheName: 'c', webhookName: 'w' }, topicName: 't', destination: { postUrl: 'http://127.0.0.1:9/hook' } }],
      });

      await service.stop();
      running.splice(running.indexOf(service), 1);
      await expect(fetch(`${service.url}/health`)).rejects.toThrow();
    }
  });

  it('refuses a second service while one runs, and stop is idempotent', async () => {
    const first = await start();
    await expect(startLocalService({ port: 0, quiet: true })).rejects.toThrow(/already running/);
    await Promise.all([first.stop(), first.stop()]);
    running.splice(0);
    const second = await start();
    expect((await fetch(`${second.url}/health`)).status).toBe(200);
  });

  it('mints a key with every permission, or accepts the one it is given without minting', async () => {
    const minted = await start();
    expect(minted.mintedKey).toBe(true);
    expect(minted.apiKey).toMatch(/^whk_[A-Za-z0-9_-]{43}$/);
    expect((await apiClient(minted.url, minted.apiKey)('POST', '/keys', { body: { permissions: ['topics:publish'], caches: ['*'] } })).status).toBe(201);
    await minted.stop();
    running.splice(0);

    const given = await start({ devApiKey: 'dev-key-for-tests-0123456789' });
    expect(given.mintedKey).toBe(false);
    expect(given.apiKey).toBe('dev-key-for-tests-0123456789');
    const api = apiClient(given.url, given.apiKey);
    expect((await api('PUT', '/webhooks/c/w', { body: putBody('t') })).status).toBe(200);
    const wrong = await api('GET', '/webhooks/c', { key: 'not-the-key' });
    expect(wrong.status).toBe(401);
    expect(wrong.json).toEqual(errorBody('AUTHENTICATION_ERROR'));
    // Configuration, not a stored key: never listed.
    expect((await api('GET', '/keys')).json).toEqual({ keys: [] });
  });

  it('passes env overrides to the functions', async () => {
    const service = await start({ env: { MAX_WEBHOOKS_PER_CACHE: '1' } });
    const api = apiClient(service.url, service.apiKey);
    expect((await api('PUT', '/webhooks/c/one', { body: putBody('t') })).status).toBe(200);
    const over = await api('PUT', '/webhooks/c/two', { body: putBody('t') });
    expect(over.status).toBe(429);
    expect(over.json).toEqual(errorBody('LIMIT_EXCEEDED_ERROR'));
  });

  it('creates the delivery queue with the redrive policy and visibility timeout it is given', async () => {
    const service = await start({ queue: { visibilityTimeoutSeconds: 7, maxReceiveCount: 3 } });
    const sqs = new SQSClient({ region: 'us-east-1', endpoint: service.sqsEndpoint });
    try {
      const attrs = async (url: string) =>
        (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }))).Attributes ?? {};
      const queue = await attrs(service.queueUrl);
      const dlq = await attrs(service.dlqUrl);
      expect(queue.VisibilityTimeout).toBe('7');
      expect(JSON.parse(queue.RedrivePolicy ?? '{}')).toEqual({ deadLetterTargetArn: dlq.QueueArn, maxReceiveCount: 3 });
    } finally {
      sqs.destroy();
    }
  });

  it('keeps DynamoDB data across restarts with a data directory', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'local-mode-'));
    tmpDirs.push(dataDir);
    const first = await start({ dataDir });
    const firstApi = apiClient(first.url, first.apiKey);
    const put = await firstApi('PUT', '/webhooks/caf%C3%A9/w', { body: putBody('news') });
    expect(put.status).toBe(200);
    const { secret } = put.json as { secret: string };
    await first.stop();
    running.splice(0);

    const second = await start({ dataDir });
    const api = apiClient(second.url, second.apiKey);
    expect((await api('GET', '/webhooks/caf%C3%A9')).json).toEqual({
      webhooks: [{ id: { cacheName: 'café', webhookName: 'w' }, topicName: 'news', destination: { postUrl: 'http://127.0.0.1:9/hook' } }],
    });
    expect((await api('GET', '/webhooks/caf%C3%A9/w/secret')).json).toEqual({ secret, webhookName: 'w', cacheName: 'café' });
    // The old run's minted key was configuration of that run only.
    expect((await api('GET', '/webhooks/c', { key: first.apiKey })).status).toBe(401);
  });
});
