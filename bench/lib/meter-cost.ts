import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { PROJECT_ROOT } from '../../infra/project-root.ts';
import { round } from './stats.ts';

export interface Prices {
  pricesAsOf: string;
  writtenOn: string;
  caveat: string;
  dynamodb: { readRequestUnitsPerMillion: number; writeRequestUnitsPerMillion: number };
  sqs: { standardRequestsPerMillion: number; billedChunkBytes: number };
  lambda: { requestsPerMillion: number; arm64GbSecond: number };
  apiGateway: { restRequestsPerMillion: number };
  cloudwatchLogs: { ingestedPerGb: number };
  /** Not a cost of this service: what SNS charges to deliver the same notifications over HTTP/S, for comparison. */
  sns: { httpDeliveriesPerMillion: number };
}

export async function loadPrices(): Promise<Prices> {
  return JSON.parse(await readFile(path.join(PROJECT_ROOT, 'bench', 'prices.json'), 'utf8')) as Prices;
}

/**
 * Lambda's own lines per invocation in CloudWatch Logs, which local mode never prints: START
 * (71 B: `START RequestId: <36-character id> Version: $LATEST`), END (52 B) and REPORT (141 B
 * with Duration, Billed Duration, Memory Size and Max Memory Used; a cold start adds about
 * 25 B of Init Duration) make 264 B of text. CloudWatch Logs sizes each event as its UTF-8
 * bytes plus 26 B (PutLogEvents), 342 B for the three; rounded up to 350.
 */
export const PLATFORM_LOG_BYTES_PER_INVOCATION = 350;

/**
 * One API Gateway access log line per request, also ingested by CloudWatch Logs: the 13
 * fields of ACCESS_LOG_FIELDS (infra/constructs/service-api.ts) as JSON, with the values a
 * publish gives them (request id, epoch, IP, the client's user agent, `204`, latencies),
 * measure about 390 B.
 */
export const ACCESS_LOG_BYTES_PER_REQUEST = 390;

/** CloudWatch Logs bills ingestion per GB; as elsewhere in AWS billing, a GB is 2^30 bytes. */
const GB = 2 ** 30;

/** Dollars per million deliveries, by item. */
export interface CostPerMillion {
  dynamodbReads: number;
  dynamodbWrites: number;
  sqs: number;
  lambdaRequests: number;
  lambdaCompute: number;
  /** CloudWatch Logs ingestion: the functions' log and EMF lines, and Lambda's START, END and REPORT lines. */
  cloudwatchLogs: number;
  /** Everything above: what the service costs behind whatever accepts the publishes. */
  totalWithoutApiGateway: number;
  /** The REST API's requests (one per publish). */
  apiGateway: number;
  /** The REST API's access log lines (one per publish), ingested by CloudWatch Logs. */
  apiGatewayAccessLogs: number;
  totalWithApiGateway: number;
  /** Lambda compute again, had every receiver taken this long to answer (a batch's POSTs run concurrently). */
  lambdaComputeIfReceiverTakesMs: Record<string, number>;
}

/** What one metered run used, in the units AWS bills. */
export interface MeteredUsage {
  deliveries: number;
  /** API requests: one per publish. */
  publishes: number;
  rru: number;
  wru: number;
  sqsRequests: number;
  publishInvocations: number;
  deliveryInvocations: number;
  gbSeconds: number;
  /** Memory of the delivery function, for the slow-receiver what-ifs. */
  deliveryGb: number;
  /** What the functions wrote to stdout (CloudWatch Logs ingests it on AWS). */
  stdoutBytes: number;
}

/** Log bytes CloudWatch Logs ingests for a run: the functions' own output and Lambda's lines per invocation. */
export function ingestedLogBytes(usage: Pick<MeteredUsage, 'stdoutBytes' | 'publishInvocations' | 'deliveryInvocations'>): number {
  return usage.stdoutBytes + (usage.publishInvocations + usage.deliveryInvocations) * PLATFORM_LOG_BYTES_PER_INVOCATION;
}

/** Usage → dollars per million deliveries at `prices`, each item rounded to 3 decimals. */
export function costPerMillion(usage: MeteredUsage, prices: Prices): CostPerMillion {
  const scale = 1e6 / usage.deliveries;
  const perMillion = (count: number, pricePerMillion: number) => count * pricePerMillion * 1e-6 * scale;
  const lambdaInvocations = usage.publishInvocations + usage.deliveryInvocations;
  const cost = {
    dynamodbReads: perMillion(usage.rru, prices.dynamodb.readRequestUnitsPerMillion),
    dynamodbWrites: perMillion(usage.wru, prices.dynamodb.writeRequestUnitsPerMillion),
    sqs: perMillion(usage.sqsRequests, prices.sqs.standardRequestsPerMillion),
    lambdaRequests: perMillion(lambdaInvocations, prices.lambda.requestsPerMillion),
    lambdaCompute: usage.gbSeconds * prices.lambda.arm64GbSecond * scale,
    cloudwatchLogs: (ingestedLogBytes(usage) / GB) * prices.cloudwatchLogs.ingestedPerGb * scale,
    apiGateway: perMillion(usage.publishes, prices.apiGateway.restRequestsPerMillion),
    apiGatewayAccessLogs: ((usage.publishes * ACCESS_LOG_BYTES_PER_REQUEST) / GB) * prices.cloudwatchLogs.ingestedPerGb * scale,
  };
  const totalWithout = cost.dynamodbReads + cost.dynamodbWrites + cost.sqs + cost.lambdaRequests + cost.lambdaCompute + cost.cloudwatchLogs;
  const slowReceiver = (ms: number) =>
    r3((usage.gbSeconds + ((usage.deliveryInvocations * ms) / 1000) * usage.deliveryGb) * prices.lambda.arm64GbSecond * scale);
  return {
    dynamodbReads: r3(cost.dynamodbReads),
    dynamodbWrites: r3(cost.dynamodbWrites),
    sqs: r3(cost.sqs),
    lambdaRequests: r3(cost.lambdaRequests),
    lambdaCompute: r3(cost.lambdaCompute),
    cloudwatchLogs: r3(cost.cloudwatchLogs),
    totalWithoutApiGateway: r3(totalWithout),
    apiGateway: r3(cost.apiGateway),
    apiGatewayAccessLogs: r3(cost.apiGatewayAccessLogs),
    totalWithApiGateway: r3(totalWithout + cost.apiGateway + cost.apiGatewayAccessLogs),
    lambdaComputeIfReceiverTakesMs: { '100': slowReceiver(100), '1000': slowReceiver(1000) },
  };
}

const r3 = (v: number) => round(v, 3);
