import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateKey,
  DeleteWebhook,
  GetWebhookSecret,
  ListKeys,
  ListWebhooks,
  MomentoErrorCode,
  PostUrlWebhookDestination,
  PutWebhook,
  RevokeKey,
  RotateWebhookSecret,
  SdkError,
  TopicPublish,
  type Permission,
} from '@topic-webhooks/client';
import { clientsOf, startLocal, type LocalService } from './local.ts';
import { closedPortUrl } from './stub-server.ts';

/** Every client operation and error path against local mode, over real HTTP. */
const WEBHOOK_LIMIT = 3;
const MAX_MESSAGE_BYTES = 1024;
const URL_A = 'https://hooks.example.com/a';
const URL_B = 'https://hooks.example.com/b';

let service: LocalService;
let admin: ReturnType<typeof clientsOf>;

beforeAll(async () => {
  service = await startLocal({ MAX_WEBHOOKS_PER_CACHE: String(WEBHOOK_LIMIT), MAX_MESSAGE_BYTES: String(MAX_MESSAGE_BYTES) });
  admin = clientsOf(service);
});
afterAll(async () => {
  await service?.stop();
});

type AnyError = { error: SdkError; errorCode(): string; message(): string; code: string };

/** Asserts an `Error` result of `errorClass` with `code` and its HTTP status (docs/design.md#errors), and returns it. */
function expectError(result: unknown, errorClass: abstract new (...args: never[]) => unknown, code: string, status?: number): AnyError {
  expect(result).toBeInstanceOf(errorClass);
  const r = result as AnyError;
  expect(r.error).toBeInstanceOf(SdkError);
  expect([r.code, r.errorCode(), r.error.code, r.error.errorCode()]).toEqual([code, code, code, code]);
  expect(r.error.message).toMatch(/.+/);
  expect(r.message()).toBe(r.error.message);
  expect(r.error.httpStatus).toBe(status);
  return r;
}

async function createKey(permissions: Permission[], caches = ['*']): Promise<string> {
  const created = await admin.keys.createKey({ permissions, caches });
  if (!(created instanceof CreateKey.Success)) throw new Error(`createKey failed: ${String(created)}`);
  return created.apiKey;
}

