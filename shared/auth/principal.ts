import { AuthenticationError, PermissionError } from '../errors.ts';
import { PERMISSIONS, type ApiKeyRepository, type Permission, type Principal } from './model.ts';
import { hashApiKey, hashesEqual, keyIdOf } from './api-key.ts';

const DEV_PRINCIPAL: Principal = {
  keyId: null,
  permissions: PERMISSIONS,
  caches: ['*'],
  tokenId: null,
  expiresAt: null,
};

/** Strips an optional `Bearer ` prefix from an Authorization header value. */
export function credentialFromHeader(value: string): string {
  const trimmed = value.trim();
  return /^bearer\s+/i.test(trimmed) ? trimmed.replace(/^bearer\s+/i, '').trim() : trimmed;
}

/** Resolves a presented key to its principal; 401 for a missing, unknown, revoked or expired key. */
export async function authenticate(
  apiKey: string | undefined,
  deps: { apiKeys: Pick<ApiKeyRepository, 'get'>; devApiKey: string | undefined; now: () => number },
): Promise<Principal> {
  if (!apiKey) throw new AuthenticationError('an API key is required in the Authorization header');
  if (deps.devApiKey !== undefined && hashesEqual(hashApiKey(apiKey), hashApiKey(deps.devApiKey))) {
    return DEV_PRINCIPAL;
  }
  const keyHash = hashApiKey(apiKey);
  const record = await deps.apiKeys.get(keyIdOf(keyHash));
  // The same message for every failure: a caller learns nothing about which keys exist.
  const invalid = new AuthenticationError('the API key is invalid, revoked or expired');
  if (!record || !hashesEqual(record.keyHash, keyHash)) throw invalid;
  if (record.expiresAt !== null && record.expiresAt * 1000 <= deps.now()) throw invalid;
  return {
    keyId: record.keyId,
    permissions: record.permissions,
    caches: record.caches,
    tokenId: record.tokenId,
    expiresAt: record.expiresAt,
  };
}

export function coversCache(caches: readonly string[], cacheName: string): boolean {
  return caches.includes('*') || caches.includes(cacheName);
}

/** 403 unless the principal holds the permission (on the cache, when one is named). */
export function authorize(principal: Principal, permission: Permission, cacheName?: string): void {
  if (!principal.permissions.includes(permission)) {
    throw new PermissionError(`the API key lacks the ${permission} permission`);
  }
  if (cacheName !== undefined && !coversCache(principal.caches, cacheName)) {
    throw new PermissionError('the API key is not allowed to access this cache');
  }
}
