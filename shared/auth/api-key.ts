import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** API keys: random, shown once, stored only as a SHA-256 hash (docs/design.md#http-api). */
const KEY_PREFIX = 'whk_';

/** A new key: 256 bits from the CSPRNG. */
export function generateApiKey(): string {
  return KEY_PREFIX + randomBytes(32).toString('base64url');
}

export function hashApiKey(apiKey: string): string {
  return createHash('sha256').update(apiKey, 'utf8').digest('hex');
}

/**
 * A key's public id: the first 96 bits of its hash. It addresses the stored item directly (no
 * index read on the hot path) and reveals nothing usable about the key.
 */
export function keyIdOf(keyHash: string): string {
  return keyHash.slice(0, 24);
}

export function hashesEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}
