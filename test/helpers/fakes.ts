import type { ApiKeyRecord, ApiKeyRepository, Principal } from '#shared/auth/model.ts';
import { PERMISSIONS } from '#shared/auth/model.ts';
import type {
  CreateResult,
  TopicSubscriber,
  WebhookChange,
  WebhookIdentity,
  WebhookRecord,
  WebhookRepository,
  WebhookSummary,
} from '#shared/webhooks/model.ts';
import { identityKey } from '#shared/webhooks/model.ts';
import type {
  DeliveryLedger,
  DeliveryOutcome,
  DeliveryRequest,
  GroupClaim,
  HistoryEntry,
  RateLimiter,
  StoredHistoryEntry,
  WebhookSender,
} from '#shared/delivery/model.ts';

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

/** Webhooks in a map, with the per-cache limit the real store enforces. */
export class FakeWebhooks implements WebhookRepository {
  readonly records = new Map<string, WebhookRecord>();
  /** Set to make the next getMany fail (a throttled read). */
  failReads = false;
  readonly reads: WebhookIdentity[][] = [];

  add(record: WebhookRecord): WebhookRecord {
    this.records.set(identityKey(record), structuredClone(record));
    return record;
  }
  async updateExisting(id: WebhookIdentity, { now, ...change }: WebhookChange) {
    const record = this.records.get(identityKey(id));
    if (!record) return undefined;
    Object.assign(record, change, { updatedAt: now });
    return structuredClone(record);
  }
  async create(record: WebhookRecord, limit: { maxWebhooksPerCache: number }): Promise<CreateResult> {
    if (this.records.has(identityKey(record))) return { created: false, reason: 'exists' };
    const count = [...this.records.values()].filter((r) => r.cacheName === record.cacheName).length;
    if (count >= limit.maxWebhooksPerCache) return { created: false, reason: 'limit', count };
    this.add(record);
    return { created: true };
  }
  async listByCache(cacheName: string): Promise<WebhookSummary[]> {
    return [...this.records.values()]
      .filter((r) => r.cacheName === cacheName)
      .map(({ cacheName: c, webhookName, topicName, postUrl, standardWebhooks, rateLimitPerSecond }) => ({
        cacheName: c,
        webhookName,
        topicName,
        postUrl,
        standardWebhooks,
        rateLimitPerSecond,
      }))
      .sort((a, b) => (a.webhookName < b.webhookName ? -1 : 1));
  }
  async get(id: WebhookIdentity) {
    const record = this.records.get(identityKey(id));
    return record && structuredClone(record);
  }
  async delete(id: WebhookIdentity) {
    return this.records.delete(identityKey(id));
  }
  async replaceSecret(id: WebhookIdentity, { secret, now, previousUntil }: { secret: string; now: number; previousUntil: number }) {
    const record = this.records.get(identityKey(id));
    if (!record) return undefined;
    if (previousUntil > now) record.previousSecret = { secret: record.secret, until: previousUntil };
    else delete record.previousSecret;
    Object.assign(record, { secret, updatedAt: now });
    return structuredClone(record);
  }
  async getMany(ids: readonly WebhookIdentity[]) {
    this.reads.push([...ids]);
    if (this.failReads) throw new Error('ProvisionedThroughputExceededException');
    return ids.flatMap((id) => {
      const record = this.records.get(identityKey(id));
      return record ? [structuredClone(record)] : [];
    });
  }
  async *subscribers(cacheName: string, topicName: string): AsyncGenerator<TopicSubscriber[]> {
    const all = [...this.records.values()].filter((r) => r.cacheName === cacheName && r.topicName === topicName);
    // Two pages when there is more than one, as DynamoDB pages a query.
    const half = Math.ceil(all.length / 2);
    for (const page of [all.slice(0, half), all.slice(half)]) {
      if (page.length > 0) yield page.map((r) => ({ webhookName: r.webhookName, webhookId: r.webhookId }));
    }
  }
}

/** Claims in a set, history in a list; each failure mode switchable. */
export class FakeLedger implements DeliveryLedger {
  readonly claims = new Set<string>();
  readonly history: HistoryEntry[] = [];
  failClaims = false;
  failHistory = false;

  async claimGroup(claim: GroupClaim): Promise<boolean> {
    if (this.failClaims) throw new Error('ThrottlingException');
    const key = JSON.stringify([claim.cacheName, claim.topicName, claim.sequenceNumber, claim.group]);
    if (this.claims.has(key)) return false;
    this.claims.add(key);
    return true;
  }
  async recordHistory(entries: readonly HistoryEntry[]): Promise<void> {
    if (this.failHistory) throw new Error('BatchWriteItem left items unprocessed after retries');
    this.history.push(...structuredClone(entries));
  }
  async *readHistory(webhookId: string, atOrBefore?: string): AsyncGenerator<StoredHistoryEntry> {
    const items = this.history
      .filter((e) => e.webhookId === webhookId)
      .map((e) => ({ position: `${String(Math.max(...e.attempts.map((a) => a.attemptedAt))).padStart(15, '0')}#${e.invocationId}`, attempts: e.attempts }))
      .sort((a, b) => (a.position < b.position ? 1 : -1));
    for (const item of items) if (atOrBefore === undefined || item.position <= atOrBefore) yield item;
  }
}

/** Records every request; answers with the outcome the test sets. */
export class FakeSender implements WebhookSender {
  readonly requests: DeliveryRequest[] = [];
  outcome: Omit<DeliveryOutcome, 'attemptedAt'> = { kind: 'delivered', statusCode: 204, latencyMs: 3 };
  inFlight = 0;
  maxInFlight = 0;
  constructor(private readonly clock: { now: () => number } = { now: Date.now }) {}
  async send(request: DeliveryRequest): Promise<DeliveryOutcome> {
    this.requests.push(request);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await new Promise((r) => setTimeout(r, 1));
    this.inFlight--;
    return { ...this.outcome, attemptedAt: this.clock.now() };
  }
}

/** Per-second counters in a map, as the rate-limit store keeps them in the table. */
export class FakeRateLimiter implements RateLimiter {
  readonly taken = new Map<string, number>();
  /** Set to make every acquire fail (a throttled table). */
  failing = false;
  /** Every acquire, in order: what the table was asked. */
  readonly calls: { webhookId: string; wanted: number }[] = [];
  async acquire(webhookId: string, limit: number, now: number, wanted: number): Promise<number> {
    this.calls.push({ webhookId, wanted });
    if (this.failing) throw Object.assign(new Error('throttled'), { name: 'ProvisionedThroughputExceededException' });
    const window = `${webhookId}@${Math.floor(now / 1000)}`;
    const taken = this.taken.get(window) ?? 0;
    const granted = Math.max(0, Math.min(wanted, limit - taken));
    this.taken.set(window, taken + granted);
    return granted;
  }
}

let incarnation = 0;
/** A webhook record with a fresh incarnation id. */
export const webhookRecord = (overrides: Partial<WebhookRecord> = {}): WebhookRecord => ({
  cacheName: 'c',
  webhookName: 'w',
  webhookId: `id-${++incarnation}`,
  topicName: 't',
  postUrl: 'https://example.com/hook',
  secret: 'secret',
  standardWebhooks: false,
  rateLimitPerSecond: null,
  createdAt: 0,
  updatedAt: 0,
  ...overrides,
});
