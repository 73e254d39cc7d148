import { describe, expect, it } from 'vitest';
import { createKey, LATEST_EXPIRY, listKeys, revokeKey } from '#shared/keys/operations.ts';
import { authenticate } from '#shared/auth/principal.ts';
import { AuthenticationError, InvalidArgumentError, NotFoundError, PermissionError } from '#shared/errors.ts';
import { FakeApiKeys, fakeClock, principal } from '../../helpers/fakes.ts';

function setup() {
  const clock = fakeClock();
  const apiKeys = new FakeApiKeys();
  return { clock, apiKeys, deps: { apiKeys, now: clock.now } };
}

describe('createKey', () => {
  it('stores only the hash, and the key it returns authenticates with what was asked', async () => {
    const { deps, apiKeys, clock } = setup();
    const created = await createKey(deps, principal(), {
      permissions: ['topics:publish', 'topics:publish'],
      caches: ['a', 'b', 'a'],
      tokenId: 'svc',
      expiresInSeconds: 60,
    });
    expect(created.apiKey).toMatch(/^whk_/);
    const stored = apiKeys.records.get(created.keyId)!;
    expect(JSON.stringify(stored)).not.toContain(created.apiKey);
    expect(stored).toMatchObject({ permissions: ['topics:publish'], caches: ['a', 'b'], tokenId: 'svc' });
    expect(created.expiresAt).toBe(new Date(clock.now() + 60_000).toISOString());

    const who = await authenticate(created.apiKey, { apiKeys, devApiKey: undefined, now: clock.now });
    expect(who).toMatchObject({ keyId: created.keyId, permissions: ['topics:publish'], caches: ['a', 'b'], tokenId: 'svc' });
    clock.advance(60_000);
    await expect(authenticate(created.apiKey, { apiKeys, devApiKey: undefined, now: clock.now })).rejects.toThrow(
      AuthenticationError,
    );
  });

  it('collapses a list holding * to *', async () => {
    const { deps, apiKeys } = setup();
    const created = await createKey(deps, principal(), { permissions: ['keys:manage'], caches: ['x', '*'] });
    expect(apiKeys.records.get(created.keyId)!.caches).toEqual(['*']);
    expect(created.expiresAt).toBeNull();
  });

  it('clamps a far expiry to the last second of year 9999', async () => {
    const { deps } = setup();
    const created = await createKey(deps, principal(), { permissions: ['keys:manage'], caches: ['*'], expiresInSeconds: 1e300 });
    expect(created.expiresAt).toBe(new Date(LATEST_EXPIRY * 1000).toISOString());
    expect(created.expiresAt).toBe('9999-12-31T23:59:59.000Z');
  });

  it.each([
    ['a permission it lacks', principal({ permissions: ['keys:manage'] }), { permissions: ['topics:publish'], caches: ['*'] }],
    ['a cache outside its own', principal({ caches: ['a'] }), { permissions: ['keys:manage'], caches: ['b'] }],
    ['* from a scoped key', principal({ caches: ['a'] }), { permissions: ['keys:manage'], caches: ['*'] }],
    ['no expiry from an expiring key', principal({ expiresAt: Date.UTC(2027, 0, 1) / 1000 }), { permissions: ['keys:manage'], caches: ['*'] }],
    [
      'a later expiry than its own',
      principal({ expiresAt: Date.UTC(2026, 0, 1) / 1000 + 10 }),
      { permissions: ['keys:manage'], caches: ['*'], expiresInSeconds: 11 },
    ],
  ])('refuses to grant %s (403), storing nothing', async (_what, caller, body) => {
    const { deps, apiKeys } = setup();
    await expect(createKey(deps, caller, body)).rejects.toThrow(PermissionError);
    expect(apiKeys.records.size).toBe(0);
  });

  it('refuses a malformed body with a 400 naming the field', async () => {
    const { deps } = setup();
    await expect(createKey(deps, principal(), { permissions: [], caches: ['*'] })).rejects.toThrow(
      new InvalidArgumentError('permissions must not be empty'),
    );
  });
});

describe('listKeys', () => {
  it('lists what lies within the caller caches, oldest first, without expired keys or hashes', async () => {
    const { deps, clock } = setup();
    const a = await createKey(deps, principal(), { permissions: ['keys:manage'], caches: ['a'] });
    clock.advance(1);
    const ab = await createKey(deps, principal(), { permissions: ['keys:manage'], caches: ['a', 'b'] });
    clock.advance(1);
    const all = await createKey(deps, principal(), { permissions: ['keys:manage'], caches: ['*'] });
    clock.advance(1);
    await createKey(deps, principal(), { permissions: ['keys:manage'], caches: ['a'], expiresInSeconds: 1 });
    clock.advance(1000);

    const everything = await listKeys(deps, principal());
    expect(everything.keys.map((k) => k.keyId)).toEqual([a.keyId, ab.keyId, all.keyId]);
    expect(JSON.stringify(everything)).not.toMatch(/keyHash|whk_/);
    const scoped = await listKeys(deps, principal({ caches: ['a'] }));
    expect(scoped.keys.map((k) => k.keyId)).toEqual([a.keyId]);
  });
});

describe('revokeKey', () => {
  it('deletes a key the caller can see', async () => {
    const { deps, apiKeys } = setup();
    const created = await createKey(deps, principal(), { permissions: ['keys:manage'], caches: ['a'] });
    await revokeKey(deps, principal({ caches: ['a'] }), created.keyId);
    expect(apiKeys.records.has(created.keyId)).toBe(false);
  });

  it('answers 404 for a key outside the caller caches, and keeps it', async () => {
    const { deps, apiKeys } = setup();
    const created = await createKey(deps, principal(), { permissions: ['keys:manage'], caches: ['b'] });
    await expect(revokeKey(deps, principal({ caches: ['a'] }), created.keyId)).rejects.toThrow(NotFoundError);
    expect(apiKeys.records.has(created.keyId)).toBe(true);
  });

  it('answers 404 for an unknown id and 400 for a malformed one', async () => {
    const { deps } = setup();
    await expect(revokeKey(deps, principal(), '0'.repeat(24))).rejects.toThrow(NotFoundError);
    await expect(revokeKey(deps, principal(), 'nope')).rejects.toThrow(InvalidArgumentError);
  });
});
