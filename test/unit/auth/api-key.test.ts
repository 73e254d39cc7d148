import { describe, expect, it } from 'vitest';
import { generateApiKey, hashApiKey, hashesEqual, keyIdOf } from '#shared/auth/api-key.ts';
import { credentialFromHeader } from '#shared/auth/principal.ts';

describe('API keys', () => {
  it('are random, prefixed and carry 256 bits', () => {
    const a = generateApiKey();
    const b = generateApiKey();
    expect(a).not.toBe(b);
    expect(a).toMatch(/^whk_[A-Za-z0-9_-]{43}$/);
  });

  it('hash to SHA-256 hex, and the key id is its first 96 bits', () => {
    // sha256("abc"), a published test vector
    expect(hashApiKey('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(keyIdOf(hashApiKey('abc'))).toBe('ba7816bf8f01cfea414140de');
  });

  it('compares hashes exactly', () => {
    expect(hashesEqual(hashApiKey('a'), hashApiKey('a'))).toBe(true);
    expect(hashesEqual(hashApiKey('a'), hashApiKey('b'))).toBe(false);
    expect(hashesEqual(hashApiKey('a'), 'abcd')).toBe(false);
  });

  it.each([
    ['whk_x', 'whk_x'],
    ['Bearer whk_x', 'whk_x'],
    ['bearer   whk_x ', 'whk_x'],
    ['  whk_x', 'whk_x'],
  ])('reads the credential from %j', (header, key) => {
    expect(credentialFromHeader(header)).toBe(key);
  });
});
