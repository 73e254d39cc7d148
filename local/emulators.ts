import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DescribeTableCommand, ResourceInUseException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { buildApp } from 'fauxqs';
import { createTableInput } from '#shared/store/table-schema.ts';

/**
 * The two AWS emulators of local mode, in-process and on loopback only: dynalite (DynamoDB)
 * and fauxqs (SQS). Both accept any credentials.
 */
export interface RunningEmulator {
  endpoint: string;
  stop(): Promise<void>;
}

/**
 * A request signer for the emulators: an `Authorization` header of SigV4's shape (dynalite
 * refuses a request without one) and no hashing, since neither emulator checks signatures.
 */
export const EMULATOR_SIGNER = {
  sign: async <Request extends { headers: Record<string, string> }>(request: Request): Promise<Request> => {
    request.headers['x-amz-date'] = '20000101T000000Z';
    request.headers.authorization =
      'AWS4-HMAC-SHA256 Credential=local/20000101/local/local/aws4_request, SignedHeaders=host, Signature=0';
    return request;
  },
};

/**
 * dynalite's server, run in a worker thread (CommonJS source: dynalite is CommonJS without
 * types, and the worker needs no TypeScript loader). Local mode spends most of its CPU
 * emulating AWS; with dynalite beside it on the second core, the main thread keeps the
 * functions, fauxqs and the HTTP servers.
 */
