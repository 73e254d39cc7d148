import { request } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalService, type LocalService } from '#local/service.ts';

/**
 * Property-based fuzzing of the HTTP API against local mode's real listener (loopback).
 * Random methods, paths built from the route templates with hostile segments, queries,
 * headers and bodies; every response must be a non-5xx, errors must be the §2 JSON shape,
 * and no body or header may carry a stack trace, the dev key, a minted key or a webhook secret
 * outside the responses that return it by design.
 *
 * Bounded and reproducible: a fixed seed (override with FUZZ_SEED), a fixed run count.
 * A failure prints the seed, the path to replay and the shrunk counterexample.
 */
const SEED = process.env.FUZZ_SEED === undefined ? 20261201 : Number(process.env.FUZZ_SEED);
const MAX_MESSAGE_BYTES = 4096;
const CACHE = 'fz';
const WEBHOOKS = ['w1', 'w2'];
const BAD_KEY = 'whk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
const ERROR_CODES = new Set(['INVALID_ARGUMENT_ERROR', 'AUTHENTICATION_ERROR', 'PERMISSION_ERROR', 'NOT_FOUND_ERROR', 'LIMIT_EXCEEDED_ERROR']);
const METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'] as const;

let service: LocalService;
/** Every credential the run has seen returned: the dev key, minted keys, webhook secrets. */
const secrets = new Set<string>();

interface FuzzRequest {
  method: string;
  path: string;
  /** Flat [name, value] pairs, repeated names kept apart. */
  headers: [string, string][];
  body: Buffer | undefined;
}

interface FuzzResponse {
  status: number;
  headers: string;
  text: string;
}

/** One request over node:http, so repeated headers stay separate and the path goes as written. */
function send(req: FuzzRequest): Promise<FuzzResponse> {
  const url = new URL(service.url);
  // setHeader with an array sends one line per value: repeated names stay apart.
  const grouped = new Map<string, string[]>();
  for (const [name, value] of req.headers) grouped.set(name.toLowerCase(), [...(grouped.get(name.toLowerCase()) ?? []), value]);
  if (req.body !== undefined) grouped.set('content-length', [String(req.body.length)]);
  return new Promise((resolve, reject) => {
    const r = request(
      { host: url.hostname, port: Number(url.port), method: req.method, path: req.path, agent: false, timeout: 15_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.rawHeaders.join('\n'), text: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    for (const [name, values] of grouped) r.setHeader(name, values.length === 1 ? values[0]! : values);
    r.on('timeout', () => r.destroy(new Error('request timed out')));
    r.on('error', reject);
    r.end(req.body);
  });
}

/** Generalized UTF-8 (WTF-8): a lone surrogate becomes its three bytes, as a broken client would send. */
function wtf8(text: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    let cp = text.charCodeAt(i);
    if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < text.length) {
      const lo = text.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        i++;
      }
    }
    if (cp < 0x80) bytes.push(cp);
    else if (cp < 0x800) bytes.push(0xc0 | (cp >> 6), 0x80 | (cp & 63));
    else if (cp < 0x10000) bytes.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
    else bytes.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
  }
  return Buffer.from(bytes);
}

/** Every byte outside the unreserved set percent-encoded (lone surrogates as their WTF-8 bytes). */
const pctEncode = (text: string) =>
  [...wtf8(text)].map((b) => (/[A-Za-z0-9\-._~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');

// ---- arbitraries ---------------------------------------------------------------------------

/** A body with a short printed form, so a counterexample of 200 KB stays readable. */
class Body {
  constructor(
    readonly bytes: Buffer,
    readonly label: string,
  ) {}
  [fc.toStringMethod](): string {
    const head = this.bytes.subarray(0, 120).toString('latin1');
    return `Body<${this.label}, ${this.bytes.length} bytes: ${JSON.stringify(head)}${this.bytes.length > 120 ? '…' : ''}>`;
  }
}

const anyText = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }), // lone surrogates included
  fc.constantFrom('😀', '👩‍👩‍👧', '\ud800', '\udfff', 'a\ud83d', '\u0000', '\u202e', 'é', 'ﬃ'),
);

