import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { generateApiKey } from '#shared/auth/api-key.ts';
import { createDynamoClient, createSqsClient } from '#shared/aws-clients.ts';
import { webhookSenderOf } from '#functions/commons/webhook-sender.ts';
import { DELIVERY_QUEUE_DEFAULTS } from '#shared/queue-settings.ts';
import { configureRuntime } from '#shared/runtime.ts';
import { InProcessTopicSignal } from '#shared/subscriptions/topic-signal.ts';
import { DELIVERY_FUNCTION, HTTP_FUNCTIONS, HTTP_ROUTES } from '#functions/routes.ts';
import { createApiGatewayListener, type ApiGatewayHandler } from './api-gateway-event.ts';
import {
  createDeliveryQueues,
  EMULATOR_SIGNER,
  ensureTable,
  queuedMessages,
  startDynalite,
  startFauxqs,
  type RunningEmulator,
} from './emulators.ts';
import { TtlSweeper } from './ttl-sweeper.ts';
import { QueuePoller, type SqsHandler } from './queue-poller.ts';

/** The event source settings local mode's poller and queue use; each defaults to the stack's. */
export interface LocalQueueSettings {
  /** @default DELIVERY_QUEUE_DEFAULTS.batchSize */
  batchSize: number;
  /** @default DELIVERY_QUEUE_DEFAULTS.maxBatchingWindowSeconds */
  maxBatchingWindowSeconds: number;
  /** @default DELIVERY_QUEUE_DEFAULTS.visibilityTimeoutSeconds */
  visibilityTimeoutSeconds: number;
  /** @default DELIVERY_QUEUE_DEFAULTS.maxReceiveCount */
  maxReceiveCount: number;
  /** Long-poll wait of each receive, 0–20. @default 20 */
  pollWaitSeconds: number;
  /** Delivery invocations in flight at once. @default LOCAL_POLLER_CONCURRENCY (4) */
  concurrency: number;
}

export interface LocalServiceOptions {
  /** 0 picks a free port. @default 8080 */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /**
   * The key accepted with every permission (configuration: never stored, listed or
   * revocable). Minted when omitted; the result says whether it was.
   */
  devApiKey?: string;
  /**
   * Keep DynamoDB data in this directory (LevelDB) between runs. The messages still queued when
   * the service stops are saved there too (`queued-deliveries.json`) and queued again at the next start.
   */
  dataDir?: string;
  /**
   * How long `stop()` keeps delivering, after the HTTP server has closed, until the queue is
   * empty; the CLI uses `LOCAL_DRAIN_SECONDS` (10). @default 0
   */
  drainSeconds?: number;
  /** Configuration over `process.env`, e.g. `{ MAX_WEBHOOKS_PER_CACHE: '5' }`. */
  env?: Record<string, string>;
  queue?: Partial<LocalQueueSettings>;
  /** Do not report handler and poller failures on stderr. */
  quiet?: boolean;
  /** Called with one line per HTTP request (method, path without query, status, time). */
  accessLog?: (line: string) => void;
  /** How often expired items are deleted, as DynamoDB's TTL would. @default 60_000 */
  ttlSweepIntervalMs?: number;
}

export interface LocalService {
  /** Base URL, e.g. `http://127.0.0.1:8080`. */
  url: string;
  apiKey: string;
  /** Whether `apiKey` was minted here (and so may be printed) rather than given. */
  mintedKey: boolean;
  tableName: string;
  queueUrl: string;
  dlqUrl: string;
  dynamoEndpoint: string;
  sqsEndpoint: string;
  /** Messages the previous run saved in the data directory and this start queued again. */
  restoredDeliveries: number;
  /** Holds deliveries: resolves once the invocations in flight have finished; messages wait in the queue. */
  pauseDeliveries(): Promise<void>;
  resumeDeliveries(): void;
  /**
   * Closes the HTTP server, keeps delivering until the queue is empty or `drainSeconds` have
   * passed, stops the poller (waiting for in-flight work), saves what is still queued to the data
   * directory (or drops it without one), and closes both emulators. Calls after the first return
   * the first one's result.
   */
  stop(options?: { drainSeconds?: number }): Promise<LocalStopReport>;
}

/** What `stop()` did with the queue. */
export interface LocalStopReport {
  /** Deliveries made (records settled and deleted) while draining. */
  drained: number;
  /** Messages still queued, saved to the data directory for the next start. */
  saved: number;
  /** Messages still queued and lost: no data directory (or saving failed). */
  dropped: number;
  /** Messages queued again at start from the previous run's save. */
  restored: number;
}