describe('webhooks', () => {
  it('puts, reads, updates, lists, rotates and deletes a webhook', async () => {
    const { topics } = admin;
    const put = await topics.putWebhook('orders', 'audit', { topicName: 'created', destination: new PostUrlWebhookDestination(URL_A) });
    expect(put).toBeInstanceOf(PutWebhook.Success);
    const secret = (put as PutWebhook.Success).secret;
    expect(secret).toMatch(/^[\x21-\x7e]{43,}$/);
    expect((put as PutWebhook.Success).secretString()).toBe(secret);
    expect(put.toString()).not.toContain(secret);

    const got = await topics.getWebhookSecret('orders', 'audit');
    expect(got).toBeInstanceOf(GetWebhookSecret.Success);
    expect({ ...(got as GetWebhookSecret.Success) }).toEqual({ type: 'Success', is_success: true, secret, webhookName: 'audit', cacheName: 'orders' });

    // An update keeps the secret; a plain URL string is a destination too.
    const updated = await topics.putWebhook('orders', 'audit', { topicName: 'shipped', destination: URL_B });
    expect(updated).toBeInstanceOf(PutWebhook.Success);
    expect((updated as PutWebhook.Success).secret).toBe(secret);

    const listed = await topics.listWebhooks('orders');
    expect(listed).toBeInstanceOf(ListWebhooks.Success);
    const webhooks = (listed as ListWebhooks.Success).webhooks;
    expect(webhooks).toEqual([
      { id: { cacheName: 'orders', webhookName: 'audit' }, topicName: 'shipped', destination: new PostUrlWebhookDestination(URL_B) },
    ]);
    expect(webhooks[0]?.destination.postUrl).toBe(URL_B);
    expect(webhooks[0]?.destination.url()).toBe(URL_B);
    expect(JSON.stringify(webhooks)).toBe(
      `[{"id":{"cacheName":"orders","webhookName":"audit"},"topicName":"shipped","destination":{"postUrl":"${URL_B}"}}]`,
    );
    expect((listed as ListWebhooks.Success).getWebhooks()).toBe(webhooks);

    const rotated = await topics.rotateWebhookSecret('orders', 'audit');
    expect(rotated).toBeInstanceOf(RotateWebhookSecret.Success);
    const next = rotated as RotateWebhookSecret.Success;
    expect([next.webhookName, next.cacheName]).toEqual(['audit', 'orders']);
    expect(next.secret).not.toBe(secret);
    expect(((await topics.getWebhookSecret('orders', 'audit')) as GetWebhookSecret.Success).secret).toBe(next.secret);

    expect(await topics.deleteWebhook('orders', 'audit')).toBeInstanceOf(DeleteWebhook.Success);
    expect(((await topics.listWebhooks('orders')) as ListWebhooks.Success).webhooks).toEqual([]);
  });

  it('accepts the reference’s { postUrl } object as a destination', async () => {
    const put = await admin.topics.putWebhook('objects', 'w', { topicName: 't', destination: { postUrl: URL_A } });
    expect(put).toBeInstanceOf(PutWebhook.Success);
    const listed = (await admin.topics.listWebhooks('objects')) as ListWebhooks.Success;
    expect(listed.webhooks[0]?.destination.postUrl).toBe(URL_A);
  });

  it('lists a cache never used as empty', async () => {
    const listed = await admin.topics.listWebhooks('never-used');
    expect(listed).toBeInstanceOf(ListWebhooks.Success);
    expect((listed as ListWebhooks.Success).webhooks).toEqual([]);
  });

  it('carries names with reserved, percent, unicode and space characters exactly', async () => {
    const cacheName = 'a#b?c&d=e %41 注文';
    const webhookName = "x+y;z@w:v ~!*()' 😀";
    const topicName = 'p?q#r &';
    expect(await admin.topics.putWebhook(cacheName, webhookName, { topicName, destination: URL_A })).toBeInstanceOf(PutWebhook.Success);
    const got = (await admin.topics.getWebhookSecret(cacheName, webhookName)) as GetWebhookSecret.Success;
    expect([got.cacheName, got.webhookName]).toEqual([cacheName, webhookName]);
    const listed = (await admin.topics.listWebhooks(cacheName)) as ListWebhooks.Success;
    expect(listed.webhooks.map((w) => [w.id.cacheName, w.id.webhookName, w.topicName])).toEqual([[cacheName, webhookName, topicName]]);
    // A neighbour that would collide if names were not encoded stays apart.
    expect(((await admin.topics.listWebhooks('a')) as ListWebhooks.Success).webhooks).toEqual([]);
  });

  describe('an unknown webhook', () => {
    it.each([
      ['deleteWebhook', () => admin.topics.deleteWebhook('orders', 'missing'), DeleteWebhook.Error],
      ['getWebhookSecret', () => admin.topics.getWebhookSecret('orders', 'missing'), GetWebhookSecret.Error],
      ['rotateWebhookSecret', () => admin.topics.rotateWebhookSecret('orders', 'missing'), RotateWebhookSecret.Error],
    ])('%s answers NOT_FOUND_ERROR', async (_name, call, errorClass) => {
      const result = expectError(await call(), errorClass, 'NOT_FOUND_ERROR', 404);
      expect(result.errorCode()).toBe(MomentoErrorCode.NOT_FOUND_ERROR);
    });
  });

  describe('validation', () => {
    it.each([
      ['an ftp URL', { topicName: 't', destination: 'ftp://hooks.example.com/' }],
      ['a relative URL', { topicName: 't', destination: '/hook' }],
      ['a private address', { topicName: 't', destination: 'https://10.0.0.1/' }],
      ['an http URL to a public host', { topicName: 't', destination: 'http://hooks.example.com/' }],
      ['a blank topic', { topicName: '  ', destination: URL_A }],
      ['a topic of 256 characters', { topicName: 't'.repeat(256), destination: URL_A }],
      ['a topic that is not a string', { topicName: 7 as unknown as string, destination: URL_A }],
    ])('putWebhook with %s answers INVALID_ARGUMENT_ERROR and writes nothing', async (_label, options) => {
      expectError(await admin.topics.putWebhook('invalid', 'w', options), PutWebhook.Error, 'INVALID_ARGUMENT_ERROR', 400);
      expect(((await admin.topics.listWebhooks('invalid')) as ListWebhooks.Success).webhooks).toEqual([]);
    });

    it.each([
      ['a webhook name of 129 characters', 'c', 'w'.repeat(129)],
      ['a cache name of 256 characters', 'c'.repeat(256), 'w'],
      ['a slash in the webhook name', 'c', 'a/b'],
      ['a control character in the cache name', 'c\u0007', 'w'],
      ['a blank webhook name', 'c', '   '],
    ])('names with %s answer INVALID_ARGUMENT_ERROR', async (_label, cacheName, webhookName) => {
      expectError(await admin.topics.getWebhookSecret(cacheName, webhookName), GetWebhookSecret.Error, 'INVALID_ARGUMENT_ERROR', 400);
    });

    it('refuses names the URL cannot carry before sending', async () => {
      expectError(await admin.topics.deleteWebhook('c', '..'), DeleteWebhook.Error, 'INVALID_ARGUMENT_ERROR', undefined);
      expectError(await admin.topics.listWebhooks(''), ListWebhooks.Error, 'INVALID_ARGUMENT_ERROR', undefined);
    });
  });

  it('answers LIMIT_EXCEEDED_ERROR beyond the webhooks of a cache, and still updates at the limit', async () => {
    for (let i = 0; i < WEBHOOK_LIMIT; i++) {
      expect(await admin.topics.putWebhook('full', `w${i}`, { topicName: 't', destination: URL_A })).toBeInstanceOf(PutWebhook.Success);
    }
    expectError(await admin.topics.putWebhook('full', 'one-more', { topicName: 't', destination: URL_A }), PutWebhook.Error, 'LIMIT_EXCEEDED_ERROR', 429);
    expect(await admin.topics.putWebhook('full', 'w0', { topicName: 't2', destination: URL_B })).toBeInstanceOf(PutWebhook.Success);
  });
});

