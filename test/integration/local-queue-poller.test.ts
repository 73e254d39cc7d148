import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
  type SendMessageBatchRequestEntry,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { createDeliveryQueues, startFauxqs, type DeliveryQueues, type RunningEmulator } from '#local/emulators.ts';
import { QueuePoller, type QueuePollerOptions, type SqsHandler } from '#local/queue-poller.ts';
import { settle } from '../helpers/receiver.ts';

/**
 * Local mode's SQS event source against a real fauxqs, with a fake delivery handler: batch
 * composition, deletion of successes, batch-item failures returning after the visibility
 * timeout and reaching the dead-letter queue, pause and stop.
 */
let fauxqs: RunningEmulator;
let sqs: SQSClient;
const pollers: QueuePoller[] = [];
let counter = 0;

beforeAll(async () => {
  fauxqs = await startFauxqs();
  sqs = new SQSClient({
    region: 'us-east-1',
    endpoint: fauxqs.endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});

afterEach(async () => {
  await Promise.all(pollers.splice(0).map((p) => p.stop()));
});

afterAll(async () => {
  sqs?.destroy();
  await fauxqs?.stop();
});

async function queues(settings: { visibilityTimeoutSeconds?: number; maxReceiveCount?: number } = {}): Promise<DeliveryQueues> {
  const n = ++counter;
  return createDeliveryQueues(
    sqs,
    { queue: `q${n}`, deadLetterQueue: `q${n}-dlq` },
    { visibilityTimeoutSeconds: settings.visibilityTimeoutSeconds ?? 1, maxReceiveCount: settings.maxReceiveCount ?? 5, dlqRetentionDays: 1 },
  );
}

/** Sends bodies in batches of ten; returns the message ids by body. */
async function sendAll(queueUrl: string, entries: (string | SendMessageBatchRequestEntry)[]): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  for (let i = 0; i < entries.length; i += 10) {
    const chunk = entries
      .slice(i, i + 10)
      .map((e, j) => (typeof e === 'string' ? { Id: String(j), MessageBody: e } : { ...e, Id: String(j) }));
    const out = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: chunk }));
    expect(out.Failed ?? []).toEqual([]);
    for (const s of out.Successful ?? []) ids.set(chunk[Number(s.Id)]!.MessageBody!, s.MessageId!);
  }
  return ids;
}

/** A fake delivery function: records every invocation and answers what `respond` says. */
function fakeHandler(respond: (records: SQSRecord[], invocation: number) => Promise<SQSBatchResponse | void> | SQSBatchResponse | void = () => ({ batchItemFailures: [] })) {
  const invocations: SQSRecord[][] = [];
  const handler: SqsHandler = async (event: SQSEvent) => {
    invocations.push(event.Records);
    return respond(event.Records, invocations.length);
  };
  const seen = () => invocations.flat().map((r) => [r.body, r.attributes.ApproximateReceiveCount] as const);
  return { handler, invocations, seen };
}

async function startPoller(q: DeliveryQueues, options: Partial<QueuePollerOptions> & { handler: SqsHandler }): Promise<QueuePoller> {
  const poller = new QueuePoller({ sqs, queueUrl: q.queueUrl, pollWaitSeconds: 1, concurrency: 1, ...options });
  pollers.push(poller);
  await poller.start();
  return poller;
}

async function waitUntil(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await settle(20);
  }
}

async function depth(queueUrl: string): Promise<{ visible: number; inFlight: number }> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    visible: Number(out.Attributes?.ApproximateNumberOfMessages),
    inFlight: Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible),
  };
}

const empty = async (queueUrl: string) => {
  const d = await depth(queueUrl);
  return d.visible === 0 && d.inFlight === 0;
};

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

