/** Small statistics helpers for the benchmark: nearest-rank percentiles and medians. */

/** The p-th percentile (0–100) by nearest rank; NaN for no samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

/** The median (mean of the middle two for an even count); NaN for no samples. */
export function median(samples: readonly number[]): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** p50, p95, p99 and max of latency samples, rounded to 0.1 ms. */
export function latencySummary(samples: readonly number[]): { count: number; p50: number; p95: number; p99: number; max: number } {
  return {
    count: samples.length,
    p50: round(percentile(samples, 50)),
    p95: round(percentile(samples, 95)),
    p99: round(percentile(samples, 99)),
    // A loop, not Math.max(...samples): a long phase has more samples than a call takes arguments.
    max: round(samples.length ? samples.reduce((m, v) => (v > m ? v : m)) : Number.NaN),
  };
}

/** Rounds to `digits` decimals (NaN stays NaN, which JSON renders as null). */
export function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
