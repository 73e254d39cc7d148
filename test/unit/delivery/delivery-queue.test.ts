import { describe, expect, it } from 'vitest';
import { packBatches } from '#shared/queue/delivery-queue.ts';

describe('packBatches', () => {
  it('groups at most ten entries per batch', () => {
    const batches = packBatches(Array.from({ length: 23 }, (_, i) => `m${i}`));
    expect(batches.map((b) => b.length)).toEqual([10, 10, 3]);
    expect(batches.flat()).toEqual(Array.from({ length: 23 }, (_, i) => `m${i}`));
  });

  it('keeps each batch within 256 KiB', () => {
    const big = 'x'.repeat(100 * 1024);
    const batches = packBatches([big, big, big, 'small']);
    expect(batches.map((b) => b.length)).toEqual([2, 2]);
    for (const batch of batches) {
      expect(batch.reduce((n, b) => n + Buffer.byteLength(b), 0)).toBeLessThanOrEqual(256 * 1024);
    }
  });

  it('returns nothing for no tasks', () => {
    expect(packBatches([])).toEqual([]);
  });
});
