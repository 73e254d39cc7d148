import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, webhookPath, type ApiCall, type ApiCaller, type ApiResponse } from '../helpers/api-client.ts';
import { TestReceiver, settle } from '../helpers/receiver.ts';
import { closedPortUrl } from '../client/stub-server.ts';
import { startLocal, type LocalService } from '../client/local.ts';
import { DOC, deref, documentedStatuses, openapi, operation, responseSchema, validator, type Operation, type Schema } from './document.ts';

/**
 * docs/openapi.yaml against the running service: every route and every documented status is
 * produced against local mode, and the actual response (status, content-type, body) is
 * validated against the document. A status documented without a case here, or a case for an
 * undocumented status, fails the coverage test.
 */
const WEBHOOK_LIMIT = 2;
const MAX_MESSAGE_BYTES = 64;
/** A subscribe that finds no message answers after this long (`SUBSCRIBE_WAIT_SECONDS`). */
const SUBSCRIBE_WAIT_SECONDS = 1;
const UNKNOWN_KEY = 'whk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
const destination = { postUrl: 'https://hooks.example.com/conformance' };
const MAIN_ENV = {
  MAX_WEBHOOKS_PER_CACHE: String(WEBHOOK_LIMIT),
  MAX_MESSAGE_BYTES: String(MAX_MESSAGE_BYTES),
  SUBSCRIBE_WAIT_SECONDS: String(SUBSCRIBE_WAIT_SECONDS),
};

let service: LocalService;
let api: ApiCaller;
let publishOnly: string;
let manageOnly: string;
let subscribeOnly: string;
/** Where webhooks that are delivered to or pinged point: loopback only, answering 204. */
let receiver: TestReceiver;

/** Starts the service the cases run against, with its keys. */
async function startMain(): Promise<void> {
  service = await startLocal(MAIN_ENV);
  api = apiClient(service.url, service.apiKey);
  const key = async (permissions: string[]) => {
    const res = await api('POST', '/keys', { body: { permissions, caches: ['*'] } });
    return (res.json as { apiKey: string }).apiKey;
  };
  publishOnly = await key(['topics:publish']);
  manageOnly = await key(['webhooks:manage']);
  subscribeOnly = await key(['topics:subscribe']);
}

/**
 * Runs `call` against another local service configured with `env`. A process runs one local
 * service at a time, so the main one stops meanwhile and then starts again, empty, with new
 * keys: every case makes its own webhooks and topics, so none depends on what was before.
 */
async function withOtherService<T>(env: Record<string, string>, call: (other: ApiCaller) => Promise<T>): Promise<T> {
  await service.stop();
  try {
    const other = await startLocal(env, { ttlSweepIntervalMs: 3_600_000 });
    try {
      return await call(apiClient(other.url, other.apiKey));
    } finally {
      await other.stop();
    }
  } finally {
    await startMain();
  }
}

beforeAll(async () => {
  await startMain();
  receiver = await TestReceiver.start();
});
afterAll(async () => {
  await receiver?.close();
  await service?.stop();
});

let counter = 0;
/** A webhook that exists, in a cache of its own (so the per-cache limit never interferes). */
async function existingWebhook(): Promise<{ cache: string; name: string }> {
  const cache = `conf-${++counter}`;
  const res = await api('PUT', webhookPath(cache, 'hook'), { body: { topicName: 't', destination } });
  expect(res.status).toBe(200);
  return { cache, name: 'hook' };
}

/** A webhook on topic `t` that POSTs to `postUrl` (the receiver by default), in a cache of its own. */
async function receivingWebhook(postUrl = receiver.url()): Promise<{ cache: string; name: string }> {
  const cache = `conf-${++counter}`;
  const res = await api('PUT', webhookPath(cache, 'hook'), { body: { topicName: 't', destination: { postUrl } } });
  expect(res.status).toBe(200);
  return { cache, name: 'hook' };
}

interface Delivery {
  topicSequenceNumber: number;
  outcome: string;
  statusCode: number | null;
  test?: true;
}
interface DeliveryPage {
  deliveries: Delivery[];
  nextCursor: string | null;
}

const deliveriesPath = (cache: string, name: string, query = '') => webhookPath(cache, name, `/deliveries${query}`);
const ping = (cache: string, name: string, call: ApiCall = {}) => api('POST', webhookPath(cache, name, '/test'), call);

/** The first page of the history once it holds `count` deliveries (delivery records land after the POST). */
async function historyOnce(cache: string, name: string, count: number): Promise<ApiResponse> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const res = await api('GET', deliveriesPath(cache, name));
    if (res.status !== 200 || (res.json as DeliveryPage).deliveries.length >= count || Date.now() > deadline) return res;
    await settle(25);
  }
}

/** A webhook with `pings` test pings in its history, and the cursor after its first delivery. */
async function pagedWebhook(pings = 2): Promise<{ cache: string; name: string; cursor: string }> {
  const webhook = await receivingWebhook();
  for (let i = 0; i < pings; i++) expect((await ping(webhook.cache, webhook.name)).status).toBe(200);
  const page = (await api('GET', deliveriesPath(webhook.cache, webhook.name, '?limit=1'))).json as DeliveryPage;
  expect(page.nextCursor).toEqual(expect.any(String));
  return { ...webhook, cursor: page.nextCursor as string };
}

