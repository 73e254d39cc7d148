/**
 * Benchmark settings, from the environment. The defaults are the workload; the
 * variables exist for quick runs while working on the code (`BENCH_QUICK=1`), never to make
 * a published number look better.
 */
function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, not ${JSON.stringify(raw)}`);
  return value;
}

const quick = process.env.BENCH_QUICK === '1';

/**
 * The optional settings at their most expensive, for the cost meter: Standard Webhooks
 * signatures and a rate limit high enough never to refuse (one counter write per POST).
 */
const WITH_SETTINGS = { standardWebhooks: true, rateLimitPerSecond: 1000 };

export const BENCH = {
  quick,
  /** Bytes of each published message (the delivery body adds the envelope). */
  messageBytes: intFromEnv('BENCH_MESSAGE_BYTES', 1024),
  /** (1) seconds per run and runs (the median is reported). */
  rawSecondsPerRun: intFromEnv('BENCH_RAW_SECONDS', quick ? 1 : 3),
  rawRuns: intFromEnv('BENCH_RAW_RUNS', quick ? 1 : 3),
  /** (2) seconds of load: long enough for a stable figure in the full run. */
  throughputSeconds: intFromEnv('BENCH_THROUGHPUT_SECONDS', quick ? 5 : 20),
  throughputWebhooks: 10,
  throughputPublishers: 8,
  /**
   * (2) messages published but not yet delivered that the publishers allow: 200 messages of
   * 10 webhooks are five times the 40 queue messages local mode's delivery invocations hold
   * at once (4 × batch 10), so delivery never waits for a publish.
   */
  throughputMaxBacklog: 200,
  /** (3) */
  latencyRate: intFromEnv('BENCH_LATENCY_RATE', 50),
  latencySeconds: intFromEnv('BENCH_LATENCY_SECONDS', quick ? 5 : 20),
  latencyWebhooks: 10,
  /** (3) again at a rate local mode sustains, to show the pipeline's own latency without a backlog. */
  latencyLowRate: intFromEnv('BENCH_LATENCY_LOW_RATE', 10),
  latencyLowSeconds: intFromEnv('BENCH_LATENCY_LOW_SECONDS', quick ? 3 : 10),
  /** How long to wait for the last deliveries after the last publish before counting the rest as still waiting. */
  latencyDrainSeconds: intFromEnv('BENCH_LATENCY_DRAIN_SECONDS', 5),
  /** (4) webhooks per topic and publishes timed for each. */
  fanOut: quick
    ? [
        { webhooks: 1, publishes: 3 },
        { webhooks: 100, publishes: 2 },
        { webhooks: 1000, publishes: 1 },
      ]
    : [
        { webhooks: 1, publishes: 5 },
        { webhooks: 100, publishes: 3 },
        { webhooks: 1000, publishes: 2 },
        { webhooks: 10_000, publishes: 1 },
      ],
  /**
   * Receivers started for (2)–(4), at most: up to this many webhooks each get a receiver of
   * their own, beyond it they share them (ten thousand listening sockets, and a connection
   * pool per origin in local mode, would measure the machine's socket limits).
   */
  maxReceivers: 1000,
  /**
   * (5) publishes metered per fan-out, in each shape: `fullBatches` (deliveries held while
   * all are published, so the poller hands over batches of ten queue messages, as under load)
   * and `oneMessagePerInvocation` (one publish at a time, as for a quiet topic). Enough that
   * the last, partial batch counts little: at least three full batches at 1 and 10 webhooks;
   * at 100, each publish is ten queue messages already.
   */
  meter: quick
    ? [
        { webhooks: 1, publishes: 20 },
        { webhooks: 10, publishes: 20 },
        { webhooks: 10, publishes: 20, settings: WITH_SETTINGS },
        { webhooks: 100, publishes: 5 },
      ]
    : [
        { webhooks: 1, publishes: 40 },
        { webhooks: 10, publishes: 40 },
        { webhooks: 10, publishes: 40, settings: WITH_SETTINGS },
        { webhooks: 100, publishes: 10 },
      ],
  /** (6) fresh processes per function (the median is reported). */
  coldStartRuns: intFromEnv('BENCH_COLD_RUNS', quick ? 1 : 3),
  /** CPU profile of local mode under the throughput load (BENCH_PROFILE=0 skips it). */
  profile: process.env.BENCH_PROFILE !== '0',
} as const;
