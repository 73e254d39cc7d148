import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { DELIVERY_FUNCTION } from '#functions/routes.ts';
import { runtime } from '#shared/runtime.ts';
import { FUNCTION_SIZING } from '../../infra/defaults.ts';
import { PROJECT_ROOT } from '../../infra/project-root.ts';
import { AwsMeter, type DynamoTally, type SqsTally } from './aws-meter.ts';
import { HttpClient } from './http-client.ts';
import { InvocationMeter } from './invocations.ts';
import { newMessageId, putWebhooks, type LoadContext } from './load.ts';
import { benchMessage } from './message.ts';
import { closeReceivers, startReceivers } from './receiver.ts';
import { DeliveryTracker, ReceiptRouter } from './tracker.ts';
import { median, round } from './stats.ts';
import { status, step } from './progress.ts';

export interface Prices {
  pricesAsOf: string;
  writtenOn: string;
  caveat: string;
  dynamodb: { readRequestUnitsPerMillion: number; writeRequestUnitsPerMillion: number };
  sqs: { standardRequestsPerMillion: number; billedChunkBytes: number };
  lambda: { requestsPerMillion: number; arm64GbSecond: number };
  apiGateway: { restRequestsPerMillion: number };
  cloudwatchLogs: { ingestedPerGb: number };
}

export async function loadPrices(): Promise<Prices> {
  return JSON.parse(await readFile(path.join(PROJECT_ROOT, 'bench', 'prices.json'), 'utf8')) as Prices;
}

/** Dollars per million deliveries, by item. */
export interface CostPerMillion {
  dynamodbReads: number;
  dynamodbWrites: number;
  sqs: number;
  lambdaRequests: number;
  lambdaCompute: number;
  apiGateway: number;
  totalWithoutApiGateway: number;
  totalWithApiGateway: number;
  /** Not in the totals: the structured log and EMF lines the functions write, ingested by CloudWatch Logs. */
  cloudwatchLogs: number;
  /** Lambda compute again, had every receiver taken this long to answer (a batch's POSTs run concurrently). */
  lambdaComputeIfReceiverTakesMs: Record<string, number>;
}

export interface MeteredScenario {
  webhooks: number;
  publishes: number;
  deliveries: number;
  dynamodb: Record<string, DynamoTally>;
  sqs: Record<string, SqsTally>;
  lambda: {
    publishInvocations: number;
    deliveryInvocations: number;
    deliveriesPerDeliveryInvocation: number;
    /** HTTP round trip of publish in local mode, used as its billed duration. */
    publishMedianMs: number;
    deliveryMedianMs: number;
    gbSeconds: number;
  };
  logBytes: { logLines: number; metricLines: number };
  perDelivery: { rru: number; wru: number; sqsRequests: number; lambdaInvocations: number; logBytes: number };
  costPerMillionDeliveries: CostPerMillion;
}