/** A segment as it goes on the wire: already encoded, or deliberately broken. */
const segment: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(CACHE, ...WEBHOOKS, 't', 'secret', 'rotate') },
  { weight: 4, arbitrary: anyText.map(pctEncode) },
  { weight: 1, arbitrary: fc.constantFrom('', '.', '..', '%2E', '%2E%2E', '%2F', '..%2F..', '%5C') },
  {
    weight: 2,
    arbitrary: fc
      .array(fc.constantFrom('%', '%2', '%zz', '%%', '%25', '%00', '%C0%AF', '%FF', '%E2%82', '%ED%A0%80', '%F0%9F%98%80', 'a', '+', ';', '@', ':', '!'), {
        minLength: 1,
        maxLength: 6,
      })
      .map((parts) => parts.join('')),
  },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('a', '%F0%9F%98%80', 'x-'), fc.integer({ min: 100, max: 3000 })).map(([s, n]) => s.repeat(Math.ceil(n / s.length))) },
);

const path = fc.oneof(
  segment.map((c) => `/webhooks/${c}`),
  fc.tuple(segment, segment).map(([c, w]) => `/webhooks/${c}/${w}`),
  fc.tuple(segment, segment).map(([c, w]) => `/webhooks/${c}/${w}/secret`),
  fc.tuple(segment, segment).map(([c, w]) => `/webhooks/${c}/${w}/secret/rotate`),
  fc.tuple(segment, segment).map(([c, w]) => `/webhooks/${c}/${w}/deliveries`),
  fc.tuple(segment, segment).map(([c, w]) => `/webhooks/${c}/${w}/test`),
  fc.tuple(segment, segment).map(([c, t]) => `/topics/${c}/${t}`),
  fc.constant('/keys'),
  segment.map((id) => `/keys/${id}`),
  fc.constant('/health'),
  // The webhooks and topic the run created, so authorized calls reach stored secrets and messages.
  fc.constant(`/webhooks/${CACHE}`),
  fc.tuple(fc.constantFrom(...WEBHOOKS), fc.constantFrom('', '/secret', '/secret/rotate', '/deliveries', '/test')).map(([w, s]) => `/webhooks/${CACHE}/${w}${s}`),
  fc.constant(`/topics/${CACHE}/t`),
);

/** Query values; `@key` and `@bad` stand for the valid and a bad key (the key is only known at run time). */
const queryValue = fc.oneof(
  fc.constantFrom('1', '0', '-1', '100', '101', '1e3', '9007199254740993', 'NaN', '', 'abc', '@key', '@bad', '%', '%zz', '%ED%A0%80'),
  fc.integer().map(String),
  anyText.map(pctEncode),
);
const query = fc.array(fc.tuple(fc.constantFrom('limit', 'cursor', 'sequence_number', 'token', 'x', ''), queryValue), { maxLength: 4 });

const auth = fc.constantFrom<('good' | 'bad' | 'bearer')[]>([], ['good'], ['good'], ['bad'], ['bearer'], ['good', 'bad'], ['bad', 'good'], ['good', 'good']);
const contentType = fc.constantFrom(
  undefined,
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'application/octet-stream',
  'multipart/form-data; boundary=x',
  'application/json; charset=latin1',
  ';;==',
);
const signature = fc.option(fc.constantFrom('momento-signature', 'webhook-signature', 'Momento-Signature'), { freq: 8 });

