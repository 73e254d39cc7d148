import { DELIVERY_FUNCTION } from '#functions/routes.ts';
import { DELIVERY_QUEUE_DEFAULTS } from '#shared/queue-settings.ts';
import { runtime } from '#shared/runtime.ts';
import { FUNCTION_SIZING } from '../../infra/defaults.ts';
import { AwsMeter, type DynamoTally, type SqsTally } from './aws-meter.ts';
import { HttpClient } from './http-client.ts';
import { InvocationMeter } from './invocations.ts';
import { putWebhooks, type LoadContext } from './load.ts';
import type { WebhookSettings } from './http-client.ts';
import { costPerMillion, PLATFORM_LOG_BYTES_PER_INVOCATION, type CostPerMillion, type Prices } from './meter-cost.ts';
import { runWorkload, type MeterScenario, type MeterShape, type WorkloadDeps } from './meter-workload.ts';
import { closeReceivers, startReceivers } from './receiver.ts';
import { ReceiptRouter } from './tracker.ts';
import { median, round } from './stats.ts';
import { status, step } from './progress.ts';

export { loadPrices, type CostPerMillion, type Prices } from './meter-cost.ts';
export type { MeterShape } from './meter-workload.ts';

export const METER_SHAPES: readonly MeterShape[] = ['fullBatches', 'oneMessagePerInvocation'];

/**
 * The poller's long-poll wait while metering (AWS's pollers wait 20 s). A full-batch run first
 * waits this long for the polls begun before its pause to return (see runWorkload); the
 * empty receives a short wait adds are not priced (see `measureAwsCalls`).
 */
const METER_POLL_WAIT_SECONDS = 1;

export interface MeteredScenario {
  webhooks: number;
  /** The webhooks' optional settings, when the scenario sets any. */
  settings?: WebhookSettings;
  shape: MeterShape;
  publishes: number;
  deliveries: number;
  dynamodb: Record<string, DynamoTally>;
  sqs: Record<string, SqsTally>;
  lambda: {
    publishInvocations: number;
    deliveryInvocations: number;
    deliveriesPerDeliveryInvocation: number;
    /** Full batches only: what a batch of ten full queue messages delivers, batch size × min(webhooks, group size). */
    fullBatchDeliveries?: number;
    /** HTTP round trip of publish in local mode, used as its billed duration. */
    publishMedianMs: number;
    deliveryMedianMs: number;
    gbSeconds: number;
  };
  /** CloudWatch Logs ingestion: what the functions wrote, and Lambda's own lines per invocation (PLATFORM_LOG_BYTES_PER_INVOCATION). */
  logBytes: { logLines: number; metricLines: number; platformLines: number };
  perDelivery: { rru: number; wru: number; sqsRequests: number; lambdaInvocations: number; logBytes: number };
  costPerMillionDeliveries: CostPerMillion;
}

export interface AwsCallsResult {
  how: string;
  prices: { asOf: string; writtenOn: string; caveat: string };
  deliveryGroupSize: number;
  platformLogBytesPerInvocation: number;
  scenarios: MeteredScenario[];
  /** Not measured: SNS's list price for the same deliveries over HTTP/S, to compare with. */
  snsHttpDeliveriesPerMillion: number;
}

/** Counts the bytes the functions write to stdout (Powertools log lines and EMF metrics) without printing them. */
function captureStdout(): { take(): { logLines: number; metricLines: number }; restore(): void } {
  const original = process.stdout.write;
  let logLines = 0;
  let metricLines = 0;
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    if (text.includes('"_aws"')) metricLines += Buffer.byteLength(text);
    else logLines += Buffer.byteLength(text);
    const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    callback?.();
    return true;
  }) as typeof process.stdout.write;
  return {
    take() {
      const out = { logLines, metricLines };
      logLines = 0;
      metricLines = 0;
      return out;
    },
    restore() {
      process.stdout.write = original;
    },
  };
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

/**
 * (5) AWS calls per delivery, counted in this process: local mode started in-process (it
 * shares the runtime, and so the SDK clients, with this module), the meter's middleware on
 * those clients and a middy middleware on the handlers. Publishes use a stored API key, as on
 * AWS (the dev key would skip the key lookup). Each scenario runs in each shape, twice: once
 * timed without the meter (its own reads would slow every write down), once metered. Costs
 * follow from the counts and bench/prices.json.
 *
 * Empty receives are counted but not priced per delivery. fauxqs wakes every waiting long
 * poll for each message, and all but one return empty at once; SQS's long polls return empty
 * only when their wait ends, at a few per poller per minute whatever the traffic: a cost per
 * hour of an idle queue, not per delivery.
 */
