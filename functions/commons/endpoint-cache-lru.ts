/**
 * The LRU map of the Lambda bundles' DynamoDB endpoint cache. The SDK's `EndpointCache` builds
 * one per client with mnemonist's `LRUCache` (7 KB with its iterator library) although this
 * service never turns endpoint discovery on, so the cache stays empty. The stack's bundling
 * aliases `mnemonist/lru-cache` to this module (infra/defaults.ts): the same bounded,
 * least-recently-used map, on a `Map`'s insertion order, with the methods `EndpointCache` calls.
 */
export default class LRUCache<K, V> {
  private readonly entries = new Map<K, V>();

  constructor(private readonly capacity: number) {}

  has(key: K): boolean {
    return this.entries.has(key);
  }

  /** Reads without making the entry the most recently used. */
  peek(key: K): V | undefined {
    return this.entries.get(key);
  }

  get(key: K): V | undefined {
    if (!this.entries.has(key)) return undefined;
    const value = this.entries.get(key) as V;
    this.entries.delete(key);
    this.entries.set(key, value);
    return value;
  }

  /** Sets the entry as the most recently used, evicting the least recently used one beyond capacity. */
  set(key: K, value: V): this {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as K);
    return this;
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