/** JSON nested `depth` levels deep in arrays and objects. */
const deep = fc.tuple(fc.integer({ min: 50, max: 5000 }), fc.boolean()).map(([depth, objects]) =>
  objects ? '{"a":'.repeat(depth) + '1' + '}'.repeat(depth) : '['.repeat(depth) + ']'.repeat(depth),
);
const webhookBody = fc.record(
  {
    topicName: fc.oneof(fc.constant('t'), anyText),
    destination: fc.oneof(
      fc.record({ postUrl: fc.oneof(fc.constantFrom('http://127.0.0.1:9/', 'https://hooks.example.com/r', 'ftp://x', 'http://[::1]:9/', 'javascript:1'), anyText) }),
      fc.jsonValue({ maxDepth: 2 }),
    ),
  },
  { requiredKeys: [] },
);
const keyBody = fc.record(
  {
    permissions: fc.oneof(fc.subarray(['topics:publish', 'topics:subscribe', 'webhooks:manage', 'keys:manage', 'admin']), fc.jsonValue({ maxDepth: 1 })),
    caches: fc.oneof(fc.array(fc.oneof(fc.constantFrom('*', CACHE), anyText), { maxLength: 5 }), fc.jsonValue({ maxDepth: 1 })),
    expiresInSeconds: fc.oneof(fc.integer({ min: -10, max: 100_000 }), fc.double(), fc.string({ maxLength: 3 })),
    tokenId: anyText,
  },
  { requiredKeys: [] },
);
const body: fc.Arbitrary<Body | undefined> = fc.oneof(
  { weight: 2, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.constant(new Body(Buffer.alloc(0), 'empty')) },
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => new Body(Buffer.from(JSON.stringify(v) ?? 'null'), 'json')) },
  { weight: 3, arbitrary: webhookBody.map((v) => new Body(wtf8(JSON.stringify(v)), 'webhook json')) },
  { weight: 2, arbitrary: keyBody.map((v) => new Body(wtf8(JSON.stringify(v)), 'key json')) },
  { weight: 1, arbitrary: deep.map((s) => new Body(Buffer.from(s), 'deep json')) },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.jsonValue({ maxDepth: 1 }), fc.integer({ min: 1000, max: 40_000 })).map(([v, n]) => new Body(Buffer.from(JSON.stringify(Array(n).fill(v ?? null))), `array of ${n}`)),
  },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 2048 }).map((b) => new Body(Buffer.from(b), 'bytes')) },
  { weight: 1, arbitrary: fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.integer({ min: 1, max: 200 * 1024 })).map(([b, n]) => new Body(Buffer.alloc(n, Buffer.from(b)), 'repeated bytes')) },
  { weight: 2, arbitrary: anyText.map((s) => new Body(wtf8(s), 'text')) },
  { weight: 1, arbitrary: anyText.map((s) => new Body(wtf8(JSON.stringify({ topicName: s, destination: { postUrl: `http://127.0.0.1:9/${s}` } })), 'webhook text')) },
);

type Spec = {
  method: string;
  path: string;
  query: [string, string][];
  auth: ('good' | 'bad' | 'bearer')[];
  contentType: string | undefined;
  signature: string | null;
  body: Body | undefined;
};

function build(spec: Spec): FuzzRequest {
  const value = (v: string) => (v === '@key' ? service.apiKey : v === '@bad' ? BAD_KEY : v);
  const qs = spec.query.map(([k, v]) => `${k}=${value(v)}`).join('&');
  const headers: [string, string][] = [];
  for (const a of spec.auth) headers.push(['authorization', a === 'good' ? service.apiKey : a === 'bad' ? BAD_KEY : `Bearer ${service.apiKey}`]);
  if (spec.contentType !== undefined) headers.push(['content-type', spec.contentType]);
  if (spec.signature !== null) headers.push([spec.signature, 'v1=abc']);
  return { method: spec.method, path: qs ? `${spec.path}?${qs}` : spec.path, headers, body: spec.body?.bytes };
}

/** Responses that hand out a credential by design: a put or rotation of a webhook, its secret, a new key. */
function returnsCredential(req: FuzzRequest, status: number): boolean {
  if (status < 200 || status >= 300) return false;
  const p = req.path.split('?')[0]!;
  const segs = p.split('/');
  if (req.method === 'PUT' && segs.length === 4 && segs[1] === 'webhooks') return true;
  if (req.method === 'GET' && segs.length === 5 && segs[4] === 'secret') return true;
  if (req.method === 'POST' && p.endsWith('/secret/rotate') && segs.length === 6) return true;
  return req.method === 'POST' && p === '/keys';
}

/** Learns the credentials a response hands out, so later responses are checked for them too. */
function learn(res: FuzzResponse): void {
  try {
    const json = JSON.parse(res.text) as { secret?: unknown; apiKey?: unknown };
    if (typeof json.secret === 'string') secrets.add(json.secret);
    if (typeof json.apiKey === 'string') secrets.add(json.apiKey);
  } catch {
    // Not JSON: nothing to learn.
  }
}