/** The file in the data directory that holds the messages queued when the service stopped. */
export const QUEUED_DELIVERIES_FILE = 'queued-deliveries.json';

/** The one line the CLI prints on stopping, e.g. `stopped: drained 140 queued deliveries, saved 10 for the next start`. */
export function formatStopReport(report: LocalStopReport): string {
  const parts = [`drained ${report.drained} queued ${report.drained === 1 ? 'delivery' : 'deliveries'}`];
  if (report.saved > 0) parts.push(`saved ${report.saved} for the next start`);
  if (report.dropped > 0) parts.push(`dropped ${report.dropped}${report.saved > 0 ? '' : ' (no data directory)'}`);
  return `stopped: ${parts.join(', ')}`;
}

/**
 * Delivery invocations local mode keeps in flight. With dynalite on its own thread, four
 * keep the main thread busy without overloading it (docs/performance.md: at 50 publishes/s,
 * p99 1.2 s with four against 4.3 s with two; throughput is the same).
 */
export const LOCAL_POLLER_CONCURRENCY = 4;

/** Resource names of local mode (the stack's are generated by CloudFormation). */
export const LOCAL_RESOURCE_NAMES = {
  table: 'topic-webhooks',
  queue: 'topic-webhooks-deliveries',
  deadLetterQueue: 'topic-webhooks-deliveries-dlq',
} as const;

/** Placeholders: the emulators accept any credentials, but the SDK wants some. */
const PLACEHOLDER_AWS_ENV = {
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
  AWS_REGION: 'us-east-1',
} as const;

let active = false;

/**
 * Local mode (docs/design.md#local-mode): dynalite and fauxqs in-process, the table and queues created as
 * the stack defines them, every route served by the functions' own handlers behind an API
 * Gateway translation, and the delivery handler fed by a poller with the event source's
 * semantics.
 *
 * One local service per process at a time: the functions share the process-wide runtime
 * (`configureRuntime`), as a Lambda container does, so a second service would rewire the
 * first. Starting one while another runs throws; stop it first.
 */
export async function startLocalService(options: LocalServiceOptions = {}): Promise<LocalService> {
  if (active) throw new Error('a local service is already running in this process; stop it first');
  active = true;
  const cleanup: (() => Promise<void> | void)[] = [];
  const runCleanup = async () => {
    for (const step of cleanup.reverse()) {
      try {
        await step();
      } catch {
        // Best effort: keep closing the rest.
      }
    }
    cleanup.length = 0;
  };
  try {
    return await start(options, cleanup, runCleanup);
  } catch (error) {
    await runCleanup();
    active = false;
    throw error;
  }
}

