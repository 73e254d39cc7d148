import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalService, type LocalService } from '#local/service.ts';
import { apiClient, errorBody, webhookPath, type ApiCaller } from '../helpers/api-client.ts';

/**
 * Inputs that must never be guessed at, stored or amplified: a credential given twice, a lone
 * surrogate anywhere in a JSON body, a key naming more caches than an item holds, and a
 * delivery of this service looping back into publish. Raw HTTP where fetch would merge headers.
 */
let service: LocalService;
let api: ApiCaller;

beforeAll(async () => {
  service = await startLocalService({ port: 0, quiet: true });
  api = apiClient(service.url, service.apiKey);
});
afterAll(async () => {
  await service?.stop();
});

/** One request written by hand, so repeated header names and casings stay separate lines. */
function raw(method: string, path: string, headers: [string, string][], body = ''): Promise<{ status: number; json: unknown }> {
  const url = new URL(service.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname, () => {
      const lines = [`${method} ${path} HTTP/1.1`, `host: ${url.host}`, 'connection: close', `content-length: ${Buffer.byteLength(body)}`];
      for (const [name, value] of headers) lines.push(`${name}: ${value}`);
      socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
    });
    let text = '';
    socket.on('data', (c: Buffer) => (text += c.toString('utf8')));
    socket.on('error', reject);
    socket.on('close', () => {
      const [head = '', payload = ''] = text.split('\r\n\r\n');
      resolve({ status: Number(head.split(' ')[1]), json: payload ? JSON.parse(payload) : undefined });
    });
  });
}

describe('an ambiguous credential', () => {
  it.each([
    ['a bad key, then the good one', (good: string) => [['authorization', 'whk_bad'], ['authorization', good]]],
    ['the good key, then a bad one', (good: string) => [['authorization', good], ['authorization', 'whk_bad']]],
    ['two casings', (good: string) => [['Authorization', good], ['authorization', 'whk_bad']]],
    ['the same key twice', (good: string) => [['authorization', good], ['AUTHORIZATION', good]]],
  ] as const)('is a 400 with two Authorization headers: %s', async (_what, headers) => {
    const res = await raw('GET', '/keys', headers(service.apiKey).map(([k, v]) => [k, v] as [string, string]));
    expect(res.status).toBe(400);
    expect(res.json).toEqual(errorBody('INVALID_ARGUMENT_ERROR'));
  });

  it('is a 400 with two token parameters, whatever their order', async () => {
    for (const query of [`token=whk_bad&token=${service.apiKey}`, `token=${service.apiKey}&token=whk_bad`]) {
      const res = await api('POST', `/topics/c/t?${query}`, { raw: 'x', key: null });
      expect(res.status).toBe(400);
    }
    expect((await api('POST', `/topics/c/t?token=${service.apiKey}`, { raw: 'x', key: null })).status).toBe(204);
  });
});

describe('a lone surrogate', () => {
  it.each([
    ['topicName', '{"topicName":"\\ud800","destination":{"postUrl":"http://127.0.0.1:9/"}}'],
    ['destination.postUrl', '{"topicName":"t","destination":{"postUrl":"http://127.0.0.1:9/\\udc00"}}'],
    ['an unknown field', '{"topicName":"t","destination":{"postUrl":"http://127.0.0.1:9/"},"x\\ud83d":1}'],
  ])('in %s of a put is a 400 naming where, and nothing is stored', async (_where, body) => {
    const res = await api('PUT', webhookPath('sur', 'w'), { raw: body, headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
    expect((res.json as { error: { message: string } }).error.message).toMatch(/well-formed Unicode/);
    expect((await api('GET', webhookPath('sur'))).json).toEqual({ webhooks: [] });
  });

  it.each([
    ['tokenId', '{"permissions":["topics:publish"],"caches":["*"],"tokenId":"\\ud800"}'],
    ['caches[0]', '{"permissions":["topics:publish"],"caches":["\\udfff"]}'],
  ])('in %s of a new key is a 400', async (where, body) => {
    const res = await api('POST', '/keys', { raw: body });
    expect(res.status).toBe(400);
    expect((res.json as { error: { message: string } }).error.message).toContain(where);
  });

  it('in a path is a 400 (its UTF-8 cannot be decoded)', async () => {
    const res = await api('PUT', '/webhooks/%ED%A0%80/w', { body: { topicName: 't', destination: { postUrl: 'http://127.0.0.1:9/' } } });
    expect(res.status).toBe(400);
  });
});

describe('a body nested very deep', () => {
  it.each([
    ['arrays', '['.repeat(20_000) + ']'.repeat(20_000)],
    ['objects', '{"a":'.repeat(20_000) + '1' + '}'.repeat(20_000)],
  ])('of %s is a 400, never a stack overflow (the fuzz test found a 500 at ~3,000 levels)', async (_what, body) => {
    for (const [method, path] of [['PUT', webhookPath('deep', 'w')], ['POST', '/keys']] as const) {
      const res = await api(method, path, { raw: body, headers: { 'content-type': 'application/json' } });
      expect(res.status).toBe(400);
      expect(res.json).toEqual(errorBody('INVALID_ARGUMENT_ERROR'));
    }
  });
});

describe('a key naming too many caches', () => {
  it('is a 400 beyond 100 distinct caches, never a 500 (2,000 names of 255 characters do not fit an item)', async () => {
    const caches = Array.from({ length: 2000 }, (_, i) => `${String(i).padStart(4, '0')}${'c'.repeat(251)}`);
    const res = await api('POST', '/keys', { body: { permissions: ['topics:publish'], caches } });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ error: { code: 'INVALID_ARGUMENT_ERROR', message: 'caches must hold at most 100 distinct entries' } });
    const hundred = await api('POST', '/keys', { body: { permissions: ['topics:publish'], caches: caches.slice(0, 100), expiresInSeconds: 60 } });
    expect(hundred.status).toBe(201);
  });
});

describe('a delivery looping back into publish', () => {
  it.each(['momento-signature', 'webhook-signature'])('is refused with a 400 when it carries %s, and nothing is published', async (header) => {
    const res = await api('POST', '/topics/loop/t', { raw: 'x', headers: { [header]: 'abc' } });
    expect(res.status).toBe(400);
    expect((res.json as { error: { message: string } }).error.message).toMatch(/looping back into publish/);
    // The next accepted message is number 1: the refused one took none.
    const sub = await api('POST', '/keys', { body: { permissions: ['topics:subscribe', 'topics:publish'], caches: ['loop'], expiresInSeconds: 60 } });
    const key = (sub.json as { apiKey: string }).apiKey;
    await api('POST', '/topics/loop/t', { raw: 'first', key });
    const items = (await api('GET', '/topics/loop/t?sequence_number=1', { key })).json as { items: { item: { topic_sequence_number: number; value: { text: string } } }[] };
    expect(items.items[0]!.item).toMatchObject({ topic_sequence_number: 1, value: { text: 'first' } });
  });
});
