import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateKey,
  DeleteWebhook,
  GetWebhookSecret,
  KeyClient,
  ListDeliveries,
  ListKeys,
  ListWebhooks,
  PostUrlWebhookDestination,
  PutWebhook,
  RevokeKey,
  RotateWebhookSecret,
  SdkError,
  TestWebhook,
  TopicClient,
  TopicPublish,
  type ClientOptions,
} from '@topic-webhooks/client';
import { StubServer, closedPortUrl, json } from './stub-server.ts';

/**
 * The client's transport against a scripted loopback server: what goes on the wire, retries
 * (idempotent calls only), timeouts, network failures and answers the service never gives.
 */
const API_KEY = 'whk_test-key-that-must-never-leak';
const KEY_ID = 'a'.repeat(24);

let stub: StubServer;
beforeAll(async () => {
  stub = await StubServer.start();
});
afterAll(async () => {
  await stub.close();
});
afterEach(() => {
  stub.requests.length = 0;
  stub.handler = (res) => json(res, 200, {});
});

const clients = (options: Partial<ClientOptions> = {}) => {
  const o: ClientOptions = { endpoint: stub.url, apiKey: API_KEY, retry: { baseDelayMs: 1, maxDelayMs: 5 }, ...options };
  return { topics: new TopicClient(o), keys: new KeyClient(o) };
};

type Op = {
  name: string;
  method: string;
  idempotent: boolean;
  call: (c: ReturnType<typeof clients>) => Promise<unknown>;
  errorClass: abstract new (...args: never[]) => unknown;
};

const OPERATIONS: Op[] = [
  { name: 'putWebhook', method: 'PUT', idempotent: true, errorClass: PutWebhook.Error, call: (c) => c.topics.putWebhook('c', 'w', { topicName: 't', destination: 'https://example.com/' }) },
  { name: 'listWebhooks', method: 'GET', idempotent: true, errorClass: ListWebhooks.Error, call: (c) => c.topics.listWebhooks('c') },
  { name: 'deleteWebhook', method: 'DELETE', idempotent: true, errorClass: DeleteWebhook.Error, call: (c) => c.topics.deleteWebhook('c', 'w') },
  { name: 'getWebhookSecret', method: 'GET', idempotent: true, errorClass: GetWebhookSecret.Error, call: (c) => c.topics.getWebhookSecret('c', 'w') },
  { name: 'listKeys', method: 'GET', idempotent: true, errorClass: ListKeys.Error, call: (c) => c.keys.listKeys() },
  { name: 'revokeKey', method: 'DELETE', idempotent: true, errorClass: RevokeKey.Error, call: (c) => c.keys.revokeKey(KEY_ID) },
  { name: 'listDeliveries', method: 'GET', idempotent: true, errorClass: ListDeliveries.Error, call: (c) => c.topics.listDeliveries('c', 'w', { limit: 5 }) },
  { name: 'testWebhook', method: 'POST', idempotent: false, errorClass: TestWebhook.Error, call: (c) => c.topics.testWebhook('c', 'w', 'ping') },
  { name: 'rotateWebhookSecret', method: 'POST', idempotent: false, errorClass: RotateWebhookSecret.Error, call: (c) => c.topics.rotateWebhookSecret('c', 'w') },
  { name: 'publish', method: 'POST', idempotent: false, errorClass: TopicPublish.Error, call: (c) => c.topics.publish('c', 't', 'hello') },
  { name: 'createKey', method: 'POST', idempotent: false, errorClass: CreateKey.Error, call: (c) => c.keys.createKey({ permissions: ['topics:publish'], caches: ['*'] }) },
];

/** The code and HTTP status of an Error result, failing the test for anything else. */
function errorOf(result: unknown, errorClass: Op['errorClass']): SdkError {
  expect(result).toBeInstanceOf(errorClass);
  const error = (result as { error: SdkError }).error;
  expect(error).toBeInstanceOf(SdkError);
  expect(error.message).not.toContain(API_KEY);
  expect(String(result)).not.toContain(API_KEY);
  return error;
}