export async function measureAwsCalls(options: {
  messageBytes: number;
  scenarios: readonly { webhooks: number; publishes: number; settings?: WebhookSettings }[];
  shapes?: readonly MeterShape[];
  prices: Prices;
  /** The poller's long-poll wait. @default METER_POLL_WAIT_SECONDS */
  pollWaitSeconds?: number;
}): Promise<AwsCallsResult> {
  const { startLocalService } = await import('#local/service.ts');
  const maxWebhooks = Math.max(...options.scenarios.map((s) => s.webhooks));
  const pollWaitSeconds = options.pollWaitSeconds ?? METER_POLL_WAIT_SECONDS;
  const stdout = captureStdout();
  const service = await startLocalService({
    port: 0,
    quiet: true,
    env: { MAX_WEBHOOKS_PER_CACHE: String(maxWebhooks + 10) },
    queue: { pollWaitSeconds },
  });
  const rt = runtime();
  const groupSize = rt.config.deliveryGroupSize;
  const meter = new AwsMeter({ dynamo: rt.clients.dynamo, sqs: rt.clients.sqs! }, { dynamoEndpoint: service.dynamoEndpoint, region: rt.config.region ?? 'us-east-1', tableName: service.tableName });
  const invocations = await InvocationMeter.attach();
  const router = new ReceiptRouter();
  const receivers = await startReceivers(maxWebhooks, router.listener);
  const admin = new HttpClient(service.url, service.apiKey);
  const publisherKey = await admin.createKey({ permissions: ['topics:publish'], caches: ['*'], tokenId: 'bench-publisher' });
  const ctx: LoadContext = { admin, publisher: admin.withKey(publisherKey), receivers, router, messageBytes: options.messageBytes };
  const deps = (withMeter: boolean): WorkloadDeps => ({ ctx, service, invocations, meter: withMeter ? meter : undefined, pollWaitMs: pollWaitSeconds * 1000 });
  const prices = options.prices;
  const scenarios: MeteredScenario[] = [];

  try {
    for (const [index, { webhooks, publishes, settings }] of options.scenarios.entries()) {
      const cacheName = `meter-${index}`;
      await putWebhooks(ctx, cacheName, 'metered', webhooks, settings);
      await new Promise((r) => setTimeout(r, 200));
      for (const shape of options.shapes ?? METER_SHAPES) {
        const scenario: MeterScenario = { webhooks, publishes, shape };
        const label = `AWS calls: ${publishes} publishes × ${webhooks} webhooks${settings ? ` ${JSON.stringify(settings)}` : ''}, ${shape}`;
        status(label);
        const timed = await runWorkload(deps(false), cacheName, scenario, options.messageBytes);
        status(`${label} (metered)`);
        stdout.take();
        const metered = await runWorkload(deps(true), cacheName, scenario, options.messageBytes);
        const result = { ...price(scenario, timed, metered, stdout.take(), groupSize, prices), ...(settings ? { settings } : {}) };
        scenarios.push(result);
        const c = result.costPerMillionDeliveries;
        const p = result.perDelivery;
        step(
          `AWS calls, ${webhooks} webhook(s)${settings ? ` ${JSON.stringify(settings)}` : ''}, ${shape}: ${result.lambda.deliveriesPerDeliveryInvocation} deliveries per invocation; per delivery ${p.rru} RRU + ${p.wru} WRU + ${p.sqsRequests} SQS requests + ${p.lambdaInvocations} invocations + ${p.logBytes} log bytes → $${c.totalWithoutApiGateway} per million deliveries, $${c.cloudwatchLogs} of it logs ($${c.totalWithApiGateway} with API Gateway)`,
        );
        const expected = result.lambda.fullBatchDeliveries;
        if (expected !== undefined && result.lambda.deliveriesPerDeliveryInvocation < 0.9 * expected) {
          step(`  warning: full batches should deliver about ${expected} per invocation; the poller handed over smaller ones`);
        }
      }
    }
  } finally {
    meter.close();
    admin.close();
    ctx.publisher.close();
    await closeReceivers(receivers);
    await service.stop();
    stdout.restore();
  }
  return {
    how: 'in-process local mode (dynalite + fauxqs); SDK middleware on the runtime clients, middy middleware on the handlers',
    prices: { asOf: prices.pricesAsOf, writtenOn: prices.writtenOn, caveat: prices.caveat },
    deliveryGroupSize: groupSize,
    platformLogBytesPerInvocation: PLATFORM_LOG_BYTES_PER_INVOCATION,
    scenarios,
    snsHttpDeliveriesPerMillion: prices.sns.httpDeliveriesPerMillion,
  };
}

