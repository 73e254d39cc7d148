import { request as httpRequest, createServer, type OutgoingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { HTTP_ROUTES } from '#functions/routes.ts';
import { createApiGatewayListener, matchRoute, MAX_REQUEST_BODY_BYTES } from '#local/api-gateway-event.ts';

/**
 * Local mode's API Gateway translation over real HTTP on loopback, with an injected handler
 * that records the event it is given and answers what the test chooses.
 */
interface Call {
  functionName: string;
  event: APIGatewayProxyEvent;
  context: Context;
}

const calls: Call[] = [];
let answer: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult> | APIGatewayProxyResult;
const handlerErrors: unknown[] = [];
let server: Server;
let smallServer: Server;

const ok = (): APIGatewayProxyResult => ({ statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{"ok":true}' });

async function listen(maxBodyBytes?: number): Promise<Server> {
  const s = createServer(
    createApiGatewayListener({
      routes: HTTP_ROUTES,
      maxBodyBytes,
      handlerFor: (functionName) => async (event, context) => {
        calls.push({ functionName, event, context });
        return answer(event);
      },
      onHandlerError: (error) => handlerErrors.push(error),
    }),
  );
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return s;
}

interface Sent {
  method: string;
  path: string;
  headers?: OutgoingHttpHeaders;
  body?: Buffer | string;
  /** Send the body in chunks without a content-length. */
  chunked?: boolean;
  server?: Server;
}

interface Received {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  json: unknown;
}

/** A raw HTTP request: the path goes on the wire exactly as given. */
function send(options: Sent): Promise<Received> {
  const { port } = (options.server ?? server).address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, method: options.method, path: options.path, headers: options.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          let json: unknown;
          try {
            json = JSON.parse(body.toString('utf8'));
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json });
        });
      },
    );
    req.on('error', reject);
    if (options.body !== undefined) {
      if (options.chunked) {
        const body = Buffer.from(options.body);
        for (let i = 0; i < body.length; i += 512) req.write(body.subarray(i, i + 512));
      } else {
        req.setHeader('content-length', Buffer.byteLength(options.body));
        req.write(options.body);
      }
    }
    req.end();
  });
}

const lastCall = (): Call => {
  expect(calls).toHaveLength(1);
  return calls[0]!;
};

beforeAll(async () => {
  server = await listen();
  smallServer = await listen(1024);
});

