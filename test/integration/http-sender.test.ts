import { connect as netConnect, createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { LookupAddress, LookupAllOptions } from 'node:dns';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createWebhookSender, type ConnectOptions, type Connector } from '#shared/http/webhook-sender.ts';
import type { DestinationPolicy, Resolver } from '#shared/destination.ts';
import type { DeliveryOutcome } from '#shared/delivery/model.ts';
import { DEFAULT_USER_AGENT } from '#shared/config.ts';
import { TestReceiver, type ReceiverBehaviour } from '../helpers/receiver.ts';

/**
 * The outbound POST against real receivers on 127.0.0.1 (§3), and the connect-time SSRF guard
 * (§5) with an injected resolver and a connector spy: refused destinations are never dialled,
 * and no test sends traffic anywhere but loopback.
 */
const LOCAL: DestinationPolicy = { allowLoopbackHttp: true, allowlist: [] };
const STRICT: DestinationPolicy = { allowLoopbackHttp: false, allowlist: [] };

const receivers: TestReceiver[] = [];
let senders: { close(): void }[] = [];

/** A TestReceiver closed after the test; by default it answers 204. */
async function startReceiver(behaviour?: ReceiverBehaviour): Promise<TestReceiver> {
  const receiver = await TestReceiver.start(behaviour);
  receivers.push(receiver);
  return receiver;
}

/** A connector that records every dial and really connects (tests only ever reach 127.0.0.1). */
function spyConnector(): { connect: Connector; calls: ConnectOptions[] } {
  const calls: ConnectOptions[] = [];
  const connect: Connector = (options) => {
    calls.push(options);
    if (options.host !== '127.0.0.1' && options.host !== '::1') throw new Error(`test connector refuses ${options.host}`);
    const { secure, ...rest } = options;
    return secure ? tlsConnect(rest) : netConnect({ ...rest, host: options.host, port: options.port });
  };
  return { connect, calls };
}

/** A resolver that answers every name with `answer` (or fails with it), asynchronously like dns.lookup. */
function fakeResolver(answer: LookupAddress[] | NodeJS.ErrnoException): { resolve: Resolver; names: string[]; asked: LookupAllOptions[] } {
  const names: string[] = [];
  const asked: LookupAllOptions[] = [];
  const resolve: Resolver = (hostname, options, callback) => {
    names.push(hostname);
    asked.push(options);
    setImmediate(() => (answer instanceof Error ? callback(answer, []) : callback(null, answer)));
  };
  return { resolve, names, asked };
}

function sender(options: Partial<Parameters<typeof createWebhookSender>[0]> = {}) {
  const s = createWebhookSender({ policy: LOCAL, userAgent: DEFAULT_USER_AGENT, ...options });
  senders.push(s);
  return s;
}

const delivery = (url: string) => ({
  url,
  body: '{"cache":"c","topic":"t","event_timestamp":1,"publish_timestamp":2,"topic_sequence_number":3,"token_id":"","text":"héllo 😀"}',
  headers: { 'momento-signature': 'ab'.repeat(32) },
});

const closedPort = async (): Promise<number> => {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
};

beforeEach(() => {
  senders = [];
});

afterEach(async () => {
  for (const s of senders) s.close();
  await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
});