/** `/topics/{cache}/{topic}` with each name URL-encoded, and a query. */
const topicPath = (cache: string, query = '', topic = 't') => `/topics/${encodeURIComponent(cache)}/${encodeURIComponent(topic)}${query}`;

/** A topic `t` in a cache of its own, with `texts` published to it as messages 1, 2, … */
async function publishedTopic(texts: string[], caller: ApiCaller = api, key?: string): Promise<string> {
  const cache = `conf-${++counter}`;
  for (const text of texts) {
    const res = await caller('POST', topicPath(cache), { raw: text, headers: { 'content-type': 'text/plain' }, ...(key ? { key } : {}) });
    expect(res.status).toBe(204);
  }
  return cache;
}

interface SubscribeAnswer {
  items: Record<string, { topic_sequence_number?: number; value?: { text: string } }>[];
}

/** The cursor with one character changed. */
const tampered = (cursor: string) => (cursor.startsWith('A') ? 'B' : 'A') + cursor.slice(1);

const LONG_CACHE = 'c'.repeat(256);
const LONG_WEBHOOK = 'w'.repeat(129);

/** Produces each documented `METHOD path status` against local mode. */
const CASES: Record<string, () => Promise<ApiResponse>> = {
  'GET /health 200': () => api('GET', '/health', { key: null }),
  'GET /console 200': () => api('GET', '/console', { key: null }),
  'GET /console/{asset} 200': () => api('GET', '/console/app.js', { key: null }),
  'GET /console/{asset} 404': () => api('GET', '/console/nope.js', { key: null }),

  'GET /webhooks/{cacheName} 200': async () => api('GET', webhookPath((await existingWebhook()).cache)),
  'GET /webhooks/{cacheName} 400': () => api('GET', webhookPath(LONG_CACHE)),
  'GET /webhooks/{cacheName} 401': () => api('GET', webhookPath('c'), { key: null }),
  'GET /webhooks/{cacheName} 403': () => api('GET', webhookPath('c'), { key: publishOnly }),

  'PUT /webhooks/{cacheName}/{webhookName} 200': () => api('PUT', webhookPath('conf-put', 'w'), { body: { topicName: 't', destination } }),
  'PUT /webhooks/{cacheName}/{webhookName} 400': () =>
    api('PUT', webhookPath('conf-put', 'w'), { body: { topicName: 't', destination: { postUrl: 'ftp://hooks.example.com/' } } }),
  'PUT /webhooks/{cacheName}/{webhookName} 401': () => api('PUT', webhookPath('c', 'w'), { key: UNKNOWN_KEY, body: { topicName: 't', destination } }),
  'PUT /webhooks/{cacheName}/{webhookName} 403': () => api('PUT', webhookPath('c', 'w'), { key: publishOnly, body: { topicName: 't', destination } }),
  'PUT /webhooks/{cacheName}/{webhookName} 429': async () => {
    for (let i = 0; i < WEBHOOK_LIMIT; i++) await api('PUT', webhookPath('conf-full', `w${i}`), { body: { topicName: 't', destination } });
    return api('PUT', webhookPath('conf-full', 'one-more'), { body: { topicName: 't', destination } });
  },

  'DELETE /webhooks/{cacheName}/{webhookName} 204': async () => {
    const { cache, name } = await existingWebhook();
    return api('DELETE', webhookPath(cache, name));
  },
  'DELETE /webhooks/{cacheName}/{webhookName} 400': () => api('DELETE', webhookPath('c', LONG_WEBHOOK)),
  'DELETE /webhooks/{cacheName}/{webhookName} 401': () => api('DELETE', webhookPath('c', 'w'), { key: null }),
  'DELETE /webhooks/{cacheName}/{webhookName} 403': () => api('DELETE', webhookPath('c', 'w'), { key: publishOnly }),
  'DELETE /webhooks/{cacheName}/{webhookName} 404': () => api('DELETE', webhookPath('c', 'missing')),

  'GET /webhooks/{cacheName}/{webhookName}/secret 200': async () => {
    const { cache, name } = await existingWebhook();
    return api('GET', webhookPath(cache, name, '/secret'));
  },
  'GET /webhooks/{cacheName}/{webhookName}/secret 400': () => api('GET', webhookPath(LONG_CACHE, 'w', '/secret')),
  'GET /webhooks/{cacheName}/{webhookName}/secret 401': () => api('GET', webhookPath('c', 'w', '/secret'), { key: UNKNOWN_KEY }),
  'GET /webhooks/{cacheName}/{webhookName}/secret 403': () => api('GET', webhookPath('c', 'w', '/secret'), { key: publishOnly }),
  'GET /webhooks/{cacheName}/{webhookName}/secret 404': () => api('GET', webhookPath('c', 'missing', '/secret')),

  'POST /webhooks/{cacheName}/{webhookName}/secret/rotate 200': async () => {
    const { cache, name } = await existingWebhook();
    return api('POST', webhookPath(cache, name, '/secret/rotate'));
  },
  'POST /webhooks/{cacheName}/{webhookName}/secret/rotate 400': () => api('POST', webhookPath('c', LONG_WEBHOOK, '/secret/rotate')),
  'POST /webhooks/{cacheName}/{webhookName}/secret/rotate 401': () => api('POST', webhookPath('c', 'w', '/secret/rotate'), { key: null }),
  'POST /webhooks/{cacheName}/{webhookName}/secret/rotate 403': () =>
    api('POST', webhookPath('c', 'w', '/secret/rotate'), { key: publishOnly }),
  'POST /webhooks/{cacheName}/{webhookName}/secret/rotate 404': () => api('POST', webhookPath('c', 'missing', '/secret/rotate')),

  'GET /webhooks/{cacheName}/{webhookName}/deliveries 200': async () => {
    // A real delivery and a ping: the history shows both kinds of entry.
    const { cache, name } = await receivingWebhook();
    const seen = receiver.requests.length;
    expect((await api('POST', `/topics/${encodeURIComponent(cache)}/t`, { raw: 'a delivered message' })).status).toBe(204);
    await receiver.waitFor(seen + 1);
    expect((await ping(cache, name)).status).toBe(200);
    const res = await historyOnce(cache, name, 2);
    const page = res.json as DeliveryPage;
    expect(page.deliveries.map((d) => [d.topicSequenceNumber, d.outcome, d.test]).sort()).toEqual([
      [0, 'delivered', true],
      [1, 'delivered', undefined],
    ]);
    expect(page.nextCursor).toBeNull();
    return res;
  },
  'GET /webhooks/{cacheName}/{webhookName}/deliveries 400': async () => {
    const { cache, name } = await receivingWebhook();
    return api('GET', deliveriesPath(cache, name, '?limit=0'));
  },
  'GET /webhooks/{cacheName}/{webhookName}/deliveries 401': () => api('GET', deliveriesPath('c', 'w'), { key: UNKNOWN_KEY }),
  'GET /webhooks/{cacheName}/{webhookName}/deliveries 403': () => api('GET', deliveriesPath('c', 'w'), { key: publishOnly }),
  'GET /webhooks/{cacheName}/{webhookName}/deliveries 404': () => api('GET', deliveriesPath('c', 'missing')),

  'POST /webhooks/{cacheName}/{webhookName}/test 200': async () => {
    const { cache, name } = await receivingWebhook();
    const seen = receiver.requests.length;
    const res = await ping(cache, name);
    expect(receiver.requests).toHaveLength(seen + 1);
    return res;
  },
  'POST /webhooks/{cacheName}/{webhookName}/test 400': async () => {
    const { cache, name } = await receivingWebhook();
    return ping(cache, name, { raw: new Uint8Array([0x68, 0xff]), headers: { 'content-type': 'text/plain' } });
  },
  'POST /webhooks/{cacheName}/{webhookName}/test 401': () => ping('c', 'w', { key: null }),
  'POST /webhooks/{cacheName}/{webhookName}/test 403': () => ping('c', 'w', { key: publishOnly }),
  'POST /webhooks/{cacheName}/{webhookName}/test 404': () => ping('c', 'missing'),
  'POST /webhooks/{cacheName}/{webhookName}/test 413': async () => {
    const { cache, name } = await receivingWebhook();
    return ping(cache, name, { raw: 'x'.repeat(MAX_MESSAGE_BYTES + 1), headers: { 'content-type': 'text/plain' } });
  },

  'POST /topics/{cacheName}/{topicName} 204': () => api('POST', '/topics/conf/t', { raw: 'hello', headers: { 'content-type': 'text/plain' } }),
  'POST /topics/{cacheName}/{topicName} 400': () => api('POST', '/topics/conf/t', { raw: '' }),
  'POST /topics/{cacheName}/{topicName} 401': () => api('POST', '/topics/conf/t', { key: null, raw: 'x' }),
  'POST /topics/{cacheName}/{topicName} 403': () => api('POST', '/topics/conf/t', { key: manageOnly, raw: 'x' }),
  'POST /topics/{cacheName}/{topicName} 413': () => api('POST', '/topics/conf/t', { raw: 'x'.repeat(MAX_MESSAGE_BYTES + 1) }),

  'GET /topics/{cacheName}/{topicName} 200': async () => {
    const created = await api('POST', '/keys', { body: { permissions: ['topics:publish'], caches: ['*'], tokenId: 'conf-publisher' } });
    const cache = await publishedTopic(['first', 'second ✓ 注文 📦'], api, (created.json as { apiKey: string }).apiKey);
    const res = await api('GET', topicPath(cache, '?sequence_number=1'), { key: subscribeOnly });
    expect(res.json).toEqual({
      items: [
        { item: { topic_sequence_number: 1, sequence_page: 0, value: { text: 'first' }, token_id: 'conf-publisher' } },
        { item: { topic_sequence_number: 2, sequence_page: 0, value: { text: 'second ✓ 注文 📦' }, token_id: 'conf-publisher' } },
      ],
    });
    return res;
  },
  'GET /topics/{cacheName}/{topicName} 400': () => api('GET', topicPath('conf', '?sequence_number=-1')),
  'GET /topics/{cacheName}/{topicName} 401': () => api('GET', topicPath('conf', '?sequence_number=1'), { key: null }),
  'GET /topics/{cacheName}/{topicName} 403': () => api('GET', topicPath('conf', '?sequence_number=1'), { key: publishOnly }),
  'GET /topics/{cacheName}/{topicName} 404': () =>
    withOtherService({ MESSAGE_RETENTION_SECONDS: '0' }, async (other) => {
      // Publish still works without a message log; subscribing is what is off.
      expect((await other('POST', topicPath('conf'), { raw: 'kept nowhere' })).status).toBe(204);
      return other('GET', topicPath('conf', '?sequence_number=1'));
    }),

  'POST /keys 201': () => api('POST', '/keys', { body: { permissions: ['topics:publish'], caches: ['conf'], tokenId: 't-1', expiresInSeconds: 600 } }),
  'POST /keys 400': () => api('POST', '/keys', { body: { permissions: ['admin'], caches: ['*'] } }),
  'POST /keys 401': () => api('POST', '/keys', { key: null, body: { permissions: ['topics:publish'], caches: ['*'] } }),
  'POST /keys 403': () => api('POST', '/keys', { key: publishOnly, body: { permissions: ['topics:publish'], caches: ['*'] } }),

  'GET /keys 200': () => api('GET', '/keys'),
  'GET /keys 401': () => api('GET', '/keys', { key: UNKNOWN_KEY }),
  'GET /keys 403': () => api('GET', '/keys', { key: manageOnly }),

  'DELETE /keys/{keyId} 204': async () => {
    const created = await api('POST', '/keys', { body: { permissions: ['topics:publish'], caches: ['*'] } });
    return api('DELETE', `/keys/${(created.json as { keyId: string }).keyId}`);
  },
  'DELETE /keys/{keyId} 400': () => api('DELETE', '/keys/not-an-id'),
  'DELETE /keys/{keyId} 401': () => api('DELETE', `/keys/${'0'.repeat(24)}`, { key: null }),
  'DELETE /keys/{keyId} 403': () => api('DELETE', `/keys/${'0'.repeat(24)}`, { key: publishOnly }),
  'DELETE /keys/{keyId} 404': () => api('DELETE', `/keys/${'0'.repeat(24)}`),
};

