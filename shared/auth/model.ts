/**
 * API keys and callers: the permission vocabulary, what an authenticated key may do, and the
 * repository keys live in. See docs/design.md#authentication-and-keys.
 */

export const PERMISSIONS = ['webhooks:manage', 'topics:publish', 'topics:subscribe', 'keys:manage'] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** Who is calling: what an authenticated key may do. */
export interface Principal {
  /** null for local mode's DEV_API_KEY, which is configuration, not a stored key. */
  keyId: string | null;
  permissions: readonly Permission[];
  /** `['*']` or cache names. */
  caches: readonly string[];
  /** What deliveries carry as `token_id`. */
  tokenId: string | null;
  /** Epoch seconds, or null. */
  expiresAt: number | null;
}

/** An API key as stored: its hash, never the key. */
export interface ApiKeyRecord {
  keyId: string;
  keyHash: string;
  permissions: Permission[];
  caches: string[];
  tokenId: string | null;
  /** Epoch seconds, or null for a key that never expires. */
  expiresAt: number | null;
  createdAt: number;
}

export interface ApiKeyRepository {
  create(record: ApiKeyRecord): Promise<void>;
  get(keyId: string): Promise<ApiKeyRecord | undefined>;
  list(): Promise<ApiKeyRecord[]>;
  /** Deletes a key; false when it did not exist. */
  delete(keyId: string): Promise<boolean>;
}