afterAll(async () => {
  for (const s of [server, smallServer]) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

beforeEach(() => {
  calls.length = 0;
  handlerErrors.length = 0;
  answer = ok;
});

describe('path parameters', () => {
  describe.each([
    ['unicode', '/webhooks/caf%C3%A9/%F0%9F%98%80', { cacheName: 'caf%C3%A9', webhookName: '%F0%9F%98%80' }],
    ['# and spaces', '/webhooks/a%23b/c%20d%20', { cacheName: 'a%23b', webhookName: 'c%20d%20' }],
    ['an encoded slash stays in its segment', '/webhooks/a%2Fb/w%2f', { cacheName: 'a%2Fb', webhookName: 'w%2f' }],
    ['plus is a plus', '/webhooks/a+b/%2B', { cacheName: 'a+b', webhookName: '%2B' }],
    ['a malformed escape, for the function to refuse', '/webhooks/%E0%A4%A/%zz', { cacheName: '%E0%A4%A', webhookName: '%zz' }],
  ])('%s', (_, path, expected) => {
    it('reaches put-webhook with the segments, still percent-encoded, as REST APIs send them', async () => {
      const res = await send({ method: 'PUT', path });
      expect(res.status).toBe(200);
      const { functionName, event } = lastCall();
      expect(functionName).toBe('put-webhook');
      expect(event.resource).toBe('/webhooks/{cacheName}/{webhookName}');
      expect(event.pathParameters).toEqual(expected);
      expect(event.httpMethod).toBe('PUT');
    });
  });

  it('keeps the raw, still-encoded path in `path`', async () => {
    await send({ method: 'PUT', path: '/webhooks/a%2Fb/caf%C3%A9' });
    expect(lastCall().event.path).toBe('/webhooks/a%2Fb/caf%C3%A9');
    expect(lastCall().event.requestContext.path).toBe('/local/webhooks/a%2Fb/caf%C3%A9');
  });

  it('prefers literal segments over parameters', () => {
    const secret = matchRoute(HTTP_ROUTES, 'GET', '/webhooks/c/w/secret');
    expect(secret).toEqual({
      kind: 'matched',
      route: { method: 'GET', path: '/webhooks/{cacheName}/{webhookName}/secret', functionName: 'get-webhook-secret' },
      pathParameters: { cacheName: 'c', webhookName: 'w' },
    });
    const named = matchRoute(HTTP_ROUTES, 'PUT', '/webhooks/secret/rotate');
    expect(named).toMatchObject({ kind: 'matched', pathParameters: { cacheName: 'secret', webhookName: 'rotate' } });
    expect(matchRoute(HTTP_ROUTES, 'GET', '/health')).toMatchObject({ kind: 'matched', pathParameters: null });
  });
});

describe('unknown routes and methods', () => {
  it.each([
    ['GET', '/'],
    ['GET', '/nope'],
    ['GET', '/webhooks'],
    ['GET', '/health/'],
    ['GET', '/webhooks//w'],
    ['PUT', '/webhooks/c/w/extra/deep/path'],
    ['PATCH', '/health'],
    ['POST', '/health'],
    ['DELETE', '/keys'],
    ['DELETE', '/topics/c/t'],
    ['HEAD', '/health'],
    ['OPTIONS', '/webhooks/c/w'],
    ['GET', '/HEALTH'],
  ])('%s %s is 404 NOT_FOUND_ERROR JSON', async (method, path) => {
    const res = await send({ method, path });
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toBe('application/json');
    if (method !== 'HEAD') {
      expect(res.json).toEqual({ error: { code: 'NOT_FOUND_ERROR', message: expect.stringMatching(/.+/) } });
    }
    expect(calls).toEqual([]);
  });
});

describe('headers and query string', () => {
  it('passes headers with their casing; a repeated header keeps its last value in `headers`', async () => {
    await send({
      method: 'GET',
      path: '/health',
      headers: { 'X-Custom-Header': 'Value With Spaces', authorization: 'Bearer k', 'x-multi': ['one', 'two'] },
    });
    const { event } = lastCall();
    expect(event.headers).toMatchObject({ 'X-Custom-Header': 'Value With Spaces', authorization: 'Bearer k', 'x-multi': 'two' });
    expect(event.multiValueHeaders).toMatchObject({
      'X-Custom-Header': ['Value With Spaces'],
      authorization: ['Bearer k'],
      'x-multi': ['one', 'two'],
    });
    expect(Object.keys(event.headers)).toContain('Host');
  });

  it('decodes the query; a repeated name keeps its last value, every value in the multi-value map', async () => {
    await send({ method: 'POST', path: '/topics/c/t?token=k%2B1&a=1&a=2&sp=a%20b+c&empty=&flag&caf%C3%A9=%E2%82%AC' });
    const { event } = lastCall();
    expect(event.queryStringParameters).toEqual({ token: 'k+1', a: '2', sp: 'a b c', empty: '', flag: '', café: '€' });
    expect(event.multiValueQueryStringParameters).toEqual({
      token: ['k+1'],
      a: ['1', '2'],
      sp: ['a b c'],
      empty: [''],
      flag: [''],
      café: ['€'],
    });
    expect(event.path).toBe('/topics/c/t');
    expect(event.pathParameters).toEqual({ cacheName: 'c', topicName: 't' });
  });

  it('gives null query maps without a query', async () => {
    await send({ method: 'GET', path: '/keys?' });
    await send({ method: 'GET', path: '/keys' });
    for (const { event } of calls) {
      expect(event.queryStringParameters).toBeNull();
      expect(event.multiValueQueryStringParameters).toBeNull();
    }
    expect(calls).toHaveLength(2);
  });

  it('fills the request context and a Lambda-like context', async () => {
    const before = Date.now();
    await send({ method: 'DELETE', path: '/keys/abc', headers: { 'user-agent': 'tester/1' } });
    const { event, context, functionName } = lastCall();
    expect(functionName).toBe('revoke-key');
    expect(event.requestContext).toMatchObject({
      stage: 'local',
      httpMethod: 'DELETE',
      resourcePath: '/keys/{keyId}',
      path: '/local/keys/abc',
      protocol: 'HTTP/1.1',
      identity: { sourceIp: '127.0.0.1', userAgent: 'tester/1' },
    });
    expect(event.requestContext.requestTimeEpoch).toBeGreaterThanOrEqual(before);
    expect(event.requestContext.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(event.stageVariables).toBeNull();
    expect(context.awsRequestId).toBe(event.requestContext.requestId);
    expect(context.functionName).toBe('revoke-key');
    expect(context.getRemainingTimeInMillis()).toBeGreaterThan(0);
  });
});

describe('bodies', () => {
  it('hands every byte over base64-encoded, invalid UTF-8 included', async () => {
    const bytes = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0xc3, 0x28, 0x0a, 0x68, 0x69, 0xf0, 0x9f, 0x98, 0x80, 0xed, 0xa0, 0x80]);
    await send({ method: 'POST', path: '/topics/c/t', body: bytes, headers: { 'content-type': 'text/plain' } });
    const { event } = lastCall();
    expect(event.isBase64Encoded).toBe(true);
    expect(Buffer.from(event.body!, 'base64').equals(bytes)).toBe(true);
  });

  it('keeps a large chunked body exactly', async () => {
    const bytes = Buffer.alloc(3 * 1024 * 1024 + 7);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 131 + 7) & 0xff;
    await send({ method: 'POST', path: '/topics/c/t', body: bytes, chunked: true });
    expect(Buffer.from(lastCall().event.body!, 'base64').equals(bytes)).toBe(true);
  });

  it('gives body null without a body', async () => {
    await send({ method: 'GET', path: '/webhooks/c' });
    expect(lastCall().event).toMatchObject({ body: null, isBase64Encoded: false });
  });

  it('refuses a declared length above the cap with 413 LIMIT_EXCEEDED_ERROR', async () => {
    const res = await send({ server: smallServer, method: 'POST', path: '/topics/c/t', body: Buffer.alloc(1025, 0x61) });
    expect(res.status).toBe(413);
    expect(res.json).toEqual({ error: { code: 'LIMIT_EXCEEDED_ERROR', message: 'request bodies are limited to 1024 bytes' } });
    expect(calls).toEqual([]);
  });

  it('refuses a chunked body once it passes the cap', async () => {
    const res = await send({ server: smallServer, method: 'POST', path: '/topics/c/t', body: Buffer.alloc(4096, 0x61), chunked: true });
    expect(res.status).toBe(413);
    expect(res.json).toMatchObject({ error: { code: 'LIMIT_EXCEEDED_ERROR' } });
    expect(calls).toEqual([]);
  });

  it('accepts a body of exactly the cap', async () => {
    const res = await send({ server: smallServer, method: 'POST', path: '/topics/c/t', body: Buffer.alloc(1024, 0x62) });
    expect(res.status).toBe(200);
    expect(Buffer.from(lastCall().event.body!, 'base64').length).toBe(1024);
  });

  it('caps bodies at 10 MiB by default', async () => {
    expect(MAX_REQUEST_BODY_BYTES).toBe(10 * 1024 * 1024);
    const res = await send({ method: 'POST', path: '/topics/c/t', body: Buffer.alloc(MAX_REQUEST_BODY_BYTES + 1) });
    expect(res.status).toBe(413);
    expect(calls).toEqual([]);
  });
});

