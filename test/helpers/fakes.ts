import type { ApiKeyRecord, ApiKeyRepository, Principal } from '#shared/auth/model.ts';
import { PERMISSIONS } from '#shared/auth/model.ts';

/**
 * Plain in-memory fakes of the domain's ports, for unit tests of the operations: objects that
 * implement the interfaces, never spies on modules. The adapters themselves are tested
 * against the emulators (test/integration).
 */
export class FakeApiKeys implements ApiKeyRepository {
  readonly records = new Map<string, ApiKeyRecord>();
  async create(record: ApiKeyRecord): Promise<void> {
    if (this.records.has(record.keyId)) throw new Error('API key id collision');
    this.records.set(record.keyId, structuredClone(record));
  }
  async get(keyId: string): Promise<ApiKeyRecord | undefined> {
    const record = this.records.get(keyId);
    return record && structuredClone(record);
  }
  async list(): Promise<ApiKeyRecord[]> {
    return [...this.records.values()].map((r) => structuredClone(r));
  }
  async delete(keyId: string): Promise<boolean> {
    return this.records.delete(keyId);
  }
}

/** A principal with every permission on every cache unless told otherwise. */
export const principal = (overrides: Partial<Principal> = {}): Principal => ({
  keyId: 'k'.repeat(24),
  permissions: PERMISSIONS,
  caches: ['*'],
  tokenId: null,
  expiresAt: null,
  ...overrides,
});

/** A clock the test moves. */
export function fakeClock(start = Date.UTC(2026, 0, 1)) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}
