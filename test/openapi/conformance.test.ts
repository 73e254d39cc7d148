import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, webhookPath, type ApiCall, type ApiCaller, type ApiResponse } from '../helpers/api-client.ts';
import { TestReceiver } from '../helpers/receiver.ts';
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
const UNKNOWN_KEY = 'whk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
const destination = { postUrl: 'https://hooks.example.com/conformance' };

let service: LocalService;
let api: ApiCaller;
let publishOnly: string;
let manageOnly: string;

beforeAll(async () => {
  service = await startLocal({ MAX_WEBHOOKS_PER_CACHE: String(WEBHOOK_LIMIT), MAX_MESSAGE_BYTES: String(MAX_MESSAGE_BYTES) });
  api = apiClient(service.url, service.apiKey);
  const key = async (permissions: string[]) => {
    const res = await api('POST', '/keys', { body: { permissions, caches: ['*'] } });
    return (res.json as { apiKey: string }).apiKey;
  };
  publishOnly = await key(['topics:publish']);
  manageOnly = await key(['webhooks:manage']);
});
afterAll(async () => {
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

const LONG_CACHE = 'c'.repeat(256);
const LONG_WEBHOOK = 'w'.repeat(129);

/** Produces each documented `METHOD path status` against local mode. */
const CASES: Record<string, () => Promise<ApiResponse>> = {
  'GET /health 200': () => api('GET', '/health', { key: null }),

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

  'POST /topics/{cacheName}/{topicName} 204': () => api('POST', '/topics/conf/t', { raw: 'hello', headers: { 'content-type': 'text/plain' } }),
  'POST /topics/{cacheName}/{topicName} 400': () => api('POST', '/topics/conf/t', { raw: '' }),
  'POST /topics/{cacheName}/{topicName} 401': () => api('POST', '/topics/conf/t', { key: null, raw: 'x' }),
  'POST /topics/{cacheName}/{topicName} 403': () => api('POST', '/topics/conf/t', { key: manageOnly, raw: 'x' }),
  'POST /topics/{cacheName}/{topicName} 413': () => api('POST', '/topics/conf/t', { raw: 'x'.repeat(MAX_MESSAGE_BYTES + 1) }),

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
    const key = { permissions: ['webhooks:manage', 'topics:publish'], caches: ['conf-body'], tokenId: '', expiresInSeconds: 1 };
    expect(validator.validate(key, requestSchema(operation('POST', '/keys'), 'application/json'))).toEqual([]);
    expect((await api('POST', '/keys', { body: key })).status).toBe(201);
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
        expect(typeof header, String(parameter.name)).toBe('string');
        expect(validator.validate(header, parameter.schema as Schema)).toEqual([]);
      }
      const userAgent = (post.parameters ?? []).find((p) => p.name === 'user-agent')?.schema as { default: string };
      expect(delivery?.headers['user-agent']).toBe(userAgent.default);
      expect(delivery?.headers['content-type']).toMatch(/^application\/json\b/);
    } finally {
      await receiver.close();
    }
  });
});