export interface AwsCallsResult {
  how: string;
  prices: { asOf: string; writtenOn: string; caveat: string };
  scenarios: MeteredScenario[];
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
 * Publishes `publishes` messages (four publishers: enough for the poller to see more than one
 * record at a time, as under load) and waits until every delivery has arrived, its invocation
 * has returned and the poller has deleted its records. Meters the window when given a meter.
 */
async function runWorkload(
  ctx: LoadContext,
  invocations: InvocationMeter,
  meter: AwsMeter | undefined,
  cacheName: string,
  scenario: { webhooks: number; publishes: number },
  messageBytes: number,
): Promise<{
  roundTrips: number[];
  publishCalls: number;
  deliveryDurationsMs: number[];
  counted: ReturnType<AwsMeter['stop']> | undefined;
}> {
  const tracker = new DeliveryTracker(scenario.webhooks);
  ctx.router.current = tracker;
  meter?.start();
  invocations.start();
  const roundTrips: number[] = [];
  let next = 0;
  const publisher = async () => {
    while (next < scenario.publishes) {
      next++;
      const id = newMessageId();
      tracker.sent(id);
      roundTrips.push(await ctx.publisher.publish(cacheName, 'metered', benchMessage(id, messageBytes)));
    }
  };
  await Promise.all(Array.from({ length: 4 }, publisher));
  await tracker.waitFor(scenario.publishes * scenario.webhooks, 120_000);
  // The last invocations still record outcomes after their POSTs; then the poller deletes the records.
  for (let i = 0; i < 200; i++) {
    const deliveryCalls = invocations.tallies.get(DELIVERY_FUNCTION)?.calls ?? 0;
    const deletes = meter ? (meter.sqs.get('DeleteMessageBatch')?.calls ?? 0) : deliveryCalls;
    if (invocations.inFlight === 0 && deletes >= deliveryCalls) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  if (!meter) await new Promise((r) => setTimeout(r, 100));
  const counted = meter?.stop();
  invocations.stop();
  ctx.router.current = undefined;
  return {
    roundTrips,
    publishCalls: invocations.tallies.get('publish-message')?.calls ?? 0,
    deliveryDurationsMs: [...(invocations.tallies.get(DELIVERY_FUNCTION)?.durationsMs ?? [])],
    counted,
  };
}

/**
 * (5) AWS calls per delivery, counted in this process: local mode started in-process (it
 * shares the runtime, and so the SDK clients, with this module), the meter's middleware on
 * those clients and a middy middleware on the handlers. Publishes use a stored API key, as on
 * AWS (the dev key would skip the key lookup). Costs follow from the counts and bench/prices.json.
 */
export async function measureAwsCalls(options: {
  messageBytes: number;
  scenarios: readonly { webhooks: number; publishes: number }[];
  prices: Prices;
}): Promise<AwsCallsResult> {
  const { startLocalService } = await import('#local/service.ts');
  const maxWebhooks = Math.max(...options.scenarios.map((s) => s.webhooks));
  const stdout = captureStdout();
  const service = await startLocalService({ port: 0, quiet: true, env: { MAX_WEBHOOKS_PER_CACHE: String(maxWebhooks + 10) } });
  const rt = runtime();
  const meter = new AwsMeter(rt.clients, { dynamoEndpoint: service.dynamoEndpoint, region: rt.config.region, tableName: service.tableName });
  const invocations = await InvocationMeter.attach();
  const router = new ReceiptRouter();
  const receivers = await startReceivers(maxWebhooks, router.listener);
  const admin = new HttpClient(service.url, service.apiKey);
  const publisherKey = await admin.createKey({ permissions: ['topics:publish'], caches: ['*'], tokenId: 'bench-publisher' });
  const ctx: LoadContext = { admin, publisher: admin.withKey(publisherKey), receivers, router, messageBytes: options.messageBytes };
  const prices = options.prices;
  const scenarios: MeteredScenario[] = [];

  try {
    for (const scenario of options.scenarios) {
      const cacheName = `meter-${scenario.webhooks}`;
      await putWebhooks(ctx, cacheName, 'metered', scenario.webhooks);
      await new Promise((r) => setTimeout(r, 200));
      status(`AWS calls: ${scenario.publishes} publishes × ${scenario.webhooks} webhooks`);

      // Twice: once timed without the meter (its own reads would slow every write down), once metered.
      const timed = await runWorkload(ctx, invocations, undefined, cacheName, scenario, options.messageBytes);
      status(`AWS calls: ${scenario.publishes} publishes × ${scenario.webhooks} webhooks (metered)`);
      stdout.take();
      const metered = await runWorkload(ctx, invocations, meter, cacheName, scenario, options.messageBytes);
      const counted = metered.counted!;
      const logBytes = stdout.take();
      const deliveries = scenario.publishes * scenario.webhooks;
      const roundTrips = timed.roundTrips;
      // Handler calls as counted by the middleware; publish is billed by its HTTP round trip (an upper bound).
      const publish = { calls: metered.publishCalls, medianMs: round(median(roundTrips)), totalMs: sum(roundTrips.map(Math.ceil)) };
      // Invocation counts from the metered pass, durations from the timed one (scaled to its count).
      const delivery = { calls: metered.deliveryDurationsMs.length, durationsMs: timed.deliveryDurationsMs };
      const deliveryTotalMs =
        (sum(timed.deliveryDurationsMs.map(Math.ceil)) / Math.max(1, timed.deliveryDurationsMs.length)) * delivery.calls;
      const gb = (name: keyof typeof FUNCTION_SIZING) => FUNCTION_SIZING[name].memorySizeMb / 1024;
      const gbSeconds = (publish.totalMs / 1000) * gb('publish-message') + (deliveryTotalMs / 1000) * gb(DELIVERY_FUNCTION);

      const rru = sum(Object.values(counted.dynamo).map((t) => t.rru));
      const wru = sum(Object.values(counted.dynamo).map((t) => t.wru + t.gsiWru));
      const sqsRequests = sum(Object.values(counted.sqs).map((t) => t.billedRequests));
      const lambdaInvocations = publish.calls + delivery.calls;
      const perMillion = 1e6 / deliveries;
      const m = 1e-6;
      const cost = {
        dynamodbReads: rru * prices.dynamodb.readRequestUnitsPerMillion * m * perMillion,
        dynamodbWrites: wru * prices.dynamodb.writeRequestUnitsPerMillion * m * perMillion,
        sqs: sqsRequests * prices.sqs.standardRequestsPerMillion * m * perMillion,
        lambdaRequests: lambdaInvocations * prices.lambda.requestsPerMillion * m * perMillion,
        lambdaCompute: gbSeconds * prices.lambda.arm64GbSecond * perMillion,
        apiGateway: scenario.publishes * prices.apiGateway.restRequestsPerMillion * m * perMillion,
      };
      const totalWithout = cost.dynamodbReads + cost.dynamodbWrites + cost.sqs + cost.lambdaRequests + cost.lambdaCompute;
      const slowReceiver = (ms: number) =>
        round(((gbSeconds + (delivery.calls * ms) / 1000 * gb(DELIVERY_FUNCTION)) * prices.lambda.arm64GbSecond * perMillion), 3);
      const r3 = (v: number) => round(v, 3);
      const result: MeteredScenario = {
        webhooks: scenario.webhooks,
        publishes: scenario.publishes,
        deliveries,
        dynamodb: counted.dynamo,
        sqs: counted.sqs,
        lambda: {
          publishInvocations: publish.calls,
          deliveryInvocations: delivery.calls,
          deliveriesPerDeliveryInvocation: round(deliveries / Math.max(1, delivery.calls), 2),
          publishMedianMs: publish.medianMs,
          deliveryMedianMs: round(median(delivery.durationsMs)),
          gbSeconds: round(gbSeconds, 3),
        },
        logBytes,
        perDelivery: {
          rru: round(rru / deliveries, 3),
          wru: round(wru / deliveries, 3),
          sqsRequests: round(sqsRequests / deliveries, 3),
          lambdaInvocations: round(lambdaInvocations / deliveries, 3),
          logBytes: round((logBytes.logLines + logBytes.metricLines) / deliveries, 0),
        },
        costPerMillionDeliveries: {
          dynamodbReads: r3(cost.dynamodbReads),
          dynamodbWrites: r3(cost.dynamodbWrites),
          sqs: r3(cost.sqs),
          lambdaRequests: r3(cost.lambdaRequests),
          lambdaCompute: r3(cost.lambdaCompute),
          apiGateway: r3(cost.apiGateway),
          totalWithoutApiGateway: r3(totalWithout),
          totalWithApiGateway: r3(totalWithout + cost.apiGateway),
          cloudwatchLogs: r3(((logBytes.logLines + logBytes.metricLines) / 2 ** 30) * prices.cloudwatchLogs.ingestedPerGb * perMillion),
          lambdaComputeIfReceiverTakesMs: { '100': slowReceiver(100), '1000': slowReceiver(1000) },
        },
      };
      scenarios.push(result);
      step(
        `AWS calls, ${scenario.webhooks} webhook(s): ${result.perDelivery.rru} RRU + ${result.perDelivery.wru} WRU + ${result.perDelivery.sqsRequests} SQS requests + ${result.perDelivery.lambdaInvocations} invocations per delivery → $${result.costPerMillionDeliveries.totalWithoutApiGateway} per million deliveries ($${result.costPerMillionDeliveries.totalWithApiGateway} with API Gateway)`,
      );
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
    scenarios,
  };
}
