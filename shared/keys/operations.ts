import { InvalidArgumentError, NotFoundError, PermissionError } from '../errors.ts';
import { generateApiKey, hashApiKey, keyIdOf } from '../auth/api-key.ts';
import { coversCache } from '../auth/principal.ts';
import type { ApiKeyRecord, ApiKeyRepository, Permission, Principal } from '../auth/model.ts';
import { createKeyBodySchema, parseInput } from '../validation.ts';

export interface CreatedKey {
  /** Shown once; only its hash is stored. */
  apiKey: string;
  keyId: string;
  expiresAt: string | null;
}

export interface KeySummary {
  keyId: string;
  permissions: Permission[];
  caches: string[];
  tokenId: string | null;
  expiresAt: string | null;
}

interface Deps {
  apiKeys: ApiKeyRepository;
  now: () => number;
}

/**
 * 9999-12-31T23:59:59Z, in epoch seconds: the latest expiry a key gets. `expiresInSeconds` may
 * be any positive integer, and `expiresAt` stays an ISO-8601 string with a four-digit year.
 */
export const LATEST_EXPIRY = Date.UTC(9999, 11, 31, 23, 59, 59) / 1000;

/** Creates a key with at most the caller's own power: a subset of its permissions and caches, expiring no later. */
export async function createKey(deps: Deps, caller: Principal, body: unknown): Promise<CreatedKey> {
  const input = parseInput(createKeyBodySchema, body);
  const permissions = [...new Set(input.permissions)];
  const caches = input.caches.includes('*') ? ['*'] : [...new Set(input.caches)];

  const missing = permissions.filter((p) => !caller.permissions.includes(p));
  if (missing.length > 0) throw new PermissionError(`a key cannot grant permissions it lacks: ${missing.join(', ')}`);
  if (!isWithinCaches(caches, caller.caches)) {
    throw new PermissionError('a key cannot grant access to caches outside its own');
  }

  const nowSeconds = Math.floor(deps.now() / 1000);
  const expiresAt = input.expiresInSeconds === undefined ? null : Math.min(nowSeconds + input.expiresInSeconds, LATEST_EXPIRY);
  if (caller.expiresAt !== null && (expiresAt === null || expiresAt > caller.expiresAt)) {
    throw new PermissionError('a key cannot create a key that expires later than itself');
  }

  const apiKey = generateApiKey();
  const keyHash = hashApiKey(apiKey);
  const record: ApiKeyRecord = {
    keyId: keyIdOf(keyHash),
    keyHash,
    permissions,
    caches,
    tokenId: input.tokenId ?? null,
    expiresAt,
    createdAt: deps.now(),
  };
  await deps.apiKeys.create(record);
  return { apiKey, keyId: record.keyId, expiresAt: isoOrNull(expiresAt) };
}

/** Keys the caller can see: all for a `*` key, else those whose caches lie within the caller's. Expired keys are gone. */
export async function listKeys(deps: Deps, caller: Principal): Promise<{ keys: KeySummary[] }> {
  const nowSeconds = deps.now() / 1000;
  const records = await deps.apiKeys.list();
  const keys = records
    .filter((r) => r.expiresAt === null || r.expiresAt > nowSeconds)
    .filter((r) => isWithinCaches(r.caches, caller.caches))
    .sort((a, b) => a.createdAt - b.createdAt)
    .map((r) => ({
      keyId: r.keyId,
      permissions: r.permissions,
      caches: r.caches,
      tokenId: r.tokenId,
      expiresAt: isoOrNull(r.expiresAt),
    }));
  return { keys };
}

const KEY_ID = /^[0-9a-f]{24}$/;

/** Revokes a key the caller can see; any other id is 404, so scoped callers learn nothing of other keys. */
export async function revokeKey(deps: Deps, caller: Principal, keyId: string): Promise<void> {
  if (!KEY_ID.test(keyId)) throw new InvalidArgumentError('keyId must be 24 lowercase hexadecimal characters');
  const record = await deps.apiKeys.get(keyId);
  if (!record || !isWithinCaches(record.caches, caller.caches) || !(await deps.apiKeys.delete(keyId))) {
    throw new NotFoundError('the key does not exist');
  }
}

function isWithinCaches(requested: readonly string[], allowed: readonly string[]): boolean {
  if (allowed.includes('*')) return true;
  return !requested.includes('*') && requested.every((c) => coversCache(allowed, c));
}

const isoOrNull = (epochSeconds: number | null) =>
  epochSeconds === null ? null : new Date(epochSeconds * 1000).toISOString();
