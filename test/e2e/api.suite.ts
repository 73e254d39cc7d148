import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, errorBody, webhookPath, type ApiCall, type ApiCaller, type ApiResponse } from '../helpers/api-client.ts';

/**
 * The black-box suite of §2, run against local mode in `npm test` (test/e2e/local.test.ts) and
 * against a deployed stack by `npm run test:e2e` (test/e2e/deployed.test.ts). It never
 * publishes to a topic that has a webhook: deliveries are covered where receivers are reachable.
 * Every key and webhook it creates is recorded (`CreatedResources`) and removed in `afterAll`;
 * its keys expire within the hour unless a test needs another lifetime.
 */
export interface E2eTarget {
  baseUrl: string;
  /** A key with every permission on every cache. */
  adminKey: string;
  /** The deployment's webhooks-per-cache limit. */
  webhookLimit: number;
  /** The deployment's maximum message size in bytes. */
  maxMessageBytes: number;
  /**
   * LocalStack's free image applies the status of API Gateway's gateway responses but not their
   * body templates, so its unknown-route 404 carries API Gateway's own body.
   */
  gatewayResponseBodies?: boolean;
}

const destination = { postUrl: 'https://hooks.example.com/receiver' };

/** Lifetime of the keys the suite creates where a test needs no other: an hour, in case cleanup never runs. */
const KEY_LIFETIME_SECONDS = 3600;

/**
 * Everything the suite creates, recorded in one place as the responses come back, so that
 * `afterAll` can remove it from a long-lived deployment: every key a `POST /keys` answered
 * `201` for (whoever minted it), every webhook path a `PUT` answered `200` for.
 */
class CreatedResources {
  readonly keyIds = new Set<string>();
  readonly webhookPaths = new Set<string>();

  /** `call`, recording what each successful call created. */
  track(call: ApiCaller): ApiCaller {
    return async (method: string, path: string, options?: ApiCall): Promise<ApiResponse> => {
      const res = await call(method, path, options);
      if (method === 'POST' && path === '/keys' && res.status === 201) this.keyIds.add((res.json as { keyId: string }).keyId);
      if (method === 'PUT' && /^\/webhooks\/[^/?]+\/[^/?]+$/.test(path) && res.status === 200) this.webhookPaths.add(path);
      return res;
    };
  }

  /**
   * Revokes every key and deletes every webhook, with `admin` (the target's own key, never
   * recorded); `404` means a test already removed it. Throws, naming each, if any remains.
   */
  async remove(admin: ApiCaller): Promise<void> {
    const calls = [
      ...[...this.keyIds].map((keyId) => ['DELETE', `/keys/${keyId}`] as const),
      ...[...this.webhookPaths].map((path) => ['DELETE', path] as const),
    ];
    const failures: string[] = [];
    // A few at a time: a deployment's stage throttles, and the limit test alone leaves `webhookLimit` webhooks.
    for (let i = 0; i < calls.length; i += 8) {
      await Promise.all(
        calls.slice(i, i + 8).map(async ([method, path]) => {
          const res = await admin(method, path).catch((err: unknown) => ({ status: String(err) }));
          if (res.status !== 204 && res.status !== 404) failures.push(`${method} ${path}: ${res.status}`);
        }),
      );
    }
    this.keyIds.clear();
    this.webhookPaths.clear();
    if (failures.length > 0) throw new Error(`e2e cleanup left ${failures.length} resources behind:\n${failures.join('\n')}`);
  }
}