const DYNALITE_WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const server = require(workerData.dynalitePath)(workerData.options);
server.once('error', (error) => parentPort.postMessage({ error: error.message }));
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
parentPort.on('message', () => {
  // dynalite's close also closes the LevelDB store once pending operations have finished.
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
`;

/**
 * dynalite on 127.0.0.1 in a worker thread, in memory or, with `dataDir`, in a LevelDB
 * directory kept between runs (one process at a time: LevelDB locks it).
 */
export async function startDynalite(options: { dataDir?: string } = {}): Promise<RunningEmulator> {
  const require = createRequire(import.meta.url);
  const dynalitePath = require.resolve('dynalite');
  if (options.dataDir) {
    await mkdir(options.dataDir, { recursive: true });
    await assertDataDirUsable(createRequire(dynalitePath), options.dataDir);
  }
  const worker = new Worker(DYNALITE_WORKER_SOURCE, {
    eval: true,
    workerData: {
      dynalitePath,
      options: {
        ...(options.dataDir ? { path: options.dataDir } : {}),
        // Tables are ACTIVE at once instead of after dynalite's default half second.
        createTableMs: 0,
        deleteTableMs: 0,
        updateTableMs: 0,
      },
    },
  });
  // The server keeps the worker alive; the worker alone does not keep the process alive.
  worker.unref();
  let stopping = false;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('message', (message: { port?: number; error?: string }) =>
      message.port ? resolve(message.port) : reject(new Error(`dynalite did not start: ${message.error}`)),
    );
    worker.once('error', reject);
    void exited.then(() => reject(new Error('dynalite exited before it was ready')));
  });
  // As in-process, a failure inside dynalite ends the process rather than leaving the
  // service answering 500 to every request.
  worker.on('error', (error) => {
    if (!stopping) setImmediate(() => { throw error; });
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: async () => {
      stopping = true;
      worker.postMessage('stop');
      await exited;
    },
  };
}

/**
 * Opens and closes the LevelDB store once before dynalite does: dynalite would only fail on
 * its first request, by throwing out of a callback and ending the process. The usual cause is
 * a second local service on the same directory (LevelDB locks it).
 */
async function assertDataDirUsable(dynaliteRequire: NodeJS.Require, dataDir: string): Promise<void> {
  // dynalite's own `level` dependency, whichever version it resolved.
  const { Level } = dynaliteRequire('level') as {
    Level: new (path: string) => { open(): Promise<void>; close(): Promise<void> };
  };
  const db = new Level(dataDir);
  try {
    await db.open();
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const reason =
      cause?.code === 'LEVEL_LOCKED'
        ? 'it is in use by another process (another local service?)'
        : (cause?.message ?? (error instanceof Error ? error.message : String(error)));
    throw new Error(`cannot use data directory ${dataDir}: ${reason}`, { cause: error });
  }
  await db.close();
}

/**
 * fauxqs on 127.0.0.1. Built with `buildApp` and listened on here because `startFauxqs`
 * always binds every interface, and local mode stays on loopback. Its queue URLs name
 * `sqs.<region>.localhost`, which does not resolve here: clients need an explicit endpoint.
 */
export async function startFauxqs(): Promise<RunningEmulator> {
  const app = buildApp({ logger: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return { endpoint: `http://127.0.0.1:${port}`, stop: () => app.close() };
}

/**
 * Every message left in a fauxqs queue, whatever its state — ready, delayed, or received and
 * not deleted — read through fauxqs's documented, non-destructive inspection endpoint
 * (`GET /_fauxqs/queues/<name>`). Unlike ReceiveMessage this also finds a message that a
 * receive aborted mid-answer left invisible, which no client holds a receipt handle for.
 */
export async function queuedMessages(sqsEndpoint: string, queueName: string): Promise<{ id: string; body: string }[]> {
  const res = await fetch(`${sqsEndpoint}/_fauxqs/queues/${encodeURIComponent(queueName)}`);
  if (!res.ok) throw new Error(`fauxqs inspection of ${queueName} answered ${res.status}`);
  type Message = { messageId: string; body: string };
  const { messages } = (await res.json()) as { messages: { ready: Message[]; delayed: Message[]; inflight: { message: Message }[] } };
  return [...messages.ready, ...messages.delayed, ...messages.inflight.map((m) => m.message)].map((m) => ({ id: m.messageId, body: m.body }));
}

/**
 * Creates the service's table as the stack defines it (same `createTableInput`), or keeps
 * the one a data directory already holds. TTL is not enabled: dynalite has no
 * UpdateTimeToLive; local mode's `TtlSweeper` deletes expired items instead.
 */
export async function ensureTable(dynamo: DynamoDBClient, tableName: string): Promise<'created' | 'existing'> {
  let outcome: 'created' | 'existing' = 'created';
  try {
    await dynamo.send(new CreateTableCommand(createTableInput(tableName)));
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
    outcome = 'existing';
  }
  // createTableMs is 0, so this is normally ACTIVE on the first look.
  for (let i = 0; ; i++) {
    const { Table } = await dynamo.send(new DescribeTableCommand({ TableName: tableName }));
    const indexesActive = (Table?.GlobalSecondaryIndexes ?? []).every((g) => g.IndexStatus === 'ACTIVE');
    if (Table?.TableStatus === 'ACTIVE' && indexesActive) return outcome;
    if (i > 500) throw new Error(`table ${tableName} did not become ACTIVE`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export interface DeliveryQueueSettings {
  visibilityTimeoutSeconds: number;
  maxReceiveCount: number;
  dlqRetentionDays: number;
}

export interface DeliveryQueues {
  queueUrl: string;
  queueArn: string;
  dlqUrl: string;
  dlqArn: string;
}

/** The delivery queue and its dead-letter queue, with the redrive policy the stack gives them. */
export async function createDeliveryQueues(
  sqs: SQSClient,
  names: { queue: string; deadLetterQueue: string },
  settings: DeliveryQueueSettings,
): Promise<DeliveryQueues> {
  const dlqUrl = await createQueue(sqs, names.deadLetterQueue, {
    MessageRetentionPeriod: String(settings.dlqRetentionDays * 24 * 3600),
  });
  const dlqArn = await queueArn(sqs, dlqUrl);
  const queueUrl = await createQueue(sqs, names.queue, {
    VisibilityTimeout: String(settings.visibilityTimeoutSeconds),
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: settings.maxReceiveCount }),
  });
  return { queueUrl, queueArn: await queueArn(sqs, queueUrl), dlqUrl, dlqArn };
}

async function createQueue(sqs: SQSClient, name: string, attributes: Record<string, string>): Promise<string> {
  const out = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  if (!out.QueueUrl) throw new Error(`CreateQueue ${name} returned no URL`);
  return out.QueueUrl;
}

async function queueArn(sqs: SQSClient, queueUrl: string): Promise<string> {
  const out = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  const arn = out.Attributes?.QueueArn;
  if (!arn) throw new Error(`queue ${queueUrl} has no ARN`);
  return arn;
}