/** The invariants every response must hold; throws (with the response) when one does not. */
function check(req: FuzzRequest, res: FuzzResponse): void {
  const where = `${req.method} ${req.path.slice(0, 300)} -> ${res.status} ${res.text.slice(0, 500)}`;
  expect(res.status, `5xx: ${where}`).toBeLessThan(500);
  expect(res.status, `no status: ${where}`).toBeGreaterThanOrEqual(200);
  if (res.status >= 400 && req.method !== 'HEAD') {
    let json: unknown;
    expect(() => (json = JSON.parse(res.text)), `error body is not JSON: ${where}`).not.toThrow();
    const error = (json as { error?: { code?: unknown; message?: unknown } } | null)?.error;
    expect(json, `error shape: ${where}`).toEqual({ error: { code: expect.any(String), message: expect.any(String) } });
    expect(ERROR_CODES.has(error!.code as string), `error code ${String(error?.code)}: ${where}`).toBe(true);
    expect((error!.message as string).length, `empty message: ${where}`).toBeGreaterThan(0);
  }
  const all = `${res.headers}\n${res.text}`;
  expect(/\bat [^\s]+ \(|\n\s+at /.test(all), `stack frame: ${where}`).toBe(false);
  expect(/\.[cm]?[tj]s:\d+/.test(all), `source position: ${where}`).toBe(false);
  expect(all.includes(service.apiKey), `dev key leaked: ${where}`).toBe(false);
  if (!returnsCredential(req, res.status)) {
    for (const s of secrets) expect(all.includes(s), `credential leaked: ${where}`).toBe(false);
  }
  learn(res);
}

async function roundTrip(spec: Spec): Promise<void> {
  const req = build(spec);
  check(req, await send(req));
}

const runs = (n: number) => ({ numRuns: n, seed: SEED, verbose: fc.VerbosityLevel.Verbose });

beforeAll(async () => {
  service = await startLocalService({
    port: 0,
    quiet: process.env.FUZZ_LOG === undefined,
    env: { SUBSCRIBE_WAIT_SECONDS: '1', MAX_MESSAGE_BYTES: String(MAX_MESSAGE_BYTES) },
  });
  secrets.add(service.apiKey);
  for (const w of WEBHOOKS) {
    const req = build({
      method: 'PUT',
      path: `/webhooks/${CACHE}/${w}`,
      query: [],
      auth: ['good'],
      contentType: 'application/json',
      signature: null,
      body: new Body(Buffer.from(JSON.stringify({ topicName: 't', destination: { postUrl: 'http://127.0.0.1:9/' } })), 'setup'),
    });
    const res = await send(req);
    expect([200, 201]).toContain(res.status);
    learn(res);
  }
  const key = await send(build({ method: 'POST', path: '/keys', query: [], auth: ['good'], contentType: 'application/json', signature: null, body: new Body(Buffer.from(JSON.stringify({ permissions: ['topics:publish'], caches: [CACHE], expiresInSeconds: 600 })), 'setup') }));
  expect([200, 201]).toContain(key.status);
  learn(key);
  expect(secrets.size).toBe(4);
});

afterAll(async () => {
  await service?.stop();
});

describe(`HTTP API fuzz (seed ${SEED}; FUZZ_SEED overrides)`, () => {
  it('answers any method, path, query, headers and body without a 5xx, in the error shape, leaking nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({ method: fc.constantFrom(...METHODS), path, query, auth, contentType, signature, body }),
        roundTrip,
      ),
      runs(350),
    );
  }, 60_000);

  it('answers hostile bodies on the write routes, authorized, the same way', async () => {
    const writePath = fc.oneof(
      fc.tuple(segment, segment).map(([c, w]) => ({ method: 'PUT', path: `/webhooks/${c}/${w}` })),
      fc.tuple(segment, segment).map(([c, t]) => ({ method: 'POST', path: `/topics/${c}/${t}` })),
      fc.constant({ method: 'POST', path: '/keys' }),
      fc.tuple(fc.constantFrom(...WEBHOOKS), fc.constantFrom('/test', '/secret/rotate')).map(([w, s]) => ({ method: 'POST', path: `/webhooks/${CACHE}/${w}${s}` })),
    );
    await fc.assert(
      fc.asyncProperty(writePath, contentType, body, query, async (target, ct, b, q) => {
        await roundTrip({ ...target, query: q.filter(([k]) => k !== 'token'), auth: ['good'], contentType: ct, signature: null, body: b });
      }),
      runs(150),
    );
  }, 60_000);
});
