import { HttpClient, type WebhookSettings } from './http-client.ts';
import { benchMessage } from './message.ts';
import type { BenchReceiver } from './receiver.ts';
import { DeliveryTracker, type ReceiptRouter } from './tracker.ts';
import { latencySummary, median, round } from './stats.ts';
import { status, step, ticker } from './progress.ts';

let nextMessageId = 0;
/** Message ids unique over the whole run, so a late delivery is never counted twice. */
export const newMessageId = (): number => nextMessageId++;

/** What a load phase needs: the service, its clients and the receivers. */
export interface LoadContext {
  admin: HttpClient;
  /** Holds a stored `topics:publish` key, as a production publisher would. */
  publisher: HttpClient;
  receivers: BenchReceiver[];
  router: ReceiptRouter;
  messageBytes: number;
}

/**
 * Puts `count` webhooks on (cache, topic), eight PUTs at a time. Webhook i posts to receiver
 * i mod (receivers), on a path of its own, and that receiver checks the first delivery to the
 * path against the webhook's secret: webhooks outnumber receivers only in the largest fan-out.
 */
export async function putWebhooks(ctx: LoadContext, cacheName: string, topicName: string, count: number, settings: WebhookSettings = {}): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const receiver = ctx.receivers[i % ctx.receivers.length]!;
      const url = receiver.urlFor(`hook/${encodeURIComponent(cacheName)}/${i}`);
      receiver.expectSignature(url, await ctx.admin.putWebhook(cacheName, `hook-${i}`, topicName, url, settings));
      if (i % 50 === 0) status(`putting webhooks on ${cacheName}: ${i}/${count}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

export interface ThroughputResult {
  /** Messages published within the load period. */
  messages: number;
  webhooks: number;
  publishers: number;
  /** How long the publishers published for (the load period). */
  loadSeconds: number;
  /** The most messages published but not yet fully delivered the publishers allowed. */
  maxBacklogMessages: number;
  deliveries: number;
  /** First publish to last receipt. */
  seconds: number;
  deliveriesPerSecond: number;
  /** When the last publish returned, from the first. */
  publishSeconds: number;
  publishesPerSecond: number;
  publishRoundTripMs: ReturnType<typeof latencySummary>;
  deliveryLatencyMs: ReturnType<typeof latencySummary>;
  unexpectedDeliveries: number;
}

/**
 * (2) `publishers` concurrent publishers publish for `seconds`, each publish fanned out to
 * `webhooks` receivers; then the deliveries still under way are waited for. Time-based, so
 * the figure rests on the same length of load however fast the service is. A publisher waits
 * while `maxBacklog` messages are published but not yet delivered everywhere: enough queued
 * work to keep every delivery invocation busy, without a backlog that grows for the whole
 * period and is drained (and held in memory) afterwards.
 */
export async function measureThroughput(
  ctx: LoadContext,
  options: { cacheName: string; topicName: string; seconds: number; webhooks: number; publishers: number; maxBacklog: number },
): Promise<ThroughputResult> {
  const tracker = new DeliveryTracker(options.webhooks);
  ctx.router.current = tracker;
  const roundTrips: number[] = [];
  let published = 0;
  const backlog = () => published - Math.floor(tracker.received / options.webhooks);
  const stopTicker = ticker(() => `throughput: ${published} published, ${tracker.received}/${published * options.webhooks} delivered`);
  try {
    let lastPublishDone = 0;
    const deadline = performance.now() + options.seconds * 1000;
    const publisher = async () => {
      while (performance.now() < deadline) {
        if (backlog() >= options.maxBacklog) {
          await new Promise((r) => setTimeout(r, 2));
          continue;
        }
        published++;
        const id = newMessageId();
        tracker.sent(id);
        roundTrips.push(await ctx.publisher.publish(options.cacheName, options.topicName, benchMessage(id, ctx.messageBytes)));
        lastPublishDone = performance.now();
      }
    };
    await Promise.all(Array.from({ length: options.publishers }, publisher));
    const total = published * options.webhooks;
    await tracker.waitFor(total, 120_000);
    const seconds = (tracker.lastReceiptAt - tracker.firstSendAt) / 1000;
    const publishSeconds = (lastPublishDone - tracker.firstSendAt) / 1000;
    return {
      messages: published,
      webhooks: options.webhooks,
      publishers: options.publishers,
      loadSeconds: options.seconds,
      maxBacklogMessages: options.maxBacklog,
      deliveries: tracker.received,
      seconds: round(seconds, 2),
      deliveriesPerSecond: round(tracker.received / seconds, 0),
      publishSeconds: round(publishSeconds, 2),
      publishesPerSecond: round(published / publishSeconds, 0),
      publishRoundTripMs: latencySummary(roundTrips),
      deliveryLatencyMs: latencySummary(tracker.latencies),
      unexpectedDeliveries: tracker.unexpected,
    };
  } finally {
    stopTicker();
    ctx.router.current = undefined;
  }
}

export interface LatencyResult {
  /** Publishes that failed (connection errors, non-204), and the first error. */
  failedPublishes: number;
  firstPublishError: string | undefined;
  publishesPerSecond: number;
  webhooks: number;
  seconds: number;
  publishes: number;
  deliveries: number;
  /**
   * Publish sent to delivery received, every delivery. When some had not arrived by the end of
   * the drain period, they count with the time they had waited by then, and these figures are
   * lower bounds (`lowerBound`).
   */
  publishToReceiptMs: ReturnType<typeof latencySummary> & { lowerBound: boolean };
  /** Deliveries still missing `drainSeconds` after the last publish returned. */
  missingAfterDrain: number;
  drainSeconds: number;
  publishRoundTripMs: ReturnType<typeof latencySummary>;
  /** How late the load generator fired publishes (its own event-loop lag). */
  schedulerLagMs: { p99: number; max: number };
  unexpectedDeliveries: number;
}

/**
 * (3) A steady open-loop load: a publish every 1/rate s whether or not earlier ones have
 * returned (so a slow service cannot slow the load down and hide its own latency).
 */
export async function measureLatency(
  ctx: LoadContext,
  options: { cacheName: string; topicName: string; rate: number; seconds: number; webhooks: number; drainSeconds: number },
): Promise<LatencyResult> {
  const tracker = new DeliveryTracker(options.webhooks);
  ctx.router.current = tracker;
  const count = Math.round(options.rate * options.seconds);
  const interval = 1000 / options.rate;
  const roundTrips: number[] = [];
  const lags: number[] = [];
  const inFlight: Promise<void>[] = [];
  const failedPublishes: string[] = [];
  const stopTicker = ticker(() => `latency: ${Math.min(count, inFlight.length)}/${count} published, ${tracker.received}/${count * options.webhooks} delivered`);
  try {
    const start = performance.now() + 50;
    for (let i = 0; i < count; i++) {
      const due = start + i * interval;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      const now = performance.now();
      lags.push(Math.max(0, now - due));
      const id = newMessageId();
      tracker.sent(id, now);
      inFlight.push(
        ctx.publisher.publish(options.cacheName, options.topicName, benchMessage(id, ctx.messageBytes)).then(
          (ms) => {
            roundTrips.push(ms);
          },
          // An overloaded service may drop a publish: count it rather than end the run.
          (error: unknown) => {
            failedPublishes.push(error instanceof Error ? error.message : String(error));
          },
        ),
      );
    }
    await Promise.all(inFlight);
    // A service slower than the offered load builds a backlog; rather than wait it out, stop
    // after the drain period and count what is missing at what it has waited so far.
    const expected = count * options.webhooks;
    await tracker.waitFor(expected, options.drainSeconds * 1000).catch(() => undefined);
    const cutOff = performance.now();
    const missing = expected - tracker.received;
    const samples = missing > 0 ? [...tracker.latencies, ...tracker.waitingSince(cutOff)] : tracker.latencies;
    return {
      publishesPerSecond: options.rate,
      webhooks: options.webhooks,
      seconds: options.seconds,
      publishes: count,
      deliveries: tracker.received,
      publishToReceiptMs: { ...latencySummary(samples), lowerBound: missing > 0 },
      missingAfterDrain: missing,
      drainSeconds: options.drainSeconds,
      publishRoundTripMs: latencySummary(roundTrips),
      failedPublishes: failedPublishes.length,
      firstPublishError: failedPublishes[0],
      schedulerLagMs: { p99: latencySummary(lags).p99, max: latencySummary(lags).max },
      unexpectedDeliveries: tracker.unexpected,
    };
  } finally {
    stopTicker();
    ctx.router.current = undefined;
  }
}

export interface FanOutResult {
  webhooks: number;
  publishes: number;
  /** Median HTTP round trip of the publish (sequence number, fan-out query, every SQS batch sent). */
  publishMs: number;
  publishRunsMs: number[];
  /** Median time from the publish to the last of its deliveries. */
  allDeliveredMs: number;
  allDeliveredRunsMs: number[];
  /** Putting the webhooks, eight PUTs at a time. */
  setupSeconds: number;
}

/** (4) Publish latency and time to the last delivery for one topic with `webhooks` webhooks; one publish at a time. */
export async function measureFanOut(
  ctx: LoadContext,
  options: { cacheName: string; topicName: string; webhooks: number; publishes: number },
): Promise<FanOutResult> {
  const setupStarted = performance.now();
  await putWebhooks(ctx, options.cacheName, options.topicName, options.webhooks);
  const setupSeconds = round((performance.now() - setupStarted) / 1000, 1);
  const publishRuns: number[] = [];
  const deliveredRuns: number[] = [];
  try {
    for (let r = 0; r < options.publishes; r++) {
      status(`fan-out ${options.webhooks}: publish ${r + 1}/${options.publishes}`);
      const tracker = new DeliveryTracker(options.webhooks);
      ctx.router.current = tracker;
      const id = newMessageId();
      tracker.sent(id);
      publishRuns.push(round(await ctx.publisher.publish(options.cacheName, options.topicName, benchMessage(id, ctx.messageBytes))));
      await tracker.waitFor(options.webhooks, 120_000);
      deliveredRuns.push(round(tracker.lastReceiptAt - tracker.firstSendAt));
      ctx.router.current = undefined;
      // Let the delivery outcomes be written before the next publish is timed.
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    ctx.router.current = undefined;
  }
  const result: FanOutResult = {
    webhooks: options.webhooks,
    publishes: options.publishes,
    publishMs: round(median(publishRuns)),
    publishRunsMs: publishRuns,
    allDeliveredMs: round(median(deliveredRuns)),
    allDeliveredRunsMs: deliveredRuns,
    setupSeconds,
  };
  step(`fan-out ${options.webhooks}: publish ${result.publishMs} ms, all delivered ${result.allDeliveredMs} ms (median of ${options.publishes}); putting the webhooks took ${setupSeconds} s`);
  return result;
}
