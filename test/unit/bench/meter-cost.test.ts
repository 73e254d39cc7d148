import { beforeEach, describe, expect, it, vi } from 'vitest';
import { DELIVERY_FUNCTION } from '#functions/routes.ts';
import { FUNCTION_SIZING } from '../../../infra/defaults.ts';
import { loadPrices, measureAwsCalls, type Prices } from '../../../bench/lib/meter-phase.ts';

/**
 * The price arithmetic of bench/lib/meter-phase.ts: counted calls → dollars per million
 * deliveries. The counting itself (local mode, the SDK and middy meters, the receivers) is
 * replaced by fixed counts, so that what is checked is only the arithmetic, against figures a
 * reader can redo by hand from AWS's list prices:
 * - DynamoDB on-demand: $0.125 per million read request units, $0.625 per million write request
 *   units (us-east-1, since 1 Nov 2024);
 * - SQS standard queues: $0.40 per million requests, each 64 KiB chunk of a payload one request;
 * - Lambda (arm64): $0.20 per million requests, $0.0000133334 per GB-second, each invocation's
 *   duration rounded up to the millisecond;
 * - API Gateway REST APIs: $3.50 per million requests;
 * - CloudWatch Logs: $0.50 per GB ingested;
 * - and, for comparison only, SNS: $0.60 per million HTTP/S deliveries.
 */
const LIST_PRICES: Prices = {
  pricesAsOf: '2024-11-01',
  writtenOn: 'in this test',
  caveat: 'the list prices above',
  dynamodb: { readRequestUnitsPerMillion: 0.125, writeRequestUnitsPerMillion: 0.625 },
  sqs: { standardRequestsPerMillion: 0.4, billedChunkBytes: 65_536 },
  lambda: { requestsPerMillion: 0.2, arm64GbSecond: 0.0000133334 },
  apiGateway: { restRequestsPerMillion: 3.5 },
  cloudwatchLogs: { ingestedPerGb: 0.5 },
  sns: { httpDeliveriesPerMillion: 0.6 },
};

/** What the stand-ins below report; set per test. measureAwsCalls runs each scenario twice: timed, then metered. */
const fixture = vi.hoisted(() => ({
  metering: false,
  /** Round trips (ms) the timed pass's publishes take, one per publish. */
  timedRoundTrips: [] as number[],
  /** Bytes each metered publish writes to stdout: a log line, and an EMF metric line (it holds `"_aws"`). */
  logLine: '',
  metricLine: '',
  timedTallies: new Map<string, { calls: number; durationsMs: number[] }>(),
  meteredTallies: new Map<string, { calls: number; durationsMs: number[] }>(),
  counted: { dynamo: {}, sqs: {} } as { dynamo: Record<string, unknown>; sqs: Record<string, unknown> },
  deletes: 0,
  /** What the workload did, in order: `pause`, `resume`, `publish`, `wait <deliveries>`. */
  events: [] as string[],
}));

vi.mock('#local/service.ts', () => ({
  startLocalService: async () => ({
    dynamoEndpoint: 'http://unused',
    tableName: 't',
    url: 'http://unused',
    apiKey: 'k',
    pauseDeliveries: async () => {
      fixture.events.push('pause');
    },
    resumeDeliveries: () => {
      fixture.events.push('resume');
    },
    stop: async () => {},
  }),
}));
vi.mock('#shared/runtime.ts', () => ({ runtime: () => ({ clients: {}, config: { region: 'us-east-1', deliveryGroupSize: 10 } }) }));
vi.mock('../../../bench/lib/aws-meter.ts', () => ({
  AwsMeter: class {
    sqs = new Map<string, { calls: number }>();
    start() {
      fixture.metering = true;
      // The workload waits until the poller has deleted as many batches as delivery was invoked.
      this.sqs = new Map([['DeleteMessageBatch', { calls: fixture.deletes }]]);
    }
    stop() {
      fixture.metering = false;
      return fixture.counted;
    }
    close() {}
  },
}));
vi.mock('../../../bench/lib/invocations.ts', () => ({
  InvocationMeter: {
    attach: async () => ({
      tallies: new Map(),
      inFlight: 0,
      start() {
        this.tallies = fixture.metering ? fixture.meteredTallies : fixture.timedTallies;
      },
      stop() {},
    }),
  },
}));
vi.mock('../../../bench/lib/http-client.ts', () => ({
  HttpClient: class {
    async createKey() {
      return 'publisher-key';
    }
    withKey() {
      return this;
    }
    async publish() {
      fixture.events.push('publish');
      if (!fixture.metering) return fixture.timedRoundTrips.shift();
      process.stdout.write(fixture.logLine);
      process.stdout.write(fixture.metricLine);
      return 1;
    }
    close() {}
  },
}));
vi.mock('../../../bench/lib/load.ts', () => {
  let next = 0;
  return { newMessageId: () => next++, putWebhooks: async () => {} };
});
vi.mock('../../../bench/lib/message.ts', () => ({ benchMessage: () => '{}' }));
vi.mock('../../../bench/lib/receiver.ts', () => ({ startReceivers: async () => [], closeReceivers: async () => {} }));
vi.mock('../../../bench/lib/tracker.ts', () => ({
  DeliveryTracker: class {
    sent() {}
    async waitFor(total: number) {
      fixture.events.push(`wait ${total}`);
    }
  },
  ReceiptRouter: class {
    current = undefined;
    listener = () => {};
  },
}));
vi.mock('../../../bench/lib/progress.ts', () => ({ status: () => {}, step: () => {} }));