describe('publish', () => {
  it('accepts text and bytes for a topic without webhooks', async () => {
    expect(await admin.topics.publish('news', 'quiet', 'hello')).toBeInstanceOf(TopicPublish.Success);
    expect(await admin.topics.publish('news', 'quiet', new TextEncoder().encode('héllo'))).toBeInstanceOf(TopicPublish.Success);
    expect(await admin.topics.publish('news', 'quiet', 'x'.repeat(MAX_MESSAGE_BYTES))).toBeInstanceOf(TopicPublish.Success);
  });

  it.each([
    ['an empty message', '', 'INVALID_ARGUMENT_ERROR', 400],
    ['invalid UTF-8', new Uint8Array([0x68, 0xff]), 'INVALID_ARGUMENT_ERROR', 400],
    ['a message one byte over the maximum', 'x'.repeat(MAX_MESSAGE_BYTES + 1), 'LIMIT_EXCEEDED_ERROR', 413],
  ])('answers %s with %s', async (_label, value, code, status) => {
    expectError(await admin.topics.publish('news', 'quiet', value), TopicPublish.Error, code, status);
  });

  it('answers INVALID_ARGUMENT_ERROR for a topic name of 256 characters', async () => {
    expectError(await admin.topics.publish('news', 't'.repeat(256), 'x'), TopicPublish.Error, 'INVALID_ARGUMENT_ERROR', 400);
  });
});