describe('delivery', () => {
  it('POSTs exactly the body with exactly the contract headers', async () => {
    const receiver = await startReceiver();
    const request = delivery(receiver.url('/hook?x=1'));
    const before = Date.now();
    const outcome = await sender().send(request);
    const after = Date.now();

    expect(outcome).toEqual({ kind: 'delivered', statusCode: 204, latencyMs: expect.any(Number), attemptedAt: expect.any(Number) });
    expect(outcome.attemptedAt).toBeGreaterThanOrEqual(before);
    expect(outcome.attemptedAt).toBeLessThanOrEqual(after);
    expect(outcome.latencyMs).toBeGreaterThanOrEqual(0);

    expect(receiver.requests).toHaveLength(1);
    const [received] = receiver.requests;
    expect(received?.method).toBe('POST');
    expect(received?.path).toBe('/hook?x=1');
    expect(received?.body.toString('utf8')).toBe(request.body);
    expect(received?.headers).toEqual({
      'content-type': 'application/json',
      'momento-signature': request.headers['momento-signature'],
      'user-agent': DEFAULT_USER_AGENT,
      'content-length': String(Buffer.byteLength(request.body)),
      host: `127.0.0.1:${receiver.port}`,
      connection: 'keep-alive',
    });
  });

  it('sends the configured user-agent', async () => {
    const receiver = await startReceiver();
    await sender({ userAgent: 'acme-hooks/2.0' }).send(delivery(receiver.url()));
    expect(receiver.requests[0]?.headers['user-agent']).toBe('acme-hooks/2.0');
  });

  it.each([
    [200, 'delivered'],
    [201, 'delivered'],
    [202, 'delivered'],
    [204, 'delivered'],
    [299, 'delivered'],
    [400, 'http_error'],
    [401, 'http_error'],
    [404, 'http_error'],
    [410, 'http_error'],
    [429, 'http_error'],
    [500, 'http_error'],
    [503, 'http_error'],
  ] as const)('status %i is %s', async (status, kind) => {
    const receiver = await startReceiver({ respond: (_req, res) => void res.writeHead(status).end('response body is ignored') });
    expect(await sender().send(delivery(receiver.url()))).toMatchObject({ kind, statusCode: status });
    expect(receiver.requests).toHaveLength(1);
  });

  it.each([301, 302, 303, 307, 308])('never follows a %i redirect', async (status) => {
    const target = await startReceiver();
    const receiver = await startReceiver({ status, headers: { location: target.url('/elsewhere') } });
    const sameHost = await startReceiver({ status, headers: { location: '/elsewhere' } });

    expect(await sender().send(delivery(receiver.url()))).toMatchObject({ kind: 'http_error', statusCode: status });
    expect(await sender().send(delivery(sameHost.url()))).toMatchObject({ kind: 'http_error', statusCode: status });
    expect(receiver.requests.map((r) => r.path)).toEqual(['/hook']);
    expect(sameHost.requests.map((r) => r.path)).toEqual(['/hook']);
    expect(target.requests).toEqual([]);
    expect(target.connections).toEqual([]);
  });

  it('times out a receiver that never answers', async () => {
    const receiver = await startReceiver({ respond: () => undefined });
    const outcome = await sender({ timeoutMs: 300 }).send(delivery(receiver.url()));
    expect(outcome).toEqual({ kind: 'timeout', latencyMs: expect.any(Number), attemptedAt: expect.any(Number) });
    expect(receiver.requests).toHaveLength(1);
    // The aborted connection is closed, not pooled.
    await receiver.connections[0]?.closed;
  });

  it('times out a receiver that accepts the connection but never reads the request', async () => {
    const accepted: Socket[] = [];
    const server = createTcpServer((socket) => void accepted.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const outcome = await sender({ timeoutMs: 300 }).send(delivery(`http://127.0.0.1:${port}/hook`));
      expect(outcome).toEqual({ kind: 'timeout', latencyMs: expect.any(Number), attemptedAt: expect.any(Number) });
      expect(accepted).toHaveLength(1);
    } finally {
      // A socket that is never read never sees the client's close: end it here.
      for (const socket of accepted) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  // §3: success is a 2xx status within the deadline; the body is ignored, so a body that never
  // ends only ends the draining at the deadline, it does not turn the status into a timeout.
  it('lets a 2xx status received in time decide even when the body never ends', async () => {
    const receiver = await startReceiver({
      respond: (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('partial');
      },
    });
    const outcome = await sender({ timeoutMs: 300 }).send(delivery(receiver.url()));
    expect(outcome).toMatchObject({ kind: 'delivered', statusCode: 200 });
    await receiver.connections[0]?.closed;
  });

  it('reports a closed port as connection_refused', async () => {
    const port = await closedPort();
    expect(await sender().send(delivery(`http://127.0.0.1:${port}/hook`))).toEqual({
      kind: 'connection_refused',
      latencyMs: expect.any(Number),
      attemptedAt: expect.any(Number),
    });
  });

  it('reports a connection reset as network_error', async () => {
    const server = createTcpServer((socket) => socket.on('data', () => socket.resetAndDestroy()));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      expect((await sender().send(delivery(`http://127.0.0.1:${port}/hook`))).kind).toBe('network_error');
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('reports a failed TLS handshake as tls_error', async () => {
    // An https URL to a plain-HTTP receiver: the handshake fails on loopback, no certificate needed.
    const receiver = await startReceiver();
    const outcome = await sender().send(delivery(`https://127.0.0.1:${receiver.port}/hook`));
    expect(outcome).toEqual({ kind: 'tls_error', latencyMs: expect.any(Number), attemptedAt: expect.any(Number) });
    expect(receiver.requests).toEqual([]);
  });

  it('never throws: an unsendable header becomes an outcome', async () => {
    const receiver = await startReceiver();
    const outcome = await sender().send({ ...delivery(receiver.url()), headers: { 'momento-signature': 'ab\r\nx-injected: 1' } });
    expect(outcome.kind).toBe('network_error');
    expect(receiver.requests).toEqual([]);
  });
});

describe('connections', () => {
  it('reuses one kept-alive connection across sends', async () => {
    const receiver = await startReceiver();
    const s = sender();
    expect((await s.send(delivery(receiver.url()))).kind).toBe('delivered');
    expect((await s.send(delivery(receiver.url()))).kind).toBe('delivered');
    expect((await s.send(delivery(receiver.url()))).kind).toBe('delivered');
    const ports = receiver.requests.map((r) => r.remotePort);
    expect(ports).toHaveLength(3);
    expect(new Set(ports).size).toBe(1);
    expect(receiver.connections).toHaveLength(1);
  });

  it('reads a response body up to the cap and keeps the connection', async () => {
    const receiver = await startReceiver({ respond: (_req, res) => void res.writeHead(200).end('x'.repeat(1024)) });
    const s = sender({ maxResponseBytes: 1024 });
    await s.send(delivery(receiver.url()));
    await s.send(delivery(receiver.url()));
    expect(receiver.connections).toHaveLength(1);
  });

  it('drops the connection of a response body over the cap instead of pooling it', async () => {
    const receiver = await startReceiver({ respond: (_req, res) => void res.writeHead(200).end('x'.repeat(1025)) });
    const s = sender({ maxResponseBytes: 1024 });
    expect(await s.send(delivery(receiver.url()))).toMatchObject({ kind: 'delivered', statusCode: 200 });
    await receiver.connections[0]?.closed;
    expect(await s.send(delivery(receiver.url()))).toMatchObject({ kind: 'delivered', statusCode: 200 });
    expect(receiver.connections).toHaveLength(2);
    expect(receiver.requests[0]?.remotePort).not.toBe(receiver.requests[1]?.remotePort);
  });

  it('stops reading an endless response body at the cap', async () => {
    // With the deadline far beyond the test's own timeout, only the cap can end this send.
    const receiver = await startReceiver({
      respond: (_req, res) => {
        res.writeHead(200);
        const chunk = Buffer.alloc(16 * 1024, 'x');
        const pump = () => {
          while (!res.destroyed && res.write(chunk));
          if (!res.destroyed) res.once('drain', pump);
        };
        pump();
      },
    });
    const outcome = await sender({ timeoutMs: 600_000 }).send(delivery(receiver.url()));
    expect(outcome).toMatchObject({ kind: 'delivered', statusCode: 200 });
    await receiver.connections[0]?.closed;
  });

  it('does not reuse a connection idle longer than maxIdleMs', async () => {
    const receiver = await startReceiver();
    const s = sender({ maxIdleMs: 50 });
    await s.send(delivery(receiver.url()));
    await new Promise((resolve) => setTimeout(resolve, 120));
    await s.send(delivery(receiver.url()));
    expect(receiver.connections).toHaveLength(2);
    await receiver.connections[0]?.closed;
  });

  it('close() closes pooled connections', async () => {
    const receiver = await startReceiver();
    const s = sender();
    await s.send(delivery(receiver.url()));
    s.close();
    await receiver.connections[0]?.closed;
    expect(receiver.connections).toHaveLength(1);
  });
});

describe('destination safety at connect time (§5)', () => {
  describe.each([
    ['10.0.0.1', 4],
    ['169.254.169.254', 4],
    ['::ffff:a9fe:a9fe', 6],
    ['fd00::1', 6],
  ] as const)('a name resolving to %s', (address, family) => {
    it.each([
      ['local', LOCAL],
      ['strict', STRICT],
    ] as const)('is refused before any connection (%s policy)', async (_label, policy) => {
      const { resolve, names } = fakeResolver([{ address, family }]);
      const spy = spyConnector();
      const outcome = await sender({ policy, resolve, connect: spy.connect }).send(delivery('https://hooks.example.test/hook'));
      expect(outcome).toEqual({ kind: 'destination_refused', latencyMs: expect.any(Number), attemptedAt: expect.any(Number) });
      // Refused at connect time (the resolver was asked), not by the URL check.
      expect(names).toEqual(['hooks.example.test']);
      expect(spy.calls).toEqual([]);
    });
  });

  it('refuses a name when any one of its addresses is refused', async () => {
    const { resolve, names } = fakeResolver([
      { address: '127.0.0.1', family: 4 },
      { address: '169.254.169.254', family: 4 },
    ]);
    const spy = spyConnector();
    const outcome = await sender({ resolve, connect: spy.connect }).send(delivery('https://hooks.example.test/hook'));
    expect(outcome.kind).toBe('destination_refused');
    expect(names).toEqual(['hooks.example.test']);
    expect(spy.calls).toEqual([]);
  });

  it.each([
    'https://169.254.169.254/latest/meta-data/',
    'https://[::ffff:a9fe:a9fe]/',
    'https://[::ffff:169.254.169.254]/',
    'https://167772161/',
    'https://10.0.0.1/',
    'https://[fe80::1]/',
    'http://10.0.0.1/',
    'https://api.localhost/',
    'https://user:pw@hooks.example.test/',
    'not a url',
  ])('refuses %s given straight to send(), without resolving or connecting', async (url) => {
    const { resolve, names } = fakeResolver([{ address: '127.0.0.1', family: 4 }]);
    const spy = spyConnector();
    const outcome = await sender({ resolve, connect: spy.connect }).send(delivery(url));
    expect(outcome).toEqual({ kind: 'destination_refused', latencyMs: expect.any(Number), attemptedAt: expect.any(Number) });
    expect(names).toEqual([]);
    expect(spy.calls).toEqual([]);
  });

  it('refuses http and loopback without the local policy, without connecting', async () => {
    const receiver = await startReceiver();
    const spy = spyConnector();
    const s = sender({ policy: STRICT, connect: spy.connect });
    expect((await s.send(delivery(receiver.url()))).kind).toBe('destination_refused');
    expect((await s.send(delivery(`https://127.0.0.1:${receiver.port}/hook`))).kind).toBe('destination_refused');
    expect(spy.calls).toEqual([]);
    expect(receiver.connections).toEqual([]);
  });

  it('dials exactly the address the injected resolver answered', async () => {
    const receiver = await startReceiver();
    const { resolve, names, asked } = fakeResolver([{ address: '127.0.0.1', family: 4 }]);
    const spy = spyConnector();
    const outcome = await sender({ resolve, connect: spy.connect }).send(delivery(`http://localhost:${receiver.port}/hook`));
    expect(outcome).toMatchObject({ kind: 'delivered', statusCode: 204 });
    expect(names).toEqual(['localhost']);
    // Every address is asked for (and checked); IPv4 first, since only the first is dialled.
    expect(asked[0]).toMatchObject({ all: true, order: 'ipv4first' });
    expect(spy.calls).toHaveLength(1);
    expect(spy.calls[0]).toMatchObject({ host: '127.0.0.1', port: receiver.port, secure: false });
    expect(receiver.requests[0]?.headers.host).toBe(`localhost:${receiver.port}`);
  });

  it('dials an IP-literal host as given, without asking the resolver', async () => {
    const receiver = await startReceiver();
    const { resolve, names } = fakeResolver([{ address: '10.0.0.1', family: 4 }]);
    const spy = spyConnector();
    const outcome = await sender({ resolve, connect: spy.connect }).send(delivery(receiver.url()));
    expect(outcome).toMatchObject({ kind: 'delivered', statusCode: 204 });
    expect(names).toEqual([]);
    expect(spy.calls).toHaveLength(1);
    expect(spy.calls[0]).toMatchObject({ host: '127.0.0.1', port: receiver.port, secure: false });
  });

  it('dials TLS to the resolved address with the URL host as server name', async () => {
    // A plain-HTTP receiver: the handshake fails, but the dial shows what TLS was asked to verify.
    const receiver = await startReceiver();
    const { resolve, names } = fakeResolver([{ address: '127.0.0.1', family: 4 }]);
    const spy = spyConnector();
    const outcome = await sender({ resolve, connect: spy.connect }).send(delivery(`https://hooks.example.test:${receiver.port}/hook`));
    expect(outcome.kind).toBe('tls_error');
    expect(names).toEqual(['hooks.example.test']);
    expect(spy.calls).toHaveLength(1);
    expect(spy.calls[0]).toMatchObject({ host: '127.0.0.1', port: receiver.port, servername: 'hooks.example.test', secure: true });
  });

  it('fails loudly at creation (cold start) on an invalid allowlist', () => {
    expect(() => sender({ policy: { allowLoopbackHttp: false, allowlist: ['10.0.0.0/8', 'nonsense'] } })).toThrow('invalid CIDR "nonsense"');
  });

  it('connects to an allowlisted address, literal or resolved (the plain-HTTP receiver then fails the TLS handshake)', async () => {
    const receiver = await startReceiver();
    const { resolve } = fakeResolver([{ address: '127.0.0.1', family: 4 }]);
    const s = sender({ policy: { allowLoopbackHttp: false, allowlist: ['127.0.0.0/8'] }, resolve });
    expect(await s.send(delivery(`https://127.0.0.1:${receiver.port}/hook`))).toMatchObject({ kind: 'tls_error' });
    expect(await s.send(delivery(`https://hooks.example.test:${receiver.port}/hook`))).toMatchObject({ kind: 'tls_error' });
    expect(receiver.connections).toHaveLength(2);
  });

  it.each(['ENOTFOUND', 'EAI_AGAIN'])('reports a resolver failure (%s) as dns_error without connecting', async (code) => {
    const failure: NodeJS.ErrnoException = Object.assign(new Error(`getaddrinfo ${code} nowhere.example.test`), { code });
    const { resolve } = fakeResolver(failure);
    const spy = spyConnector();
    const outcome: DeliveryOutcome = await sender({ resolve, connect: spy.connect }).send(delivery('https://nowhere.example.test/hook'));
    expect(outcome).toEqual({ kind: 'dns_error', latencyMs: expect.any(Number), attemptedAt: expect.any(Number) });
    expect(spy.calls).toEqual([]);
  });
});