describe('what goes on the wire', () => {
  it('sends the key as Authorization and encodes every name as one path segment', async () => {
    stub.handler = (res) => json(res, 200, { secret: 's' });
    const { topics } = clients();
    const result = await topics.putWebhook('a#b?c d/%', 'ü 😀', { topicName: 't', destination: 'https://example.com/h' });
    expect(result).toBeInstanceOf(PutWebhook.Success);
    expect(stub.requests).toHaveLength(1);
    const [req] = stub.requests;
    expect(req?.method).toBe('PUT');
    expect(req?.url).toBe('/webhooks/a%23b%3Fc%20d%2F%25/%C3%BC%20%F0%9F%98%80');
    expect(req?.headers.authorization).toBe(API_KEY);
    expect(req?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(req?.body.toString() ?? '')).toEqual({ topicName: 't', destination: { postUrl: 'https://example.com/h' } });
  });

  it.each([
    ['a PostUrlWebhookDestination', new PostUrlWebhookDestination('https://example.com/a')],
    ['a URL string', 'https://example.com/a'],
    ['a { postUrl } object', { postUrl: 'https://example.com/a' }],
  ])('sends %s as {"postUrl"}', async (_label, destination) => {
    stub.handler = (res) => json(res, 200, { secret: 's' });
    await clients().topics.putWebhook('c', 'w', { topicName: 't', destination });
    expect(stub.requests[0]?.body.toString()).toBe('{"topicName":"t","destination":{"postUrl":"https://example.com/a"}}');
  });

  it('publishes the message raw as text/plain, bytes unchanged', async () => {
    stub.handler = (res) => res.writeHead(204).end();
    const { topics } = clients();
    expect(await topics.publish('c', 'orders/eu', 'héllo {"x":1}')).toBeInstanceOf(TopicPublish.Success);
    expect(await topics.publish('c', 't', new Uint8Array([0x68, 0x69]))).toBeInstanceOf(TopicPublish.Success);
    expect(stub.requests.map((r) => [r.method, r.url, r.headers['content-type'], r.body.toString('hex')])).toEqual([
      ['POST', '/topics/c/orders%2Feu', 'text/plain; charset=utf-8', Buffer.from('héllo {"x":1}').toString('hex')],
      ['POST', '/topics/c/t', 'text/plain; charset=utf-8', '6869'],
    ]);
  });

  it('asks for the delivery history with limit and cursor in the query, encoded, and nothing else', async () => {
    stub.handler = (res) => json(res, 200, { deliveries: [], nextCursor: null });
    const { topics } = clients();
    for (const options of [undefined, { limit: 5 }, { cursor: 'a+b/c=d.e f' }, { limit: 100, cursor: 'x.y' }]) {
      expect(await topics.listDeliveries('c/1', 'w 2', options)).toBeInstanceOf(ListDeliveries.Success);
    }
    expect(stub.requests.map((r) => [r.method, r.url, r.body.length])).toEqual([
      ['GET', '/webhooks/c%2F1/w%202/deliveries', 0],
      ['GET', '/webhooks/c%2F1/w%202/deliveries?limit=5', 0],
      ['GET', '/webhooks/c%2F1/w%202/deliveries?cursor=a%2Bb%2Fc%3Dd.e+f', 0],
      ['GET', '/webhooks/c%2F1/w%202/deliveries?limit=100&cursor=x.y', 0],
    ]);
    expect(new URL(stub.requests[2]?.url ?? '', stub.url).searchParams.get('cursor')).toBe('a+b/c=d.e f');
  });

  it('sends the ping text raw as text/plain, and no body at all without one', async () => {
    stub.handler = (res) => json(res, 200, { outcome: 'delivered', statusCode: 204, latencyMs: 3 });
    const { topics } = clients();
    expect(await topics.testWebhook('c', 'w', 'héllo')).toBeInstanceOf(TestWebhook.Success);
    expect(await topics.testWebhook('c', 'w', new Uint8Array([0x68, 0x69]))).toBeInstanceOf(TestWebhook.Success);
    expect(await topics.testWebhook('c', 'w')).toBeInstanceOf(TestWebhook.Success);
    expect(stub.requests.map((r) => [r.method, r.url, r.headers['content-type'], r.body.toString('hex')])).toEqual([
      ['POST', '/webhooks/c/w/test', 'text/plain; charset=utf-8', Buffer.from('héllo').toString('hex')],
      ['POST', '/webhooks/c/w/test', 'text/plain; charset=utf-8', '6869'],
      ['POST', '/webhooks/c/w/test', undefined, ''],
    ]);
  });

  it('keeps only the documented fields of a delivery', async () => {
    const delivery = { topicSequenceNumber: 3, eventTimestamp: 10, attemptedAt: 11, outcome: 'timeout', statusCode: null, latencyMs: 5000 };
    stub.handler = (res) => json(res, 200, { deliveries: [{ ...delivery, url: 'https://example.com/', test: true }, delivery], nextCursor: 'n' });
    const page = await clients().topics.listDeliveries('c', 'w');
    expect(page).toBeInstanceOf(ListDeliveries.Success);
    expect((page as ListDeliveries.Success).deliveries).toStrictEqual([{ ...delivery, test: true }, delivery]);
    expect((page as ListDeliveries.Success).nextCursor).toBe('n');
  });

  it('keeps a stage path of the endpoint', async () => {
    stub.handler = (res) => json(res, 200, { webhooks: [] });
    const { topics } = clients({ endpoint: `${stub.url}/prod/` });
    expect(await topics.listWebhooks('c')).toBeInstanceOf(ListWebhooks.Success);
    expect(stub.requests[0]?.url).toBe('/prod/webhooks/c');
  });

  it.each([
    ['an empty cache name', (c: ReturnType<typeof clients>) => c.topics.listWebhooks(''), ListWebhooks.Error],
    ['a webhook named ..', (c: ReturnType<typeof clients>) => c.topics.deleteWebhook('c', '..'), DeleteWebhook.Error],
    ['a cache named .', (c: ReturnType<typeof clients>) => c.topics.getWebhookSecret('.', 'w'), GetWebhookSecret.Error],
    ['a topic named ..', (c: ReturnType<typeof clients>) => c.topics.publish('c', '..', 'x'), TopicPublish.Error],
    ['an empty key id', (c: ReturnType<typeof clients>) => c.keys.revokeKey(''), RevokeKey.Error],
    ['a history of a webhook named .', (c: ReturnType<typeof clients>) => c.topics.listDeliveries('c', '.'), ListDeliveries.Error],
    ['a limit that is not a number', (c: ReturnType<typeof clients>) => c.topics.listDeliveries('c', 'w', { limit: '5' as unknown as number }), ListDeliveries.Error],
    ['a cursor that is not a string', (c: ReturnType<typeof clients>) => c.topics.listDeliveries('c', 'w', { cursor: {} as unknown as string }), ListDeliveries.Error],
    ['a ping of a cache named ..', (c: ReturnType<typeof clients>) => c.topics.testWebhook('..', 'w'), TestWebhook.Error],
    ['a ping text of the wrong type', (c: ReturnType<typeof clients>) => c.topics.testWebhook('c', 'w', 7 as unknown as string), TestWebhook.Error],
    [
      'a destination of the wrong type',
      (c: ReturnType<typeof clients>) => c.topics.putWebhook('c', 'w', { topicName: 't', destination: 42 as unknown as string }),
      PutWebhook.Error,
    ],
  ])('refuses %s with INVALID_ARGUMENT_ERROR without sending anything', async (_label, call, errorClass) => {
    const error = errorOf(await call(clients()), errorClass);
    expect(error.code).toBe('INVALID_ARGUMENT_ERROR');
    expect(error.httpStatus).toBeUndefined();
    expect(stub.requests).toHaveLength(0);
  });

  it.each([
    ['no endpoint', { endpoint: '' }],
    ['a relative endpoint', { endpoint: '/api' }],
    ['an ftp endpoint', { endpoint: 'ftp://127.0.0.1/' }],
    ['an empty key', { apiKey: '' }],
    ['a zero timeout', { requestTimeoutMs: 0 }],
  ])('throws a TypeError at construction for %s', (_label, options) => {
    expect(() => new TopicClient({ endpoint: stub.url, apiKey: API_KEY, ...options })).toThrow(TypeError);
  });
});