describe('keys', () => {
  it('creates a key shown once, lists it, uses it and revokes it', async () => {
    const created = await admin.keys.createKey({ permissions: ['topics:publish'], caches: ['news'], tokenId: 'svc-1', expiresInSeconds: 3600 });
    expect(created).toBeInstanceOf(CreateKey.Success);
    const key = created as CreateKey.Success;
    expect(key.apiKey).toMatch(/^whk_/);
    expect(key.keyId).toMatch(/^[0-9a-f]{24}$/);
    expect(new Date(key.expiresAt ?? '').toISOString()).toBe(key.expiresAt);
    expect(key.toString()).not.toContain(key.apiKey);

    const listed = await admin.keys.listKeys();
    expect(listed).toBeInstanceOf(ListKeys.Success);
    expect((listed as ListKeys.Success).keys).toContainEqual({
      keyId: key.keyId,
      permissions: ['topics:publish'],
      caches: ['news'],
      tokenId: 'svc-1',
      expiresAt: key.expiresAt,
    });
    expect(JSON.stringify(listed)).not.toContain(key.apiKey);

    const publisher = clientsOf(service, key.apiKey);
    expect(await publisher.topics.publish('news', 't', 'hi')).toBeInstanceOf(TopicPublish.Success);

    expect(await admin.keys.revokeKey(key.keyId)).toBeInstanceOf(RevokeKey.Success);
    expectError(await publisher.topics.publish('news', 't', 'hi'), TopicPublish.Error, 'AUTHENTICATION_ERROR', 401);
    expectError(await admin.keys.revokeKey(key.keyId), RevokeKey.Error, 'NOT_FOUND_ERROR', 404);
  });

  it('creates a key without expiry', async () => {
    const created = (await admin.keys.createKey({ permissions: ['webhooks:manage'], caches: ['*'] })) as CreateKey.Success;
    expect(created.expiresAt).toBeNull();
  });

  it.each([
    ['an unknown permission', { permissions: ['admin' as Permission], caches: ['*'] }],
    ['no permissions', { permissions: [], caches: ['*'] }],
    ['a negative lifetime', { permissions: ['topics:publish' as Permission], caches: ['*'], expiresInSeconds: -1 }],
    ['a tokenId of 65 characters', { permissions: ['topics:publish' as Permission], caches: ['*'], tokenId: 't'.repeat(65) }],
  ])('createKey with %s answers INVALID_ARGUMENT_ERROR', async (_label, options) => {
    expectError(await admin.keys.createKey(options), CreateKey.Error, 'INVALID_ARGUMENT_ERROR', 400);
  });

  it('revokeKey of a malformed id answers INVALID_ARGUMENT_ERROR', async () => {
    expectError(await admin.keys.revokeKey('not-an-id'), RevokeKey.Error, 'INVALID_ARGUMENT_ERROR', 400);
  });
});

