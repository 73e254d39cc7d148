import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import LRUCache from '#functions/commons/endpoint-cache-lru.ts';

/** The module the Lambda bundles replace (infra/defaults.ts): the reference to agree with. */
const MnemonistLRUCache = createRequire(import.meta.url)('mnemonist/lru-cache') as new (capacity: number) => {
  has(key: string): boolean;
  peek(key: string): number | undefined;
  get(key: string): number | undefined;
  set(key: string, value: number): unknown;
  clear(): void;
  size: number;
};

const operation = fc.oneof(
  fc.record({ op: fc.constant('set' as const), key: fc.constantFrom('a', 'b', 'c', 'd', 'e'), value: fc.integer() }),
  fc.record({ op: fc.constantFrom('get' as const, 'peek' as const, 'has' as const), key: fc.constantFrom('a', 'b', 'c', 'd', 'e') }),
  fc.record({ op: fc.constant('clear' as const) }),
);

describe('the endpoint cache LRU of the Lambda bundles', () => {
  it('answers every sequence of operations exactly as mnemonist\'s LRUCache does', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.array(operation, { maxLength: 60 }), (capacity, operations) => {
        const ours = new LRUCache<string, number>(capacity);
        const theirs = new MnemonistLRUCache(capacity);
        for (const o of operations) {
          if (o.op === 'set') {
            ours.set(o.key, o.value);
            theirs.set(o.key, o.value);
          } else if (o.op === 'clear') {
            ours.clear();
            theirs.clear();
          } else {
            expect(ours[o.op](o.key)).toEqual(theirs[o.op](o.key));
          }
          expect(ours.size).toBe(theirs.size);
        }
      }),
      { seed: 20261201, numRuns: 300 },
    );
  });
});