describe('retries', () => {
  it.each(OPERATIONS.map((op) => [op.name, op] as const))(
    '%s on a 503 from a gateway: three attempts when idempotent, one otherwise',
    async (_name, op) => {
      stub.handler = (res) => res.writeHead(503, { 'content-type': 'text/plain' }).end('Service Unavailable');
      const error = errorOf(await op.call(clients()), op.errorClass);
      expect(error.code).toBe('SERVER_UNAVAILABLE');
      expect(error.httpStatus).toBe(503);
      expect(stub.requests.map((r) => r.method)).toEqual(Array(op.idempotent ? 3 : 1).fill(op.method));
    },
  );

  it.each(OPERATIONS.map((op) => [op.name, op] as const))(
    '%s on a service 500: the code and message of the body, retried only when idempotent',
    async (_name, op) => {
      stub.handler = (res) => json(res, 500, { error: { code: 'INTERNAL_SERVER_ERROR', message: 'the service could not complete the request' } });
      const error = errorOf(await op.call(clients()), op.errorClass);
      expect(error.code).toBe('INTERNAL_SERVER_ERROR');
      expect(error.message).toBe('the service could not complete the request');
      expect(stub.requests).toHaveLength(op.idempotent ? 3 : 1);
    },
  );

  it.each([
    [400, 'INVALID_ARGUMENT_ERROR'],
    [401, 'AUTHENTICATION_ERROR'],
    [403, 'PERMISSION_ERROR'],
    [404, 'NOT_FOUND_ERROR'],
    [429, 'LIMIT_EXCEEDED_ERROR'],
  ])('never retries a service %i (%s)', async (status, code) => {
    stub.handler = (res) => json(res, status, { error: { code, message: `m${status}` } });
    const result = await clients().topics.putWebhook('c', 'w', { topicName: 't', destination: 'https://example.com/' });
    const error = errorOf(result, PutWebhook.Error);
    expect([error.code, error.message, error.httpStatus]).toEqual([code, `m${status}`, status]);
    expect(stub.requests).toHaveLength(1);
  });

  it('retries a gateway throttle (429 without a service code) of an idempotent call', async () => {
    stub.handler = (res) => json(res, 429, { message: 'Too Many Requests' });
    const error = errorOf(await clients().topics.listWebhooks('c'), ListWebhooks.Error);
    expect(error.code).toBe('LIMIT_EXCEEDED_ERROR');
    expect(stub.requests).toHaveLength(3);
  });

  it('succeeds when a retry does', async () => {
    stub.handler = (res, i) => (i === 0 ? res.writeHead(502).end() : json(res, 200, { webhooks: [] }));
    const result = await clients().topics.listWebhooks('c');
    expect(result).toBeInstanceOf(ListWebhooks.Success);
    expect(stub.requests).toHaveLength(2);
  });

  it('honours maxAttempts: 1 (no retries)', async () => {
    stub.handler = (res) => res.writeHead(503).end();
    await clients({ retry: { maxAttempts: 1 } }).topics.listWebhooks('c');
    expect(stub.requests).toHaveLength(1);
  });
});