describe('authentication and permissions', () => {
  const BAD_KEY = 'whk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
  const everyOperation = (c: ReturnType<typeof clientsOf>) =>
    [
      ['putWebhook', () => c.topics.putWebhook('orders', 'w', { topicName: 't', destination: URL_A }), PutWebhook.Error],
      ['listWebhooks', () => c.topics.listWebhooks('orders'), ListWebhooks.Error],
      ['deleteWebhook', () => c.topics.deleteWebhook('orders', 'w'), DeleteWebhook.Error],
      ['getWebhookSecret', () => c.topics.getWebhookSecret('orders', 'w'), GetWebhookSecret.Error],
      ['rotateWebhookSecret', () => c.topics.rotateWebhookSecret('orders', 'w'), RotateWebhookSecret.Error],
      // A topic without webhooks: a test publishes only where deliveries stay on loopback.
      ['publish', () => c.topics.publish('orders', 'no-webhooks', 'x'), TopicPublish.Error],
      ['createKey', () => c.keys.createKey({ permissions: ['topics:publish'], caches: ['*'] }), CreateKey.Error],
      ['listKeys', () => c.keys.listKeys(), ListKeys.Error],
      ['revokeKey', () => c.keys.revokeKey('0'.repeat(24)), RevokeKey.Error],
    ] as const;

  it('answers AUTHENTICATION_ERROR to every operation with an unknown key, without echoing it', async () => {
    const outsider = clientsOf(service, BAD_KEY);
    for (const [name, call, errorClass] of everyOperation(outsider)) {
      const result = expectError(await call(), errorClass, 'AUTHENTICATION_ERROR', 401);
      expect(`${name}: ${result.error.message} ${String(result)}`).not.toContain(BAD_KEY);
    }
  });

  it('answers PERMISSION_ERROR to every operation the key lacks the permission for', async () => {
    const publishOnly = clientsOf(service, await createKey(['topics:publish']));
    const manageOnly = clientsOf(service, await createKey(['webhooks:manage']));
    const outcomes: [string, string][] = [];
    for (const [name, call] of everyOperation(publishOnly)) outcomes.push([name, String((await call()) as object)]);
    for (const [name, call] of everyOperation(manageOnly)) outcomes.push([name, String((await call()) as object)]);
    const code = (s: string) => (s.includes('PERMISSION_ERROR') ? 403 : s.includes('Success') ? 'ok' : s);
    expect(outcomes.map(([n, s]) => [n, code(s)])).toEqual([
      ['putWebhook', 403],
      ['listWebhooks', 403],
      ['deleteWebhook', 403],
      ['getWebhookSecret', 403],
      ['rotateWebhookSecret', 403],
      ['publish', 'ok'],
      ['createKey', 403],
      ['listKeys', 403],
      ['revokeKey', 403],
      ['putWebhook', 'ok'],
      ['listWebhooks', 'ok'],
      ['deleteWebhook', 'ok'],
      ['getWebhookSecret', expect.stringContaining('NOT_FOUND_ERROR')],
      ['rotateWebhookSecret', expect.stringContaining('NOT_FOUND_ERROR')],
      ['publish', 403],
      ['createKey', 403],
      ['listKeys', 403],
      ['revokeKey', 403],
    ]);
  });

  it('answers PERMISSION_ERROR for a cache outside the key’s caches', async () => {
    const scoped = clientsOf(service, await createKey(['webhooks:manage', 'topics:publish'], ['mine']));
    expectError(await scoped.topics.putWebhook('theirs', 'w', { topicName: 't', destination: URL_A }), PutWebhook.Error, 'PERMISSION_ERROR', 403);
    expectError(await scoped.topics.publish('theirs', 'no-webhooks', 'x'), TopicPublish.Error, 'PERMISSION_ERROR', 403);
    expect(await scoped.topics.putWebhook('mine', 'w', { topicName: 't', destination: URL_A })).toBeInstanceOf(PutWebhook.Success);
  });

  it('answers PERMISSION_ERROR to a key minting more than its own power', async () => {
    const minter = clientsOf(service, await createKey(['keys:manage', 'topics:publish'], ['mine']));
    expectError(await minter.keys.createKey({ permissions: ['webhooks:manage'], caches: ['mine'] }), CreateKey.Error, 'PERMISSION_ERROR', 403);
    expectError(await minter.keys.createKey({ permissions: ['topics:publish'], caches: ['*'] }), CreateKey.Error, 'PERMISSION_ERROR', 403);
    expect(await minter.keys.createKey({ permissions: ['topics:publish'], caches: ['mine'] })).toBeInstanceOf(CreateKey.Success);
  });
});

describe('network failure', () => {
  it('answers SERVER_UNAVAILABLE, never throws, when nothing listens', async () => {
    const endpoint = await closedPortUrl();
    const offline = clientsOf(service, service.apiKey, { endpoint });
    expectError(await offline.topics.listWebhooks('orders'), ListWebhooks.Error, 'SERVER_UNAVAILABLE', undefined);
    expectError(await offline.topics.publish('orders', 'no-webhooks', 'x'), TopicPublish.Error, 'SERVER_UNAVAILABLE', undefined);
    expectError(await offline.keys.listKeys(), ListKeys.Error, 'SERVER_UNAVAILABLE', undefined);
  });
});
