import { execFileSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCli as startCliIn } from '../helpers/local-cli.ts';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { formatStopReport, QUEUED_DELIVERIES_FILE, startLocalService, type LocalService } from '#local/service.ts';
import { apiClient } from '../helpers/api-client.ts';
import { TestReceiver } from '../helpers/receiver.ts';
import { ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createDeliveryQueues, queuedMessages, startFauxqs } from '#local/emulators.ts';

/**
 * Local mode's stopping rules: no new requests, drain the queue (bounded), save what is left in
 * the data directory and queue it again at the next start: every accepted message delivered
 * exactly once across a stop and a restart. Loopback only.
 */
const tmpDirs: string[] = [];
const services: LocalService[] = [];
const children: ChildProcessWithoutNullStreams[] = [];
const receivers: TestReceiver[] = [];

afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const s of services.splice(0)) await s.stop();
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

afterAll(async () => {
  await Promise.all(tmpDirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'local-stop-'));
  tmpDirs.push(dir);
  return dir;
}

/**
 * A loopback receiver that answers 200 (at once for the first `fastCount` POSTs, then after
 * `delayMs`) and counts the POSTs per sequence number as they arrive.
 */
async function slowReceiver(delayMs: number, fastCount = 0): Promise<{ url: string; posts: Map<number, number>; delivered: () => number }> {
  // The sequence numbers answered so far: what the service has seen delivered.
  const answered = new Set<number>();
  const receiver = await TestReceiver.start({
    respond: (request, res) => {
      const delay = receiver.requests.length <= fastCount ? 0 : delayMs;
      setTimeout(() => {
        answered.add((JSON.parse(request.body.toString('utf8')) as { topic_sequence_number: number }).topic_sequence_number);
        if (!res.destroyed) res.writeHead(200).end();
      }, delay);
    },
  });
  receivers.push(receiver);
  const posts = () => {
    const counts = new Map<number, number>();
    for (const r of receiver.requests) {
      const { topic_sequence_number: n } = JSON.parse(r.body.toString('utf8')) as { topic_sequence_number: number };
      counts.set(n, (counts.get(n) ?? 0) + 1);
    }
    return counts;
  };
  return {
    url: receiver.url('/hook'),
    get posts() {
      return posts();
    },
    delivered: () => answered.size,
  };
}

async function publishMany(url: string, key: string, postUrl: string, count: number): Promise<void> {
  const api = apiClient(url, key);
  expect((await api('PUT', '/webhooks/c/w', { body: { topicName: 't', destination: { postUrl } } })).status).toBe(200);
  for (let i = 0; i < count; i++) expect((await api('POST', '/topics/c/t', { raw: `message ${i}` })).status).toBe(204);
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Each sequence number 1..count POSTed exactly once. */
function expectExactlyOnce(posts: Map<number, number>, count: number): void {
  expect([...posts.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: count }, (_, i) => i + 1));
  expect([...posts.values()].every((n) => n === 1)).toBe(true);
}

const STOP_TEST_KEY = 'stop-test-key-0123456789';

/** The CLI with this file's key; `key` beside what the helper returns. */
async function startCli(command: string, args: string[], env: Record<string, string>) {
  const started = await startCliIn(children, { DEV_API_KEY: STOP_TEST_KEY, ...env }, [command, ...args]);
  return { ...started, key: STOP_TEST_KEY };
}

const stopLine = (output: string) => /stopped: drained (\d+) queued deliver(?:y|ies)(?:, saved (\d+) for the next start)?(?:, dropped (\d+))?/.exec(output);