describe('queue poller', () => {
  it('hands records over as Lambda does and deletes the successes', async () => {
    const q = await queues({ visibilityTimeoutSeconds: 1 });
    const ids = await sendAll(q.queueUrl, [
      {
        Id: 'x',
        MessageBody: 'héllo',
        MessageAttributes: {
          kind: { DataType: 'String', StringValue: 'greeting' },
          blob: { DataType: 'Binary', BinaryValue: Uint8Array.from([0, 255, 1]) },
        },
      },
      'two',
      'three',
    ]);
    const fake = fakeHandler();
    await startPoller(q, { handler: fake.handler });
    await waitUntil('three records arrived', () => fake.seen().length === 3);
    await waitUntil('the queue is empty', () => empty(q.queueUrl));

    expect(fake.invocations).toHaveLength(1);
    const first = fake.invocations[0]!.find((r) => r.body === 'héllo');
    expect(first).toEqual({
      messageId: ids.get('héllo'),
      receiptHandle: expect.stringMatching(/.+/),
      body: 'héllo',
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: expect.stringMatching(/^\d{13}$/),
        SenderId: expect.stringMatching(/.+/),
        ApproximateFirstReceiveTimestamp: expect.stringMatching(/^\d{13}$/),
      },
      messageAttributes: {
        kind: { dataType: 'String', stringValue: 'greeting', stringListValues: [], binaryListValues: [] },
        blob: { dataType: 'Binary', binaryValue: 'AP8B', stringListValues: [], binaryListValues: [] },
      },
      md5OfBody: md5('héllo'),
      md5OfMessageAttributes: expect.stringMatching(/^[0-9a-f]{32}$/),
      eventSource: 'aws:sqs',
      eventSourceARN: q.queueArn,
      awsRegion: 'us-east-1',
    });

    // Deleted, not merely in flight: nothing returns after the visibility timeout.
    await settle(1_500);
    expect(fake.seen().sort()).toEqual([['héllo', '1'], ['three', '1'], ['two', '1']]);
  });

  it('returns batch-item failures after the visibility timeout and moves them to the DLQ after maxReceiveCount', async () => {
    const q = await queues({ visibilityTimeoutSeconds: 1, maxReceiveCount: 2 });
    await sendAll(q.queueUrl, ['ok', 'bad']);
    const fake = fakeHandler((records) => ({
      batchItemFailures: records.filter((r) => r.body === 'bad').map((r) => ({ itemIdentifier: r.messageId })),
    }));
    await startPoller(q, { handler: fake.handler });

    const dead: string[] = [];
    await waitUntil('the failing record reached the DLQ', async () => {
      const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: q.dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
      dead.push(...(out.Messages ?? []).map((m) => m.Body!));
      return dead.length > 0;
    });
    expect(dead).toEqual(['bad']);
    await waitUntil('the main queue is empty', () => empty(q.queueUrl));
    expect(fake.seen()).toEqual([
      ['ok', '1'],
      ['bad', '1'],
      ['bad', '2'],
    ]);
  });

  describe.each([
    ['throws', () => Promise.reject(new Error('crash'))],
    ['names a record not in the batch', () => ({ batchItemFailures: [{ itemIdentifier: 'not-in-this-batch' }] })],
  ] as const)('an invocation that %s', (_, failure) => {
    it('leaves the whole batch to come back', async () => {
      const q = await queues({ visibilityTimeoutSeconds: 1, maxReceiveCount: 5 });
      await sendAll(q.queueUrl, ['a', 'b']);
      const errors: string[] = [];
      const fake = fakeHandler((_records, n) => (n === 1 ? failure() : { batchItemFailures: [] }));
      await startPoller(q, { handler: fake.handler, onError: (_e, stage) => errors.push(stage) });
      await waitUntil('two invocations', () => fake.invocations.length >= 2);
      await waitUntil('the queue is empty', () => empty(q.queueUrl));
      expect(fake.invocations.map((records) => records.map((r) => [r.body, r.attributes.ApproximateReceiveCount]))).toEqual([
        [['a', '1'], ['b', '1']],
        [['a', '2'], ['b', '2']],
      ]);
      expect(errors).toEqual(['invoke']);
    });
  });

  it('never hands over more than batchSize records', async () => {
    const q = await queues({ visibilityTimeoutSeconds: 30 });
    await sendAll(q.queueUrl, ['1', '2', '3', '4', '5', '6', '7']);
    const fake = fakeHandler();
    await startPoller(q, { handler: fake.handler, batchSize: 3 });
    await waitUntil('seven records', () => fake.seen().length === 7);
    expect(fake.invocations.map((r) => r.length)).toEqual([3, 3, 1]);
    await waitUntil('the queue is empty', () => empty(q.queueUrl));
  });

  it('gathers a batch larger than one receive within the batching window', async () => {
    const q = await queues({ visibilityTimeoutSeconds: 30 });
    const bodies = Array.from({ length: 12 }, (_, i) => `m${i}`);
    await sendAll(q.queueUrl, bodies);
    const fake = fakeHandler();
    await startPoller(q, { handler: fake.handler, batchSize: 15, maxBatchingWindowSeconds: 1 });
    await waitUntil('twelve records', () => fake.seen().length === 12);
    expect(fake.invocations.map((r) => r.length)).toEqual([12]);
    expect(fake.invocations[0]!.map((r) => r.body).sort()).toEqual([...bodies].sort());
  });

  it('holds deliveries while paused and hands them over on resume', async () => {
    const q = await queues({ visibilityTimeoutSeconds: 30 });
    const fake = fakeHandler();
    const poller = await startPoller(q, { handler: fake.handler, concurrency: 2 });
    await sendAll(q.queueUrl, ['before']);
    await waitUntil('the first record', () => fake.seen().length === 1);

    await poller.pause();
    await sendAll(q.queueUrl, ['during']);
    await settle(1_500);
    expect(fake.seen()).toEqual([['before', '1']]);

    poller.resume();
    await waitUntil('the held record', () => fake.seen().length === 2);
    expect(fake.seen()).toEqual([
      ['before', '1'],
      ['during', '1'],
    ]);
  });

  it('waits for the invocation in flight when stopping, and still deletes its records', async () => {
    const q = await queues({ visibilityTimeoutSeconds: 30 });
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const events: string[] = [];
    const fake = fakeHandler(async () => {
      events.push('handler started');
      await released;
      events.push('handler finished');
      return { batchItemFailures: [] };
    });
    const poller = await startPoller(q, { handler: fake.handler, pollWaitSeconds: 20 });
    await sendAll(q.queueUrl, ['slow']);
    await waitUntil('the handler started', () => events.length === 1);

    const stopped = poller.stop().then(() => events.push('stopped'));
    await settle(200);
    expect(events).toEqual(['handler started']);
    release();
    await stopped;
    expect(events).toEqual(['handler started', 'handler finished', 'stopped']);
    expect(await depth(q.queueUrl)).toEqual({ visible: 0, inFlight: 0 });
    expect(poller.delivered).toBe(1);
  });

  it('counts only the records it deleted as delivered', async () => {
    const q = await queues({ visibilityTimeoutSeconds: 60 });
    const fake = fakeHandler((records) => ({
      batchItemFailures: records.filter((r) => r.body.startsWith('fail')).map((r) => ({ itemIdentifier: r.messageId })),
    }));
    const poller = await startPoller(q, { handler: fake.handler, batchSize: 10, maxBatchingWindowSeconds: 0 });
    await sendAll(q.queueUrl, ['ok-1', 'fail-1', 'ok-2', 'fail-2']);
    await waitUntil('every record was handed over', () => fake.seen().length === 4);
    await waitUntil('the successes were deleted', () => poller.delivered === 2);
    expect(await depth(q.queueUrl)).toEqual({ visible: 0, inFlight: 2 });
    await poller.stop();
    expect(poller.delivered).toBe(2);
  });

  it('keeps what it has not settled, invisible, for takeUnsettled with keepUnsettled', async () => {
    const q = await queues({ visibilityTimeoutSeconds: 60 });
    const fake = fakeHandler((records) => ({ batchItemFailures: records.map((r) => ({ itemIdentifier: r.messageId })) }));
    const poller = await startPoller(q, { handler: fake.handler, batchSize: 10, maxBatchingWindowSeconds: 0 });
    const ids = await sendAll(q.queueUrl, ['a', 'b']);
    await waitUntil('both were handed over', () => fake.seen().length === 2);
    await poller.stop({ keepUnsettled: true });
    const kept = poller.takeUnsettled();
    expect(kept.map((m) => m.Body).sort()).toEqual(['a', 'b']);
    expect(kept.map((m) => m.MessageId).sort()).toEqual([...ids.values()].sort());
    expect(poller.takeUnsettled()).toEqual([]);
    expect(await depth(q.queueUrl)).toEqual({ visible: 0, inFlight: 2 });
  });
});