describe('timeouts and network failures', () => {
  it('gives TIMEOUT_ERROR when the service does not answer, and does not retry a publish', async () => {
    stub.handler = () => undefined; // never answers
    const { topics } = clients({ requestTimeoutMs: 150, retry: { maxAttempts: 2, baseDelayMs: 1 } });
    const published = errorOf(await topics.publish('c', 't', 'x'), TopicPublish.Error);
    expect(published.code).toBe('TIMEOUT_ERROR');
    expect(published.message).toBe('the request did not complete within 150 ms');
    expect(stub.requests).toHaveLength(1);

    stub.requests.length = 0;
    const listed = errorOf(await topics.listWebhooks('c'), ListWebhooks.Error);
    expect(listed.code).toBe('TIMEOUT_ERROR');
    expect(stub.requests).toHaveLength(2);
  });

  it('gives TIMEOUT_ERROR when the body stalls after the headers', async () => {
    stub.handler = (res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"webhooks":');
    };
    const error = errorOf(await clients({ requestTimeoutMs: 150, retry: { maxAttempts: 1 } }).topics.listWebhooks('c'), ListWebhooks.Error);
    expect(error.code).toBe('TIMEOUT_ERROR');
  });

  it.each(OPERATIONS.map((op) => [op.name, op] as const))('%s against a closed port: SERVER_UNAVAILABLE, no throw', async (_name, op) => {
    const endpoint = await closedPortUrl();
    const c = { topics: new TopicClient({ endpoint, apiKey: API_KEY, retry: { baseDelayMs: 1 } }), keys: new KeyClient({ endpoint, apiKey: API_KEY, retry: { baseDelayMs: 1 } }) };
    const error = errorOf(await op.call(c), op.errorClass);
    expect(error.code).toBe('SERVER_UNAVAILABLE');
    expect(error.message).toBe(`could not reach the service at ${endpoint} (ECONNREFUSED)`);
    expect(error.httpStatus).toBeUndefined();
  });
});