describe('local mode stop', () => {
  it('stop(): drains, saves the rest in the data directory, and delivers it after a restart, exactly once', async () => {
    const dataDir = await tempDir();
    const receiver = await slowReceiver(150);
    const count = 40;
    const first = await startLocalService({ port: 0, quiet: true, dataDir, queue: { concurrency: 1, batchSize: 1, pollWaitSeconds: 1 } });
    services.push(first);
    await publishMany(first.url, first.apiKey, receiver.url, count);
    const report = await first.stop({ drainSeconds: 0.5 });
    services.splice(0);
    await expect(fetch(`${first.url}/health`)).rejects.toThrow();
    expect(report.drained).toBeGreaterThan(0);
    expect(report.saved).toBeGreaterThan(0);
    expect(report.dropped).toBe(0);
    // Delivered before the stop, during the drain, or saved: nothing else.
    expect(receiver.delivered()).toBeGreaterThanOrEqual(report.drained);
    expect(receiver.delivered() + report.saved).toBe(count);
    expect(existsSync(join(dataDir, QUEUED_DELIVERIES_FILE))).toBe(true);

    const second = await startLocalService({ port: 0, quiet: true, dataDir, queue: { concurrency: 4, pollWaitSeconds: 1 } });
    services.push(second);
    expect(second.restoredDeliveries).toBe(report.saved);
    expect(existsSync(join(dataDir, QUEUED_DELIVERIES_FILE))).toBe(false);
    await waitFor(() => receiver.delivered() === count, 15_000);
    const again = await second.stop({ drainSeconds: 2 });
    services.splice(0);
    expect(again).toMatchObject({ saved: 0, dropped: 0 });
    expectExactlyOnce(receiver.posts, count);
  });

  it('finds every message left in the queue for saving, also one a receive took invisible and no one holds', async () => {
    // What an aborted ReceiveMessage leaves: the emulator answered, the poller never saw it.
    const fauxqs = await startFauxqs();
    const sqs = new SQSClient({ endpoint: fauxqs.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
    try {
      const { queueUrl } = await createDeliveryQueues(sqs, { queue: 'q', deadLetterQueue: 'q-dlq' }, { visibilityTimeoutSeconds: 300, maxReceiveCount: 5, dlqRetentionDays: 1 });
      for (const body of ['held by no one', 'still ready']) await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
      const taken = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 1 }));
      expect(taken.Messages).toHaveLength(1);
      expect((await queuedMessages(fauxqs.endpoint, 'q')).map((m) => m.body).sort()).toEqual(['held by no one', 'still ready']);
      // Inspecting takes nothing: the ready one is still there for a receive.
      expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl }))).Messages?.map((m) => m.Body)).toEqual([
        expect.stringMatching(/^(held by no one|still ready)$/),
      ]);
    } finally {
      sqs.destroy();
      await fauxqs.stop();
    }
  });

  it('stop() without a data directory drops what is left and says so', async () => {
    const receiver = await slowReceiver(200);
    const service = await startLocalService({ port: 0, quiet: true, queue: { concurrency: 1, batchSize: 1, pollWaitSeconds: 1 } });
    services.push(service);
    await publishMany(service.url, service.apiKey, receiver.url, 10);
    const report = await service.stop();
    services.splice(0);
    expect(report.saved).toBe(0);
    expect(report.dropped).toBeGreaterThan(0);
    expect(receiver.delivered() + report.dropped).toBe(10);
    expect(formatStopReport(report)).toMatch(new RegExp(`^stopped: drained ${report.drained} queued deliver(y|ies), dropped ${report.dropped} \\(no data directory\\)$`));
    expect(formatStopReport({ drained: 140, saved: 10, dropped: 0, restored: 0 })).toBe('stopped: drained 140 queued deliveries, saved 10 for the next start');
  });

  it('SIGTERM: the CLI drains, prints the counts, saves the rest; the next start delivers it, exactly once', async () => {
    const dataDir = await tempDir();
    const receiver = await slowReceiver(2_000, 10);
    const count = 100;
    const first = await startCli(process.execPath, ['--import', 'tsx', 'local/start.ts', '--data-dir', dataDir], { LOCAL_DRAIN_SECONDS: '1' });
    await publishMany(first.url, first.key, receiver.url, count);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    const line = stopLine(first.output());
    expect(line, first.output()).not.toBeNull();
    const drained = Number(line![1]);
    const saved = Number(line![2] ?? 0);
    expect(line![3]).toBeUndefined();
    expect(saved).toBeGreaterThan(0);
    expect(receiver.delivered()).toBeGreaterThanOrEqual(drained);
    expect(receiver.delivered() + saved).toBe(count);

    const second = await startCli(process.execPath, ['--import', 'tsx', 'local/start.ts', '--data-dir', dataDir], { LOCAL_DRAIN_SECONDS: '5' });
    expect(second.output()).toContain(`queued:  ${saved} deliveries saved by the last run`);
    await waitFor(() => receiver.delivered() === count, 15_000);
    second.child.kill('SIGINT');
    expect(await second.exited).toBe(0);
    expect(second.output()).toMatch(/stopped: drained \d+ queued deliver(y|ies)\n/);
    expectExactlyOnce(receiver.posts, count);
  });

  it('SIGTERM to the `npm start` process stops the service: port closed, no process left', async () => {
    const cli = await startCli('npm', ['start', '--silent'], {});
    const descendants = descendantsOf(cli.child.pid!);
    expect(descendants.length).toBeGreaterThan(0);
    expect((await fetch(`${cli.url}/health`)).status).toBe(200);
    cli.child.kill('SIGTERM');
    await cli.exited;
    await waitFor(() => descendants.every((pid) => !alive(pid)), 5_000);
    await expect(fetch(`${cli.url}/health`)).rejects.toThrow();
    expect(cli.output()).toContain('stopped: drained 0 queued deliveries');
  });
});

/** Every process below `pid`, from `ps`. */
function descendantsOf(pid: number): number[] {
  const rows = execFileSync('ps', ['-e', '-o', 'pid=,ppid='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/).map(Number) as [number, number]);
  const out: number[] = [];
  const walk = (parent: number) => {
    for (const [child, ppid] of rows) {
      if (ppid === parent) {
        out.push(child);
        walk(child);
      }
    }
  };
  walk(pid);
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