export function defineApiSuite(getTarget: () => E2eTarget): void {
  let api: ApiCaller;
  let target: E2eTarget;
  // Every run uses its own caches, so the suite can run against a long-lived deployment.
  const run = randomUUID().slice(0, 8);
  const cache = (name: string) => `e2e-${run}-${name}`;

  const resources = new CreatedResources();

  beforeAll(() => {
    target = getTarget();
    api = resources.track(apiClient(target.baseUrl, target.adminKey));
  });

  afterAll(async () => {
    if (target) await resources.remove(apiClient(target.baseUrl, target.adminKey));
  }, 300_000);

  describe('health', () => {
    it('answers 200 without a key', async () => {
      const res = await api('GET', '/health', { key: null });
      expect(res.status).toBe(200);
      expect(res.json).toEqual({ status: 'ok' });
    });
  });

  describe('routing', () => {
    it.each([
      ['GET', '/nope'],
      ['PATCH', webhookPath('c', 'w')],
      ['GET', '/webhooks'],
      ['POST', webhookPath('c')],
    ])('answers %s %s with 404 NOT_FOUND_ERROR', async (method, path) => {
      const res = await api(method, path);
      expect(res.status).toBe(404);
      if (target.gatewayResponseBodies !== false) expect(res.json).toEqual(errorBody('NOT_FOUND_ERROR'));
    });
  });

  describe('webhooks', () => {
    it('creates, reads, updates, rotates, lists and deletes a webhook', async () => {
      const c = cache('crud');
      const put = await api('PUT', webhookPath(c, 'orders'), { body: { topicName: 'orders', destination } });
      expect(put.status).toBe(200);
      const { secret } = put.json as { secret: string };
      expect(secret).toMatch(/^[\x21-\x7e]{43,}$/);

      const got = await api('GET', webhookPath(c, 'orders', '/secret'));
      expect(got.status).toBe(200);
      expect(got.json).toEqual({ secret, webhookName: 'orders', cacheName: c });

      const update = await api('PUT', webhookPath(c, 'orders'), {
        body: { topicName: 'orders-v2', destination: { postUrl: 'https://hooks.example.com/v2' } },
      });
      expect(update.status).toBe(200);
      expect(update.json).toEqual({ secret });

      const listed = await api('GET', webhookPath(c));
      expect(listed.status).toBe(200);
      expect(listed.json).toEqual({
        webhooks: [
          { id: { cacheName: c, webhookName: 'orders' }, topicName: 'orders-v2', destination: { postUrl: 'https://hooks.example.com/v2' } },
        ],
      });
      expect(listed.text).not.toContain(secret);

      const rotated = await api('POST', webhookPath(c, 'orders', '/secret/rotate'));
      expect(rotated.status).toBe(200);
      const next = rotated.json as { secret: string };
      expect(next).toEqual({ secret: expect.any(String), webhookName: 'orders', cacheName: c });
      expect(next.secret).not.toBe(secret);
      expect((await api('GET', webhookPath(c, 'orders', '/secret'))).json).toEqual(next);

      const deleted = await api('DELETE', webhookPath(c, 'orders'));
      expect(deleted.status).toBe(204);
      expect(deleted.text).toBe('');
      expect((await api('GET', webhookPath(c))).json).toEqual({ webhooks: [] });
    });

    it('keeps the optional settings a put leaves out, lists them, and gives the Standard Webhooks secret', async () => {
      const c = cache('settings');
      const tuned = { topicName: 'orders', destination, standardWebhooks: true, rateLimitPerSecond: 20 };
      const { secret } = (await api('PUT', webhookPath(c, 'tuned'), { body: tuned })).json as { secret: string };
      expect((await api('PUT', webhookPath(c, 'tuned'), { body: { topicName: 'orders', destination } })).status).toBe(200);
      expect((await api('GET', webhookPath(c))).json).toEqual({
        webhooks: [{ id: { cacheName: c, webhookName: 'tuned' }, topicName: 'orders', destination, standardWebhooks: true, rateLimitPerSecond: 20 }],
      });
      const standardWebhooksSecret = `whsec_${Buffer.from(secret, 'utf8').toString('base64')}`;
      expect((await api('GET', webhookPath(c, 'tuned', '/secret'))).json).toEqual({ secret, webhookName: 'tuned', cacheName: c, standardWebhooksSecret });
      const rotated = await api('POST', webhookPath(c, 'tuned', '/secret/rotate'), { body: { graceSeconds: 60 } });
      expect(rotated.status).toBe(200);
      expect((rotated.json as { secret: string }).secret).not.toBe(secret);
      expect((await api('POST', webhookPath(c, 'tuned', '/secret/rotate'), { body: { graceSeconds: 86_401 } })).status).toBe(400);
      expect((await api('PUT', webhookPath(c, 'tuned'), { body: { ...tuned, rateLimitPerSecond: 0 } })).status).toBe(400);
    });

    it('lists an unused cache as empty', async () => {
      const res = await api('GET', webhookPath(cache('never-used')));
      expect(res.status).toBe(200);
      expect(res.json).toEqual({ webhooks: [] });
    });

    it.each([
      ['DELETE', ''],
      ['GET', '/secret'],
      ['POST', '/secret/rotate'],
    ])('answers %s of an unknown webhook%s with 404', async (method, suffix) => {
      const res = await api(method, webhookPath(cache('unknown'), 'missing', suffix));
      expect(res.status).toBe(404);
      expect(res.json).toEqual(errorBody('NOT_FOUND_ERROR'));
    });

    it('keeps names with unicode, delimiters and spaces apart, without collisions', async () => {
      const pairs = [
        { c: cache('a#b'), w: 'c' },
        { c: cache('a'), w: 'b#c' },
        { c: cache('注文 キャッシュ'), w: 'web hook ✓' },
        { c: cache('x?y=z&'), w: '%41 ~!*()\'' },
      ];
      const secrets = new Set<string>();
      for (const { c, w } of pairs) {
        const res = await api('PUT', webhookPath(c, w), { body: { topicName: `${w}#t`, destination } });
        expect(res.status).toBe(200);
        secrets.add((res.json as { secret: string }).secret);
      }
      expect(secrets.size).toBe(pairs.length);
      for (const { c, w } of pairs) {
        const res = await api('GET', webhookPath(c));
        expect(res.json).toEqual({
          webhooks: [{ id: { cacheName: c, webhookName: w }, topicName: `${w}#t`, destination }],
        });
      }
    });

    it('accepts names of maximal length in four-byte characters', async () => {
      const c = run + '😀'.repeat(255 - run.length);
      const w = '😀'.repeat(128);
      const put = await api('PUT', webhookPath(c, w), { body: { topicName: '😀'.repeat(255), destination } });
      expect(put.status).toBe(200);
      const got = await api('GET', webhookPath(c, w, '/secret'));
      expect(got.json).toMatchObject({ cacheName: c, webhookName: w });
      expect((await api('DELETE', webhookPath(c, w))).status).toBe(204);
    });

    it.each([
      ['malformed JSON', { raw: '{"topicName":', headers: { 'content-type': 'application/json' } }],
      ['an array', { body: [] }],
      ['an empty body', { raw: '' }],
      ['a missing topicName', { body: { destination } }],
      ['a numeric topicName', { body: { topicName: 1, destination } }],
      ['a missing destination', { body: { topicName: 't' } }],
      ['an http URL', { body: { topicName: 't', destination: { postUrl: 'http://hooks.example.com/' } } }],
      ['a relative URL', { body: { topicName: 't', destination: { postUrl: '/hook' } } }],
      ['a metadata-service URL', { body: { topicName: 't', destination: { postUrl: 'https://169.254.169.254/' } } }],
      ['a private address in decimal', { body: { topicName: 't', destination: { postUrl: 'https://167772161/' } } }],
      ['an IPv4-mapped private address', { body: { topicName: 't', destination: { postUrl: 'https://[::ffff:10.0.0.1]/' } } }],
      ['a too-long URL', { body: { topicName: 't', destination: { postUrl: `https://hooks.example.com/${'a'.repeat(1024)}` } } }],
      ['a blank topic', { body: { topicName: ' ', destination } }],
      ['a JSON body sent as text/plain that is not JSON', { raw: 'hello', headers: { 'content-type': 'text/plain' } }],
    ])('rejects a put with %s: 400 and nothing written', async (_label, call) => {
      const c = cache('bad-put');
      const res = await api('PUT', webhookPath(c, 'w'), call);
      expect(res.status).toBe(400);
      expect(res.json).toEqual(errorBody('INVALID_ARGUMENT_ERROR'));
      expect((await api('GET', webhookPath(c))).json).toEqual({ webhooks: [] });
    });

    it('parses a JSON body whatever its content-type says', async () => {
      const res = await api('PUT', webhookPath(cache('ctype'), 'w'), {
        raw: JSON.stringify({ topicName: 't', destination }),
        headers: { 'content-type': 'text/plain' },
      });
      expect(res.status).toBe(200);
    });

    it.each([
      ['a slash in the webhook name', webhookPath('c', 'a/b').replace('%2F', '%2f')],
      ['a control character', webhookPath('c', 'a\u0001b')],
      ['a too-long webhook name', webhookPath('c', 'w'.repeat(129))],
      ['a too-long cache name', webhookPath('c'.repeat(256), 'w')],
      ['a blank cache name', webhookPath(' ', 'w')],
    ])('rejects %s with 400', async (_label, path) => {
      const res = await api('PUT', path, { body: { topicName: 't', destination } });
      // API Gateway refuses an encoded slash in a segment itself (404); local mode decodes it (400).
      expect([400, 404]).toContain(res.status);
      expect(res.json).toMatchObject({ error: { code: expect.stringMatching(/INVALID_ARGUMENT_ERROR|NOT_FOUND_ERROR/) } });
    });

    it('enforces the per-cache webhook limit with 429, and updates still succeed at the limit', async () => {
      const c = cache('limit');
      for (let i = 0; i < target.webhookLimit; i++) {
        const res = await api('PUT', webhookPath(c, `w${i}`), { body: { topicName: 't', destination } });
        expect(res.status).toBe(200);
      }
      const over = await api('PUT', webhookPath(c, 'one-too-many'), { body: { topicName: 't', destination } });
      expect(over.status).toBe(429);
      expect(over.json).toEqual(errorBody('LIMIT_EXCEEDED_ERROR'));
      const update = await api('PUT', webhookPath(c, 'w0'), { body: { topicName: 't2', destination } });
      expect(update.status).toBe(200);
      const listed = (await api('GET', webhookPath(c))).json as { webhooks: unknown[] };
      expect(listed.webhooks).toHaveLength(target.webhookLimit);
    });
  });

  describe('authentication and permissions', () => {
    let publishOnly: string;
    let otherCache: string;
    let expiring: { apiKey: string; keyId: string };

    beforeAll(async () => {
      publishOnly = ((await api('POST', '/keys', { body: { permissions: ['topics:publish'], caches: ['*'], expiresInSeconds: KEY_LIFETIME_SECONDS } })).json as { apiKey: string }).apiKey;
      otherCache = ((await api('POST', '/keys', { body: { permissions: ['webhooks:manage', 'topics:publish', 'keys:manage'], caches: [cache('other')], expiresInSeconds: KEY_LIFETIME_SECONDS } })).json as { apiKey: string }).apiKey;
      expiring = (await api('POST', '/keys', { body: { permissions: ['webhooks:manage'], caches: ['*'], expiresInSeconds: 1 } })).json as { apiKey: string; keyId: string };
    });

    it.each([
      ['no key', null],
      ['an unknown key', 'whk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
      ['garbage', 'not a key at all'],
    ])('answers 401 for %s', async (_label, key) => {
      const res = await api('GET', webhookPath(cache('auth')), { key });
      expect(res.status).toBe(401);
      expect(res.json).toEqual(errorBody('AUTHENTICATION_ERROR'));
    });

    it('accepts a Bearer prefix', async () => {
      const res = await api('GET', webhookPath(cache('auth')), { key: `Bearer ${target.adminKey}` });
      expect(res.status).toBe(200);
    });

    it('answers 403 for a key without the permission', async () => {
      const res = await api('GET', webhookPath(cache('auth')), { key: publishOnly });
      expect(res.status).toBe(403);
      expect(res.json).toEqual(errorBody('PERMISSION_ERROR'));
    });

    it('answers 403 for a key without the cache', async () => {
      const res = await api('PUT', webhookPath(cache('auth'), 'w'), { key: otherCache, body: { topicName: 't', destination } });
      expect(res.status).toBe(403);
      expect(res.json).toEqual(errorBody('PERMISSION_ERROR'));
      const own = await api('GET', webhookPath(cache('other')), { key: otherCache });
      expect(own.status).toBe(200);
    });

    it('answers 401 for an expired key', async () => {
      await new Promise((r) => setTimeout(r, 2100));
      const res = await api('GET', webhookPath(cache('auth')), { key: expiring.apiKey });
      expect(res.status).toBe(401);
      expect(res.json).toEqual(errorBody('AUTHENTICATION_ERROR'));
    });

    it('does not accept ?token= outside publish', async () => {
      const res = await api('GET', `${webhookPath(cache('auth'))}?token=${encodeURIComponent(target.adminKey)}`, { key: null });
      expect(res.status).toBe(401);
    });
  });

  describe('keys', () => {
    it.each([
      ['a century', 100 * 365 * 24 * 3600],
      ['the largest safe integer', Number.MAX_SAFE_INTEGER],
      ['1e300', 1e300],
    ])('accepts any positive integer lifetime: %s', async (_label, expiresInSeconds) => {
      const created = await api('POST', '/keys', { body: { permissions: ['topics:publish'], caches: [cache('long')], expiresInSeconds } });
      expect(created.status).toBe(201);
      const key = created.json as { apiKey: string; keyId: string; expiresAt: string };
      const expected = Math.min(Date.now() + expiresInSeconds * 1000, Date.UTC(9999, 11, 31, 23, 59, 59));
      // The server's clock read the time a moment before ours did.
      expect(Date.parse(key.expiresAt)).toBeGreaterThan(expected - 60_000);
      expect(Date.parse(key.expiresAt)).toBeLessThanOrEqual(expected);
      expect(key.expiresAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
      expect((await api('POST', `/topics/${encodeURIComponent(cache('long'))}/t`, { key: key.apiKey, raw: 'hi' })).status).toBe(204);
      expect((await api('DELETE', `/keys/${key.keyId}`)).status).toBe(204);
    });

    it('creates a key shown once, lists it without the key, and revokes it', async () => {
      const created = await api('POST', '/keys', {
        body: { permissions: ['topics:publish'], caches: [cache('k')], tokenId: 'svc-1', expiresInSeconds: KEY_LIFETIME_SECONDS },
      });
      expect(created.status).toBe(201);
      const key = created.json as { apiKey: string; keyId: string; expiresAt: string };
      expect(key.apiKey).toMatch(/^whk_/);
      expect(key.keyId).toMatch(/^[0-9a-f]{24}$/);
      expect(new Date(key.expiresAt).toISOString()).toBe(key.expiresAt);

      const listed = await api('GET', '/keys');
      expect(listed.status).toBe(200);
      expect(listed.text).not.toContain(key.apiKey);
      expect((listed.json as { keys: unknown[] }).keys).toContainEqual({
        keyId: key.keyId,
        permissions: ['topics:publish'],
        caches: [cache('k')],
        tokenId: 'svc-1',
        expiresAt: key.expiresAt,
      });

      const publish = await api('POST', `/topics/${encodeURIComponent(cache('k'))}/t`, { key: key.apiKey, raw: 'hi' });
      expect(publish.status).toBe(204);

      expect((await api('DELETE', `/keys/${key.keyId}`)).status).toBe(204);
      const after = await api('POST', `/topics/${encodeURIComponent(cache('k'))}/t`, { key: key.apiKey, raw: 'hi' });
      expect(after.status).toBe(401);
      expect((await api('DELETE', `/keys/${key.keyId}`)).status).toBe(404);
    });

    it('lets a key mint only a subset of its own power', async () => {
      const scoped = (
        await api('POST', '/keys', {
          body: { permissions: ['keys:manage', 'topics:publish'], caches: [cache('s')], expiresInSeconds: 600 },
        })
      ).json as { apiKey: string; keyId: string };
      const mint = (body: unknown) => api('POST', '/keys', { key: scoped.apiKey, body });

      expect((await mint({ permissions: ['webhooks:manage'], caches: [cache('s')], expiresInSeconds: 60 })).status).toBe(403);
      expect((await mint({ permissions: ['topics:publish'], caches: ['*'], expiresInSeconds: 60 })).status).toBe(403);
      expect((await mint({ permissions: ['topics:publish'], caches: [cache('t')], expiresInSeconds: 60 })).status).toBe(403);
      expect((await mint({ permissions: ['topics:publish'], caches: [cache('s')] })).status).toBe(403);
      expect((await mint({ permissions: ['topics:publish'], caches: [cache('s')], expiresInSeconds: 6000 })).status).toBe(403);
      const ok = await mint({ permissions: ['topics:publish'], caches: [cache('s')], expiresInSeconds: 60 });
      expect(ok.status).toBe(201);

      // A scoped key lists and revokes only keys within its caches.
      const listed = (await api('GET', '/keys', { key: scoped.apiKey })).json as { keys: { keyId: string; caches: string[] }[] };
      expect(listed.keys.map((k) => k.keyId).sort()).toEqual([scoped.keyId, (ok.json as { keyId: string }).keyId].sort());
      const outsider = (await api('POST', '/keys', { body: { permissions: ['topics:publish'], caches: ['*'], expiresInSeconds: KEY_LIFETIME_SECONDS } })).json as { keyId: string };
      expect((await api('DELETE', `/keys/${outsider.keyId}`, { key: scoped.apiKey })).status).toBe(404);
      expect((await api('DELETE', `/keys/${outsider.keyId}`)).status).toBe(204);
    });

    it.each([
      ['malformed JSON', { raw: '{' }],
      ['no permissions', { body: { caches: ['*'] } }],
      ['an unknown permission', { body: { permissions: ['admin'], caches: ['*'] } }],
      ['a negative expiry', { body: { permissions: ['topics:publish'], caches: ['*'], expiresInSeconds: -1 } }],
      ['a long tokenId', { body: { permissions: ['topics:publish'], caches: ['*'], tokenId: 't'.repeat(65) } }],
    ])('rejects a key with %s: 400', async (_label, call) => {
      const res = await api('POST', '/keys', call);
      expect(res.status).toBe(400);
      expect(res.json).toEqual(errorBody('INVALID_ARGUMENT_ERROR'));
    });

    it('answers 400 for a malformed key id', async () => {
      const res = await api('DELETE', '/keys/not-an-id');
      expect(res.status).toBe(400);
    });
  });

  describe('publish', () => {
    const topicPath = (c: string, t: string) => `/topics/${encodeURIComponent(c)}/${encodeURIComponent(t)}`;

    it('accepts a message for a topic without webhooks', async () => {
      const res = await api('POST', topicPath(cache('pub'), 'nobody'), { raw: 'hello', headers: { 'content-type': 'text/plain' } });
      expect(res.status).toBe(204);
    });

    it('accepts the key as ?token=, and refuses it given twice', async () => {
      const url = `${topicPath(cache('pub'), 't')}?token=${encodeURIComponent(target.adminKey)}`;
      expect((await api('POST', url, { key: null, raw: 'x' })).status).toBe(204);
      const both = await api('POST', url, { raw: 'x' });
      expect(both.status).toBe(400);
      expect(both.json).toEqual(errorBody('INVALID_ARGUMENT_ERROR'));
    });

    it.each([
      ['an empty message', '', 400, 'INVALID_ARGUMENT_ERROR'],
      ['invalid UTF-8', new Uint8Array([0x68, 0xff, 0xfe]), 400, 'INVALID_ARGUMENT_ERROR'],
    ])('rejects %s', async (_label, raw, status, code) => {
      const res = await api('POST', topicPath(cache('pub'), 't'), { raw });
      expect(res.status).toBe(status);
      expect(res.json).toEqual(errorBody(code));
    });

    it('answers 413 above the maximum message size and accepts exactly the maximum', async () => {
      const max = target.maxMessageBytes;
      expect((await api('POST', topicPath(cache('pub'), 't'), { raw: 'a'.repeat(max) })).status).toBe(204);
      const res = await api('POST', topicPath(cache('pub'), 't'), { raw: 'a'.repeat(max + 1) });
      expect(res.status).toBe(413);
      expect(res.json).toEqual(errorBody('LIMIT_EXCEEDED_ERROR'));
    });

    it('answers 403 without topics:publish', async () => {
      const key = ((await api('POST', '/keys', { body: { permissions: ['webhooks:manage'], caches: ['*'], expiresInSeconds: KEY_LIFETIME_SECONDS } })).json as { apiKey: string }).apiKey;
      const res = await api('POST', topicPath(cache('pub'), 't'), { key, raw: 'x' });
      expect(res.status).toBe(403);
    });
  });
}