/** Asserts the response matches what the document says for this status. */
function expectConforms(res: ApiResponse, op: Operation, status: string): void {
  expect(res.status).toBe(Number(status));
  const schema = responseSchema(op, status);
  if (schema === null) {
    expect(res.text).toBe('');
    return;
  }
  const documentedTypes = Object.keys(deref(op.responses[status]).content as object);
  if (!documentedTypes.includes('application/json')) {
    // A console file: text of one of its documented types.
    expect(documentedTypes).toContain(res.headers.get('content-type')?.split(';')[0]);
    expect(validator.validate(res.text, schema)).toEqual([]);
    return;
  }
  expect(res.headers.get('content-type')).toMatch(/^application\/json\b/);
  expect(res.json, res.text).toBeDefined();
  expect(validator.validate(res.json, schema)).toEqual([]);
}

describe('docs/openapi.yaml against local mode', () => {
  it('has a case for every documented status, and documents every case', () => {
    expect(Object.keys(CASES).sort()).toEqual(documentedStatuses().sort());
  });

  it.each(Object.keys(CASES))('%s', async (name) => {
    const [method, path, status] = name.split(' ') as [string, string, string];
    const res = await (CASES[name] as () => Promise<ApiResponse>)();
    expectConforms(res, operation(method, path), status);
  });

  it('answers an unknown route with the documented error body', async () => {
    for (const [method, path] of [['GET', '/nope'], ['PATCH', '/keys']] as const) {
      const res = await api(method, path);
      expect(res.status).toBe(404);
      expect(validator.validate(res.json, { $ref: `${DOC}#/components/schemas/NotFoundError` })).toEqual([]);
    }
  });

  it('accepts the request bodies the document describes', async () => {
    const requestSchema = (op: Operation, type: string) =>
      (deref(op.requestBody).content as Record<string, { schema: Schema }>)[type]?.schema as Schema;
    const put = { topicName: 't', destination, ignored: true };
    expect(validator.validate(put, requestSchema(operation('PUT', '/webhooks/{cacheName}/{webhookName}'), 'application/json'))).toEqual([]);
    expect((await api('PUT', webhookPath('conf-body', 'w'), { body: put })).status).toBe(200);
    const key = { permissions: ['webhooks:manage', 'topics:publish', 'topics:subscribe'], caches: ['conf-body'], tokenId: '', expiresInSeconds: 1 };
    expect(validator.validate(key, requestSchema(operation('POST', '/keys'), 'application/json'))).toEqual([]);
    expect((await api('POST', '/keys', { body: key })).status).toBe(201);
  });

  describe('the subscription long-poll', () => {
    const subscribe = operation('GET', '/topics/{cacheName}/{topicName}');
    const queryParameter = (name: string) => {
      const parameter = (subscribe.parameters ?? []).map((p) => deref(p)).find((p) => p.in === 'query' && p.name === name);
      if (!parameter) throw new Error(`no query parameter ${name}`);
      return parameter.schema as { default?: number; maximum?: number } & Schema;
    };
    const numbers = (res: ApiResponse) => (res.json as SubscribeAnswer).items.map((i) => i.item?.topic_sequence_number);

    it('answers {"items": []} once the wait ends without a message', async () => {
      const cache = await publishedTopic(['one']);
      const begun = Date.now();
      const res = await api('GET', topicPath(cache, '?sequence_number=2'));
      expectConforms(res, subscribe, '200');
      expect(res.json).toEqual({ items: [] });
      expect(Date.now() - begun).toBeGreaterThanOrEqual(SUBSCRIBE_WAIT_SECONDS * 1000 - 50);
    });

    it('answers during the wait as soon as a message is published', async () => {
      const cache = await publishedTopic(['one']);
      const begun = Date.now();
      const waiting = api('GET', topicPath(cache, '?sequence_number=2'));
      await settle(150);
      expect((await api('POST', topicPath(cache), { raw: 'two' })).status).toBe(204);
      const res = await waiting;
      expectConforms(res, subscribe, '200');
      expect(res.json).toEqual({ items: [{ item: { topic_sequence_number: 2, sequence_page: 0, value: { text: 'two' }, token_id: '' } }] });
      expect(Date.now() - begun).toBeLessThan(SUBSCRIBE_WAIT_SECONDS * 1000);
    });

    it('starts from the next message published when sequence_number is 0 or absent', async () => {
      const cache = await publishedTopic(['old']);
      for (const query of ['', '?sequence_number=0']) {
        const waiting = api('GET', topicPath(cache, query));
        await settle(150);
        const text = `new ${query}`;
        expect((await api('POST', topicPath(cache), { raw: text })).status).toBe(204);
        const res = await waiting;
        expectConforms(res, subscribe, '200');
        expect((res.json as SubscribeAnswer).items.map((i) => i.item?.value?.text)).toEqual([text]);
      }
    });

    it('takes exactly the limits the document allows, and answers at most limit messages', async () => {
      const schema = queryParameter('limit');
      expect([schema.default, schema.maximum]).toEqual([100, 100]);
      const cache = await publishedTopic(['a', 'b', 'c']);
      const verdicts: [string, number, boolean][] = [];
      for (const raw of ['0', '1', '2', '99', '100', '101', '-1', '1.5', '1e2', 'abc', '']) {
        const value = /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
        const documented = validator.validate(value, schema).length === 0;
        const res = await api('GET', topicPath(cache, `?sequence_number=1&limit=${raw}`));
        expectConforms(res, subscribe, res.status === 200 ? '200' : '400');
        if (res.status === 200) expect(numbers(res)).toEqual([1, 2, 3].slice(0, Number(raw)));
        verdicts.push([raw, res.status, documented]);
      }
      expect(verdicts.map(([raw, status]) => [raw, status])).toEqual(verdicts.map(([raw, , documented]) => [raw, documented ? 200 : 400]));
    });

    it('takes exactly the sequence numbers the document allows, and ignores sequence_page', async () => {
      const schema = queryParameter('sequence_number');
      const cache = await publishedTopic(['a', 'b']);
      const verdicts: [string, number, boolean][] = [];
      // 0 and the largest number wait (nothing there yet): each answers empty after the wait.
      for (const raw of ['1', '2', '9007199254740991', '9007199254740992', '-1', '1.5', 'abc', '']) {
        const value = /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
        const documented = validator.validate(value, schema).length === 0;
        const res = await api('GET', topicPath(cache, `?sequence_number=${raw}`));
        expectConforms(res, subscribe, res.status === 200 ? '200' : '400');
        verdicts.push([raw, res.status, documented]);
      }
      expect(verdicts.map(([raw, status]) => [raw, status])).toEqual(verdicts.map(([raw, , documented]) => [raw, documented ? 200 : 400]));
      // Digits only: a leading zero or sign is refused although the number itself is allowed.
      for (const raw of ['01', '+1']) expectConforms(await api('GET', topicPath(cache, `?sequence_number=${encodeURIComponent(raw)}`)), subscribe, '400');

      const page = await api('GET', topicPath(cache, '?sequence_number=2&sequence_page=7'));
      expectConforms(page, subscribe, '200');
      expect(numbers(page)).toEqual([2]);
      expectConforms(await api('GET', topicPath(cache, '?sequence_number=2&sequence_page=x')), subscribe, '400');
    });

    it('takes the key as ?token=, and refuses it given in both places', async () => {
      const cache = await publishedTopic(['a']);
      const query = `?sequence_number=1&token=${encodeURIComponent(subscribeOnly)}`;
      const byQuery = await api('GET', topicPath(cache, query), { key: null });
      expectConforms(byQuery, subscribe, '200');
      expect(numbers(byQuery)).toEqual([1]);
      const both = await api('GET', topicPath(cache, query), { key: subscribeOnly });
      expectConforms(both, subscribe, '400');
      expectConforms(await api('GET', topicPath(cache, `?sequence_number=1&token=${UNKNOWN_KEY}`), { key: null }), subscribe, '401');
    });

    it('answers 403 for a cache outside the key\'s caches', async () => {
      const created = await api('POST', '/keys', { body: { permissions: ['topics:subscribe'], caches: ['conf-mine'] } });
      const key = (created.json as { apiKey: string }).apiKey;
      expectConforms(await api('GET', topicPath('conf-theirs', '?sequence_number=1'), { key }), subscribe, '403');
      expect((await api('POST', topicPath('conf-mine'), { raw: 'mine' })).status).toBe(204);
      expectConforms(await api('GET', topicPath('conf-mine', '?sequence_number=1'), { key }), subscribe, '200');
    });

    it('announces a gap left by expired messages as a discontinuity, then the messages after it', async () => {
      const RETENTION_SECONDS = 2;
      const res = await withOtherService({ MESSAGE_RETENTION_SECONDS: String(RETENTION_SECONDS) }, async (other) => {
        const cache = await publishedTopic(['old'], other);
        // Message 1 expires at most RETENTION_SECONDS later, on a whole second; message 2 lives at least a second.
        await settle((Math.floor(Date.now() / 1000) + RETENTION_SECONDS) * 1000 + 50 - Date.now());
        expect((await other('POST', topicPath(cache), { raw: 'new' })).status).toBe(204);
        return other('GET', topicPath(cache, '?sequence_number=1'));
      });
      expectConforms(res, subscribe, '200');
      expect(res.json).toEqual({
        items: [
          { discontinuity: { last_topic_sequence: 0, new_topic_sequence: 2, new_sequence_page: 0 } },
          { item: { topic_sequence_number: 2, sequence_page: 0, value: { text: 'new' }, token_id: '' } },
        ],
      });
    });
  });

  describe('the delivery history and the test ping', () => {
    const history = operation('GET', '/webhooks/{cacheName}/{webhookName}/deliveries');
    const testPing = operation('POST', '/webhooks/{cacheName}/{webhookName}/test');
    const queryParameter = (name: string) => {
      const parameter = (history.parameters ?? []).map((p) => deref(p)).find((p) => p.in === 'query' && p.name === name);
      if (!parameter) throw new Error(`no query parameter ${name}`);
      return parameter.schema as { default?: number; maximum?: number } & Schema;
    };

    it.each([
      ['a limit above the maximum', async () => api('GET', deliveriesPath((await receivingWebhook()).cache, 'hook', '?limit=101'))],
      ['a limit that is not a number', async () => api('GET', deliveriesPath((await receivingWebhook()).cache, 'hook', '?limit=ten'))],
      ['an empty limit', async () => api('GET', deliveriesPath((await receivingWebhook()).cache, 'hook', '?limit='))],
      ['a tampered cursor', async () => {
        const { cache, name, cursor } = await pagedWebhook();
        expect((await api('GET', deliveriesPath(cache, name, `?cursor=${encodeURIComponent(cursor)}`))).status).toBe(200);
        return api('GET', deliveriesPath(cache, name, `?cursor=${encodeURIComponent(tampered(cursor))}`));
      }],
      ['a cursor that is no cursor', async () => api('GET', deliveriesPath((await receivingWebhook()).cache, 'hook', '?cursor=not-a-cursor'))],
      ['a cursor of another webhook', async () => {
        const { cursor } = await pagedWebhook();
        const other = await pagedWebhook();
        return api('GET', deliveriesPath(other.cache, other.name, `?cursor=${encodeURIComponent(cursor)}`));
      }],
      ['a cursor of the webhook before it was deleted and created again', async () => {
        const { cache, name, cursor } = await pagedWebhook();
        expect((await api('DELETE', webhookPath(cache, name))).status).toBe(204);
        expect((await api('PUT', webhookPath(cache, name), { body: { topicName: 't', destination: { postUrl: receiver.url() } } })).status).toBe(200);
        // The new incarnation starts empty, and the old cursor is not one of its own.
        expect((await api('GET', deliveriesPath(cache, name))).json).toEqual({ deliveries: [], nextCursor: null });
        return api('GET', deliveriesPath(cache, name, `?cursor=${encodeURIComponent(cursor)}`));
      }],
    ])('GET deliveries answers %s with the documented 400', async (_label, produce) => {
      const res = await produce();
      expectConforms(res, history, '400');
      expect((res.json as { error: { message: string } }).error.message).toMatch(/limit|cursor/);
    });

    it('takes exactly the limits the document allows', async () => {
      const schema = queryParameter('limit');
      const { cache, name } = await receivingWebhook();
      const verdicts: [string, number, boolean][] = [];
      for (const raw of ['0', '1', '2', '99', '100', '101', '-1', '1.5', '1e2', 'abc']) {
        const value = /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
        const documented = validator.validate(value, schema).length === 0;
        const res = await api('GET', deliveriesPath(cache, name, `?limit=${raw}`));
        expectConforms(res, history, res.status === 200 ? '200' : '400');
        verdicts.push([raw, res.status, documented]);
      }
      expect(verdicts.map(([raw, status]) => [raw, status])).toEqual(verdicts.map(([raw, , documented]) => [raw, documented ? 200 : 400]));
    });

    it('pages with the documented default limit and cursor, newest first, to a null cursor', async () => {
      const { default: pageSize, maximum } = queryParameter('limit');
      expect([pageSize, maximum]).toEqual([expect.any(Number), expect.any(Number)]);
      const { cache, name } = await receivingWebhook();
      const sent: string[] = [];
      for (let i = 0; i <= (pageSize as number); i++) {
        const text = `ping ${i}`;
        expectConforms(await ping(cache, name, { raw: text, headers: { 'content-type': 'text/plain' } }), testPing, '200');
        sent.push(text);
      }
      const pages: DeliveryPage[] = [];
      let cursor: string | null = null;
      do {
        const query: string = cursor === null ? '' : `?cursor=${encodeURIComponent(cursor)}`;
        const res = await api('GET', deliveriesPath(cache, name, query));
        expectConforms(res, history, '200');
        const page = res.json as DeliveryPage;
        pages.push(page);
        cursor = page.nextCursor;
      } while (cursor !== null && pages.length < 5);
      expect(pages.map((p) => p.deliveries.length)).toEqual([pageSize, 1]);
      const all = pages.flatMap((p) => p.deliveries) as (Delivery & { attemptedAt: number })[];
      expect(all.every((d) => d.test === true && d.topicSequenceNumber === 0 && d.outcome === 'delivered')).toBe(true);
      const times = all.map((d) => d.attemptedAt);
      expect(times).toEqual([...times].sort((a, b) => b - a));
      // One page at the maximum holds them all.
      const whole = await api('GET', deliveriesPath(cache, name, `?limit=${maximum}`));
      expectConforms(whole, history, '200');
      expect(whole.json).toEqual({ deliveries: all, nextCursor: null });
      expect(sent).toHaveLength(all.length);
    });

    it.each([
      ['a 2xx', { status: 204 }, 'delivered', 204],
      ['a 5xx', { status: 503 }, 'http_error', 503],
      ['a redirect', { status: 307, headers: { location: 'http://127.0.0.1:9/' } }, 'http_error', 307],
      ['no listener', null, 'connection_refused', null],
    ] as const)('reports a ping answered by %s as the documented outcome, in the answer and the history', async (_label, behaviour, outcome, statusCode) => {
      const target = behaviour ? await TestReceiver.start(behaviour) : undefined;
      try {
        const { cache, name } = await receivingWebhook(target ? target.url() : `${await closedPortUrl()}/hook`);
        const res = await ping(cache, name);
        expectConforms(res, testPing, '200');
        expect(res.json).toEqual({ outcome, statusCode, latencyMs: expect.any(Number) });
        const listed = await api('GET', deliveriesPath(cache, name));
        expectConforms(listed, history, '200');
        const { latencyMs } = res.json as { latencyMs: number };
        expect(listed.json).toEqual({
          deliveries: [{ topicSequenceNumber: 0, eventTimestamp: expect.any(Number), attemptedAt: expect.any(Number), outcome, statusCode, latencyMs, test: true }],
          nextCursor: null,
        });
      } finally {
        await target?.close();
      }
    });

    it('describes the ping\'s POST as a delivery: body schema, signature and headers', async () => {
      const pinger = await api('POST', '/keys', { body: { permissions: ['webhooks:manage'], caches: ['*'], tokenId: 'conf-pinger' } });
      const pingerKey = (pinger.json as { apiKey: string }).apiKey;
      const cache = `conf-${++counter}`;
      const put = await api('PUT', webhookPath(cache, 'hook'), { body: { topicName: 'pinged', destination: { postUrl: receiver.url() } } });
      const { secret } = put.json as { secret: string };
      const post = openapi.webhooks?.message?.post as Operation;
      const bodySchema = (deref(post.requestBody).content as Record<string, { schema: Schema }>)['application/json']?.schema as Schema;
      const pingBody = (deref(testPing.requestBody).content as Record<string, { schema: Schema }>)['text/plain']?.schema as Schema;

      const received = async (call: ApiCall) => {
        const seen = receiver.requests.length;
        expectConforms(await ping(cache, 'hook', call), testPing, '200');
        const [request] = (await receiver.waitFor(seen + 1)).slice(seen);
        if (!request) throw new Error('no ping arrived');
        const body = request.body.toString('utf8');
        expect(validator.validate(JSON.parse(body), bodySchema)).toEqual([]);
        for (const parameter of (post.parameters ?? []).filter((p) => p.required)) {
          expect(validator.validate(request.headers[String(parameter.name)], parameter.schema as Schema), String(parameter.name)).toEqual([]);
        }
        expect(request.headers['momento-signature']).toBe(createHmac('sha3-256', secret).update(request.body).digest('hex'));
        expect(request.headers['content-type']).toMatch(/^application\/json\b/);
        return JSON.parse(body) as Record<string, unknown>;
      };

      expect(validator.validate('a ping ✓', pingBody)).toEqual([]);
      const withText = await received({ key: pingerKey, raw: 'a ping ✓', headers: { 'content-type': 'text/plain' } });
      expect(withText).toMatchObject({ cache, topic: 'pinged', topic_sequence_number: 0, token_id: 'conf-pinger', text: 'a ping ✓' });
      const empty = await received({});
      expect(empty).toMatchObject({ topic_sequence_number: 0, token_id: '', text: 'test' });
    });
  });

  it('describes a real delivery: body schema, signature header and user-agent', async () => {
    const receiver = await TestReceiver.start();
    try {
      expect((await api('PUT', webhookPath('conf-delivery', 'w'), { body: { topicName: 't', destination: { postUrl: receiver.url() } } })).status).toBe(200);
      const call: ApiCall = { raw: 'a delivered message', headers: { 'content-type': 'text/plain' } };
      expect((await api('POST', '/topics/conf-delivery/t', call)).status).toBe(204);
      const [delivery] = await receiver.waitFor(1);
      const post = openapi.webhooks?.message?.post as Operation;
      const bodySchema = (deref(post.requestBody).content as Record<string, { schema: Schema }>)['application/json']?.schema as Schema;
      expect(validator.validate(JSON.parse(delivery?.body.toString('utf8') ?? ''), bodySchema)).toEqual([]);
      for (const parameter of post.parameters ?? []) {
        const header = delivery?.headers[String(parameter.name)];
        // The Standard Webhooks headers are documented as optional: this webhook has them off.
        expect(typeof header, String(parameter.name)).toBe(parameter.required ? 'string' : 'undefined');
        if (parameter.required) expect(validator.validate(header, parameter.schema as Schema)).toEqual([]);
      }
      const userAgent = (post.parameters ?? []).find((p) => p.name === 'user-agent')?.schema as { default: string };
      expect(delivery?.headers['user-agent']).toBe(userAgent.default);
      expect(delivery?.headers['content-type']).toMatch(/^application\/json\b/);
    } finally {
      await receiver.close();
    }
  });

  it('describes the webhook settings: put, list, secret and a rotate with grace conform, and so do the Standard Webhooks headers', async () => {
    const receiver = await TestReceiver.start();
    try {
      const requestSchema = (op: Operation) =>
        (deref(op.requestBody).content as Record<string, { schema: Schema }>)['application/json']?.schema as Schema;
      const put = { topicName: 't', destination: { postUrl: receiver.url() }, standardWebhooks: true, rateLimitPerSecond: 50 };
      const putOperation = operation('PUT', '/webhooks/{cacheName}/{webhookName}');
      expect(validator.validate(put, requestSchema(putOperation))).toEqual([]);
      expectConforms(await api('PUT', webhookPath('conf-settings', 'w'), { body: put }), putOperation, '200');

      const list = await api('GET', webhookPath('conf-settings'));
      expectConforms(list, operation('GET', '/webhooks/{cacheName}'), '200');
      expect(list.json).toEqual({ webhooks: [expect.objectContaining({ standardWebhooks: true, rateLimitPerSecond: 50 })] });
      const secret = await api('GET', webhookPath('conf-settings', 'w', '/secret'));
      expectConforms(secret, operation('GET', '/webhooks/{cacheName}/{webhookName}/secret'), '200');
      expect(secret.json).toHaveProperty('standardWebhooksSecret');

      const rotateOperation = operation('POST', '/webhooks/{cacheName}/{webhookName}/secret/rotate');
      const rotate = { graceSeconds: 600 };
      expect(validator.validate(rotate, requestSchema(rotateOperation))).toEqual([]);
      expectConforms(await api('POST', webhookPath('conf-settings', 'w', '/secret/rotate'), { body: rotate }), rotateOperation, '200');

      expect((await api('POST', '/topics/conf-settings/t', { raw: 'signed twice' })).status).toBe(204);
      const [delivery] = await receiver.waitFor(1);
      const post = openapi.webhooks?.message?.post as Operation;
      for (const parameter of post.parameters ?? []) {
        const header = delivery?.headers[String(parameter.name)];
        expect(validator.validate(header, parameter.schema as Schema), String(parameter.name)).toEqual([]);
      }
      expect(String(delivery?.headers['webhook-signature']).split(' ')).toHaveLength(2);
    } finally {
      await receiver.close();
    }
  });
});