async function start(
  options: LocalServiceOptions,
  cleanup: (() => Promise<void> | void)[],
  runCleanup: () => Promise<void>,
): Promise<LocalService> {
  for (const [name, value] of Object.entries(PLACEHOLDER_AWS_ENV)) process.env[name] ??= value;
  const warn = options.quiet ? () => undefined : (line: string) => console.error(`local mode: ${line}`);
  const settings: LocalQueueSettings = {
    batchSize: DELIVERY_QUEUE_DEFAULTS.batchSize,
    maxBatchingWindowSeconds: DELIVERY_QUEUE_DEFAULTS.maxBatchingWindowSeconds,
    visibilityTimeoutSeconds: DELIVERY_QUEUE_DEFAULTS.visibilityTimeoutSeconds,
    maxReceiveCount: DELIVERY_QUEUE_DEFAULTS.maxReceiveCount,
    pollWaitSeconds: 20,
    concurrency: LOCAL_POLLER_CONCURRENCY,
    ...options.queue,
  };

  // Emulators and handler modules load in parallel: together they are most of the startup time.
  const handlersLoading = loadHandlers();
  const [dynalite, fauxqs] = await Promise.all([
    track(startDynalite({ dataDir: options.dataDir }), cleanup),
    track(startFauxqs(), cleanup),
  ]);

  const region = options.env?.AWS_REGION ?? process.env.AWS_REGION ?? PLACEHOLDER_AWS_ENV.AWS_REGION;
  const endpoints = { region, dynamoEndpoint: dynalite.endpoint, sqsEndpoint: fauxqs.endpoint };
  const clients = {
    dynamo: createDynamoClient(endpoints, { signer: EMULATOR_SIGNER }),
    sqs: createSqsClient(endpoints, { signer: EMULATOR_SIGNER }),
  };
  cleanup.push(() => {
    clients.dynamo.destroy();
    clients.sqs.destroy();
  });
  const setupDynamo = new DynamoDBClient({ region, endpoint: dynalite.endpoint });
  const tableName = LOCAL_RESOURCE_NAMES.table;
  try {
    await ensureTable(setupDynamo, tableName);
  } finally {
    setupDynamo.destroy();
  }
  const queues = await createDeliveryQueues(
    clients.sqs,
    { queue: LOCAL_RESOURCE_NAMES.queue, deadLetterQueue: LOCAL_RESOURCE_NAMES.deadLetterQueue },
    { ...settings, dlqRetentionDays: DELIVERY_QUEUE_DEFAULTS.dlqRetentionDays },
  );

  const minted = !options.devApiKey;
  const apiKey = options.devApiKey || generateApiKey();
  const rt = configureRuntime({
    env: {
      ...process.env,
      ...options.env,
      AWS_REGION: region,
      TABLE_NAME: tableName,
      QUEUE_URL: queues.queueUrl,
      AWS_ENDPOINT_URL_DYNAMODB: dynalite.endpoint,
      AWS_ENDPOINT_URL_SQS: fauxqs.endpoint,
    },
    clients,
    devApiKey: apiKey,
    allowLoopbackHttp: true,
    // Publish and subscribe share this process: a publish wakes waiting subscribers at once.
    topicSignal: new InProcessTopicSignal(),
  });
  cleanup.push(() => webhookSenderOf(rt).close());
  const ttlSweeper = new TtlSweeper(rt.clients.dynamo, tableName, {
    intervalMs: options.ttlSweepIntervalMs ?? 60_000,
    now: rt.now,
    onError: (error) => warn(`TTL sweep failed: ${describe(error)}`),
  });
  ttlSweeper.start();
  cleanup.push(() => ttlSweeper.stop());

  const handlers = await handlersLoading;
  const poller = new QueuePoller({
    sqs: clients.sqs,
    queueUrl: queues.queueUrl,
    queueArn: queues.queueArn,
    region,
    handler: handlers.delivery,
    functionName: DELIVERY_FUNCTION,
    batchSize: settings.batchSize,
    maxBatchingWindowSeconds: settings.maxBatchingWindowSeconds,
    pollWaitSeconds: settings.pollWaitSeconds,
    concurrency: settings.concurrency,
    onError: (error, stage) => warn(`delivery poller: ${stage} failed: ${describe(error)}`),
  });
  // The previous run's leftovers go back into the queue before anything polls it.
  const restored = options.dataDir ? await restoreQueued(clients.sqs, queues.queueUrl, options.dataDir) : 0;
  await poller.start();
  cleanup.push(() => poller.stop());

  const listener = createApiGatewayListener({
    routes: HTTP_ROUTES,
    handlerFor: (name) => {
      const handler = handlers.http.get(name);
      if (!handler) throw new Error(`no handler for ${name}`);
      return handler;
    },
    region,
    onHandlerError: (error, route) => warn(`${route.functionName} failed: ${describe(error)}`),
  });
  const server = createServer((req, res) => {
    if (options.accessLog) {
      const begun = Date.now();
      const log = options.accessLog;
      // The path only: a query may carry an API key (`?token=`).
      const path = (req.url ?? '/').split('?')[0];
      res.on('finish', () => log(`${req.method} ${path} ${res.statusCode} ${Date.now() - begun} ms`));
    }
    listener(req, res);
  });
  const host = options.host ?? '127.0.0.1';
  await listenHttp(server, options.port ?? 8080, host);
  let httpClosing: Promise<void> | undefined;
  const closeServer = () => (httpClosing ??= closeHttp(server));
  cleanup.push(closeServer);

  /**
   * The stopping rules (local/README.md): no new requests, drain, stop the poller, then save
   * or drop what is left. Saving a message whose delivery was in flight (or had just been made
   * but not yet deleted) is safe: the delivery's group claim, stored in DynamoDB and so in the
   * same data directory, stops a second POST of a group already claimed when it comes back.
   */
  const stopQueue = async (drainSeconds: number): Promise<LocalStopReport> => {
    await closeServer();
    const before = poller.delivered;
    if (drainSeconds > 0) {
      poller.resume();
      const deadline = Date.now() + drainSeconds * 1000;
      while (Date.now() < deadline && (await queueDepth(clients.sqs, queues.queueUrl)) > 0) {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    // What the poller still holds stays invisible; the queue's own state lists it with the
    // rest, and also what a receive aborted mid-answer left invisible with no one holding it.
    await poller.stop({ keepUnsettled: true });
    const drained = poller.delivered - before;
    const bodies = (await queuedMessages(endpoints.sqsEndpoint, LOCAL_RESOURCE_NAMES.queue)).map((m) => m.body);
    if (bodies.length > 0 && options.dataDir) {
      try {
        await saveQueued(options.dataDir, bodies);
        return { drained, saved: bodies.length, dropped: 0, restored };
      } catch (error) {
        warn(`could not save ${bodies.length} queued deliveries: ${describe(error)}`);
      }
    }
    return { drained, saved: 0, dropped: bodies.length, restored };
  };

  let stopping: Promise<LocalStopReport> | undefined;
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${urlHost(host)}:${port}`,
    apiKey,
    mintedKey: minted,
    tableName,
    queueUrl: queues.queueUrl,
    dlqUrl: queues.dlqUrl,
    restoredDeliveries: restored,
    dynamoEndpoint: dynalite.endpoint,
    sqsEndpoint: fauxqs.endpoint,
    pauseDeliveries: () => poller.pause(),
    resumeDeliveries: () => poller.resume(),
    stop: (stopOptions) => {
      stopping ??= (async () => {
        try {
          return await stopQueue(Math.max(0, stopOptions?.drainSeconds ?? options.drainSeconds ?? 0));
        } finally {
          await runCleanup();
          active = false;
        }
      })();
      return stopping;
    },
  };
}

/** Messages in the queue, visible, in flight or delayed. */
async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<number> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
    }),
  );
  const a = out.Attributes ?? {};
  return (
    Number(a.ApproximateNumberOfMessages ?? 0) +
    Number(a.ApproximateNumberOfMessagesNotVisible ?? 0) +
    Number(a.ApproximateNumberOfMessagesDelayed ?? 0)
  );
}

/** Written atomically (a temporary file, then a rename): a crash leaves the old file or the new one. */
async function saveQueued(dataDir: string, bodies: string[]): Promise<void> {
  const file = join(dataDir, QUEUED_DELIVERIES_FILE);
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, JSON.stringify({ version: 1, bodies }));
  await rename(temporary, file);
}

/**
 * Queues the previous run's saved messages again, then removes the file. A crash between the
 * two queues them twice at the start after; their group claims still allow one POST each.
 */
async function restoreQueued(sqs: SQSClient, queueUrl: string, dataDir: string): Promise<number> {
  const file = join(dataDir, QUEUED_DELIVERIES_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
  const saved = JSON.parse(text) as { version?: unknown; bodies?: unknown };
  if (saved.version !== 1 || !Array.isArray(saved.bodies) || !saved.bodies.every((b) => typeof b === 'string')) {
    throw new Error(`${file} is not a file of queued deliveries`);
  }
  const bodies = saved.bodies as string[];
  for (let i = 0; i < bodies.length; i += 10) {
    await Promise.all(
      bodies.slice(i, i + 10).map((MessageBody) => sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody }))),
    );
  }
  await rm(file);
  return bodies.length;
}

/** Registers an emulator's stop as soon as it is up, so a failed start still closes it. */
async function track(starting: Promise<RunningEmulator>, cleanup: (() => Promise<void> | void)[]): Promise<RunningEmulator> {
  const emulator = await starting;
  cleanup.push(() => emulator.stop());
  return emulator;
}

interface Handlers {
  http: Map<string, ApiGatewayHandler>;
  delivery: SqsHandler;
}

/** Imports every function named in functions/routes.ts, as each Lambda would at cold start. */
async function loadHandlers(): Promise<Handlers> {
  const load = async (name: string): Promise<unknown> => {
    const module = (await import(`../functions/${name}.ts`)) as { handler?: unknown };
    if (typeof module.handler !== 'function') throw new Error(`functions/${name}.ts exports no handler`);
    return module.handler;
  };
  const [delivery, ...http] = await Promise.all([load(DELIVERY_FUNCTION), ...HTTP_FUNCTIONS.map(load)]);
  return {
    delivery: delivery as SqsHandler,
    http: new Map(HTTP_FUNCTIONS.map((name, i) => [name, http[i] as ApiGatewayHandler])),
  };
}

function listenHttp(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(`${host}:${port} is already in use; choose another port with PORT`)
          : error,
      );
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** Stops accepting, lets requests in flight finish (bounded), then drops what is left. */
async function closeHttp(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const timer = setTimeout(() => server.closeAllConnections(), 10_000);
  try {
    await closed;
  } finally {
    clearTimeout(timer);
  }
}

/** The host for URLs: an unspecified listen address is reached through loopback; IPv6 in brackets. */
function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