describe('responses', () => {
  it('writes status, merged headers and a base64 body as bytes', async () => {
    const bytes = Buffer.from([0xff, 0x00, 0x80, 0x41]);
    answer = () => ({
      statusCode: 201,
      headers: { 'x-one': 'single', 'x-both': 'from-headers' },
      multiValueHeaders: { 'x-both': ['m1', 'm2'], 'set-cookie': ['a=1', 'b=2'] },
      body: bytes.toString('base64'),
      isBase64Encoded: true,
    });
    const res = await send({ method: 'GET', path: '/health' });
    expect(res.status).toBe(201);
    expect(res.headers['x-one']).toBe('single');
    expect(res.headers['x-both']).toBe('m1, m2');
    expect(res.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(res.headers['x-amzn-requestid']).toBe(lastCall().event.requestContext.requestId);
    expect(res.body.equals(bytes)).toBe(true);
  });

  it('writes a 204 without a body', async () => {
    answer = () => ({ statusCode: 204, headers: {}, body: '' });
    const res = await send({ method: 'DELETE', path: '/webhooks/c/w' });
    expect(res.status).toBe(204);
    expect(res.body.length).toBe(0);
  });

  it('answers a handler that throws with a detail-free 500', async () => {
    answer = () => {
      throw new Error('boom: secret-value-42');
    };
    const res = await send({ method: 'GET', path: '/health' });
    expect(res.status).toBe(500);
    expect(res.json).toEqual({
      error: { code: 'INTERNAL_SERVER_ERROR', message: 'the service could not complete the request' },
    });
    expect(res.body.toString()).not.toContain('secret-value-42');
    expect(res.body.toString()).not.toContain('at ');
    expect(handlerErrors).toHaveLength(1);
  });

  it('answers a malformed proxy result with a 500', async () => {
    answer = () => ({ body: 'no status' }) as unknown as APIGatewayProxyResult;
    const res = await send({ method: 'GET', path: '/health' });
    expect(res.status).toBe(500);
    expect(res.json).toMatchObject({ error: { code: 'INTERNAL_SERVER_ERROR' } });
  });
});