describe('bench/prices.json', () => {
  it('holds the us-east-1 on-demand list prices the arithmetic below is checked with', async () => {
    const { pricesAsOf: _asOf, writtenOn: _on, caveat: _caveat, ...prices } = LIST_PRICES;
    expect(await loadPrices()).toMatchObject(prices);
  });
});

describe('dollars per million deliveries', () => {
  /**
   * One scenario: 4 publishes to a topic with 5 webhooks, so 20 deliveries, and a million
   * deliveries is 1e6 / 20 = 50,000 times this run. Per million deliveries, then:
   * - DynamoDB reads: 12 RRU (4 GetItem + 2 Query + 6 BatchGetItem) / 20 = 0.6 per delivery × $0.125 = $0.075;
   * - DynamoDB writes: 64 WRU (4 UpdateItem + 20 PutItem + 20 of their index entries + 20 BatchWriteItem)
   *   / 20 = 3.2 per delivery × $0.625 = $2.00;
   * - SQS: 10 requests (4 sends, 6 receives of which 2 came back empty and are not priced,
   *   2 deletes) / 20 = 0.5 × $0.40 = $0.20;
   * - Lambda requests: 4 publish + 2 delivery invocations = 6 / 20 = 0.3 × $0.20 = $0.06;
   * - Lambda compute, both functions at 512 MB = 0.5 GB: publish 4 × 100 ms (99.1, 99.5, 99.9 and
   *   100 ms, each rounded up to 100) = 0.4 s × 0.5 = 0.2 GB-s; delivery 2 invocations × 250 ms
   *   (the timed pass's mean, its four durations each rounded up to 250) = 0.5 s × 0.5 = 0.25 GB-s;
   *   0.45 GB-s × $0.0000133334 × 50,000 = $0.300003;
   * - CloudWatch Logs: 4 × (4,000 + 1,369) = 21,476 bytes the functions wrote, plus 6 invocations
   *   × 350 bytes of Lambda's START/END/REPORT = 2,100: 23,576 bytes × 50,000 = 1,178,800,000
   *   bytes = 1.0978430 GiB × $0.50 = $0.548922;
   * - total $0.075 + $2.00 + $0.20 + $0.06 + $0.300003 + $0.548922 = $3.183925;
   * - API Gateway: 4 requests × $3.50 / 1e6 × 50,000 = $0.70, and their access log lines, 4 × 390
   *   bytes × 50,000 = 78,000,000 bytes = 0.0726432 GiB × $0.50 = $0.036322: with API Gateway
   *   $3.920247;
   * - compute had each receiver taken 100 ms: (0.45 + 2 × 0.1 s × 0.5 GB) = 0.55 GB-s → $0.366668;
   *   1000 ms: (0.45 + 2 × 1 s × 0.5 GB) = 1.45 GB-s → $0.966672.
   * Reported rounded to 3 decimals.
   */
  beforeEach(() => {
    fixture.events = [];
    fixture.timedRoundTrips = [99.1, 99.5, 99.9, 100];
    fixture.logLine = 'l'.repeat(4_000);
    fixture.metricLine = `{"_aws":{}}${'m'.repeat(1_369 - 11)}`;
    fixture.timedTallies = new Map([
      ['publish-message', { calls: 4, durationsMs: [50, 50, 50, 50] }],
      [DELIVERY_FUNCTION, { calls: 4, durationsMs: [249.2, 249.6, 249.8, 250] }],
    ]);
    fixture.meteredTallies = new Map([
      ['publish-message', { calls: 4, durationsMs: [60, 60, 60, 60] }],
      [DELIVERY_FUNCTION, { calls: 2, durationsMs: [400, 400] }],
    ]);
    fixture.deletes = 2;
    const dynamo = (calls: number, rru: number, wru: number, gsiWru = 0) => ({ calls, rru, wru, gsiWru, conditionalFailures: 0 });
    const sqs = (calls: number, billedRequests: number, emptyReceives = 0) => ({ calls, billedRequests, messages: 0, payloadBytes: 0, emptyReceives });
    fixture.counted = {
      dynamo: {
        GetItem: dynamo(4, 4, 0),
        Query: dynamo(4, 2, 0),
        BatchGetItem: dynamo(2, 6, 0),
        UpdateItem: dynamo(4, 0, 4),
        PutItem: dynamo(20, 0, 20, 20),
        BatchWriteItem: dynamo(2, 0, 20),
      },
      sqs: { SendMessageBatch: sqs(4, 4), ReceiveMessage: sqs(6, 6, 2), DeleteMessageBatch: sqs(2, 2) },
    };
  });

  const run = (shape: 'fullBatches' | 'oneMessagePerInvocation') =>
    measureAwsCalls({ messageBytes: 100, scenarios: [{ webhooks: 5, publishes: 4 }], shapes: [shape], prices: LIST_PRICES, pollWaitSeconds: 0 });

  it('assumes the sizes the stack gives publish and delivery', () => {
    expect(FUNCTION_SIZING['publish-message'].memorySizeMb).toBe(512);
    expect(FUNCTION_SIZING[DELIVERY_FUNCTION].memorySizeMb).toBe(512);
  });

  it('divides each counted unit by the deliveries and multiplies it by its list price', async () => {
    const result = await run('oneMessagePerInvocation');
    const [scenario] = result.scenarios;
    expect(result.prices).toEqual({ asOf: '2024-11-01', writtenOn: 'in this test', caveat: 'the list prices above' });
    expect(result.snsHttpDeliveriesPerMillion).toBe(0.6);
    expect(result.platformLogBytesPerInvocation).toBe(350);
    expect(scenario).toMatchObject({
      webhooks: 5,
      shape: 'oneMessagePerInvocation',
      publishes: 4,
      deliveries: 20,
      dynamodb: fixture.counted.dynamo,
      sqs: fixture.counted.sqs,
    });
    expect(scenario!.lambda).toEqual({
      publishInvocations: 4,
      deliveryInvocations: 2,
      deliveriesPerDeliveryInvocation: 10,
      // Medians of the timed pass: (99.5 + 99.9) / 2 and (249.6 + 249.8) / 2.
      publishMedianMs: 99.7,
      deliveryMedianMs: 249.7,
      gbSeconds: 0.45,
    });
    expect(scenario!.logBytes).toEqual({ logLines: 16_000, metricLines: 5_476, platformLines: 2_100 });
    // 23,576 / 20 = 1,178.8 → 1,179 bytes.
    expect(scenario!.perDelivery).toEqual({ rru: 0.6, wru: 3.2, sqsRequests: 0.5, lambdaInvocations: 0.3, logBytes: 1_179 });
    expect(scenario!.costPerMillionDeliveries).toEqual({
      dynamodbReads: 0.075,
      dynamodbWrites: 2,
      sqs: 0.2,
      lambdaRequests: 0.06,
      lambdaCompute: 0.3,
      cloudwatchLogs: 0.549,
      totalWithoutApiGateway: 3.184,
      apiGateway: 0.7,
      apiGatewayAccessLogs: 0.036,
      totalWithApiGateway: 3.92,
      lambdaComputeIfReceiverTakesMs: { '100': 0.367, '1000': 0.967 },
    });
  });

  it('one message per invocation: each publish waits for the deliveries of the ones before it', async () => {
    await run('oneMessagePerInvocation');
    const pass = ['publish', 'wait 5', 'publish', 'wait 10', 'publish', 'wait 15', 'publish', 'wait 20'];
    // Timed, then metered.
    expect(fixture.events).toEqual([...pass, ...pass]);
  });

  it('full batches: deliveries are held while every message is published, and a batch holds ten full queue messages', async () => {
    const result = await run('fullBatches');
    const pass = ['pause', 'publish', 'publish', 'publish', 'publish', 'resume', 'wait 20'];
    expect(fixture.events).toEqual([...pass, ...pass]);
    // Ten queue messages of min(5 webhooks, group size 10) each.
    expect(result.scenarios[0]!.lambda.fullBatchDeliveries).toBe(50);
    expect(result.scenarios[0]!.costPerMillionDeliveries.totalWithApiGateway).toBe(3.92);
  });
});