/** One scenario's counts and prices: invocation counts from the metered pass, durations from the timed one. */
function price(
  scenario: MeterScenario,
  timed: Awaited<ReturnType<typeof runWorkload>>,
  metered: Awaited<ReturnType<typeof runWorkload>>,
  stdoutBytes: { logLines: number; metricLines: number },
  groupSize: number,
  prices: Prices,
): MeteredScenario {
  const counted = metered.counted!;
  const deliveries = scenario.publishes * scenario.webhooks;
  const roundTrips = timed.roundTrips;
  // Handler calls as counted by the middleware; publish is billed by its HTTP round trip (an upper bound).
  const publish = { calls: metered.publishCalls, medianMs: round(median(roundTrips)), totalMs: sum(roundTrips.map(Math.ceil)) };
  // The timed pass's mean duration (each rounded up to the ms, as billed), times the metered pass's count.
  const deliveryCalls = metered.deliveryDurationsMs.length;
  const deliveryTotalMs = (sum(timed.deliveryDurationsMs.map(Math.ceil)) / Math.max(1, timed.deliveryDurationsMs.length)) * deliveryCalls;
  const gb = (name: keyof typeof FUNCTION_SIZING) => FUNCTION_SIZING[name].memorySizeMb / 1024;
  const gbSeconds = (publish.totalMs / 1000) * gb('publish-message') + (deliveryTotalMs / 1000) * gb(DELIVERY_FUNCTION);

  const rru = sum(Object.values(counted.dynamo).map((t) => t.rru));
  const wru = sum(Object.values(counted.dynamo).map((t) => t.wru + t.gsiWru));
  // Empty receives are not priced per delivery (see measureAwsCalls); each was one billed request.
  const sqsRequests = sum(Object.values(counted.sqs).map((t) => t.billedRequests - t.emptyReceives));
  const lambdaInvocations = publish.calls + deliveryCalls;
  const logBytes = { ...stdoutBytes, platformLines: lambdaInvocations * PLATFORM_LOG_BYTES_PER_INVOCATION };
  const cost = costPerMillion(
    {
      deliveries,
      publishes: scenario.publishes,
      rru,
      wru,
      sqsRequests,
      publishInvocations: publish.calls,
      deliveryInvocations: deliveryCalls,
      gbSeconds,
      deliveryGb: gb(DELIVERY_FUNCTION),
      stdoutBytes: stdoutBytes.logLines + stdoutBytes.metricLines,
    },
    prices,
  );
  return {
    webhooks: scenario.webhooks,
    shape: scenario.shape,
    publishes: scenario.publishes,
    deliveries,
    dynamodb: counted.dynamo,
    sqs: counted.sqs,
    lambda: {
      publishInvocations: publish.calls,
      deliveryInvocations: deliveryCalls,
      deliveriesPerDeliveryInvocation: round(deliveries / Math.max(1, deliveryCalls), 2),
      ...(scenario.shape === 'fullBatches' ? { fullBatchDeliveries: DELIVERY_QUEUE_DEFAULTS.batchSize * Math.min(scenario.webhooks, groupSize) } : {}),
      publishMedianMs: publish.medianMs,
      deliveryMedianMs: round(median(timed.deliveryDurationsMs)),
      gbSeconds: round(gbSeconds, 3),
    },
    logBytes,
    perDelivery: {
      rru: round(rru / deliveries, 3),
      wru: round(wru / deliveries, 3),
      sqsRequests: round(sqsRequests / deliveries, 3),
      lambdaInvocations: round(lambdaInvocations / deliveries, 3),
      logBytes: round((logBytes.logLines + logBytes.metricLines + logBytes.platformLines) / deliveries, 0),
    },
    costPerMillionDeliveries: cost,
  };
}