describe('answers the service never gives', () => {
  it('does not follow a redirect (the key stays where it was sent)', async () => {
    const elsewhere = await StubServer.start();
    try {
      stub.handler = (res) => res.writeHead(307, { location: `${elsewhere.url}/webhooks/c` }).end();
      const error = errorOf(await clients({ retry: { maxAttempts: 1 } }).topics.listWebhooks('c'), ListWebhooks.Error);
      expect(error.code).toBe('UNKNOWN_SERVICE_ERROR');
      expect(error.httpStatus).toBe(307);
      expect(elsewhere.requests).toHaveLength(0);
    } finally {
      await elsewhere.close();
    }
  });

  it.each([
    ['a body that is not JSON', (res: import('node:http').ServerResponse) => res.writeHead(200).end('<html>')],
    ['a JSON body of another shape', (res: import('node:http').ServerResponse) => json(res, 200, { items: [] })],
    ['a webhook without a destination', (res: import('node:http').ServerResponse) => json(res, 200, { webhooks: [{ id: { cacheName: 'c', webhookName: 'w' }, topicName: 't' }] })],
  ])('gives UNKNOWN_SERVICE_ERROR for %s', async (_label, answer) => {
    stub.handler = (res) => answer(res);
    const error = errorOf(await clients().topics.listWebhooks('c'), ListWebhooks.Error);
    expect(error.code).toBe('UNKNOWN_SERVICE_ERROR');
    expect(stub.requests).toHaveLength(1);
  });

  const delivery = { topicSequenceNumber: 1, eventTimestamp: 10, attemptedAt: 11, outcome: 'delivered', statusCode: 200, latencyMs: 1 };
  it.each([
    ['no nextCursor', { deliveries: [] }],
    ['deliveries that are not a list', { deliveries: {}, nextCursor: null }],
    ['a status code that is a string', { deliveries: [{ ...delivery, statusCode: '200' }], nextCursor: null }],
    ['a sequence number that is not an integer', { deliveries: [{ ...delivery, topicSequenceNumber: 1.5 }], nextCursor: null }],
    ['test: false', { deliveries: [{ ...delivery, test: false }], nextCursor: null }],
    ['no outcome', { deliveries: [{ ...delivery, outcome: undefined }], nextCursor: null }],
  ])('gives UNKNOWN_SERVICE_ERROR for a delivery history with %s', async (_label, body) => {
    stub.handler = (res) => json(res, 200, body);
    const error = errorOf(await clients().topics.listDeliveries('c', 'w'), ListDeliveries.Error);
    expect(error.code).toBe('UNKNOWN_SERVICE_ERROR');
  });

  it.each([
    ['no latency', { outcome: 'delivered', statusCode: 204 }],
    ['no status code', { outcome: 'delivered', latencyMs: 1 }],
    ['an outcome that is not a string', { outcome: 1, statusCode: null, latencyMs: 1 }],
    ['no body', undefined],
  ])('gives UNKNOWN_SERVICE_ERROR for a ping answer with %s', async (_label, body) => {
    stub.handler = (res) => (body === undefined ? res.writeHead(200).end() : json(res, 200, body));
    const error = errorOf(await clients().topics.testWebhook('c', 'w'), TestWebhook.Error);
    expect(error.code).toBe('UNKNOWN_SERVICE_ERROR');
    expect(stub.requests).toHaveLength(1);
  });

  it('maps an unrecognised error body by status', async () => {
    stub.handler = (res) => json(res, 403, { message: 'Forbidden' });
    const error = errorOf(await clients().topics.getWebhookSecret('c', 'w'), GetWebhookSecret.Error);
    expect([error.code, error.message]).toEqual(['PERMISSION_ERROR', 'the service answered HTTP 403']);
  });
});
