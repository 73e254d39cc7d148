import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type Message,
  type MessageAttributeValue,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSMessageAttributes, SQSRecord, SQSRecordAttributes } from 'aws-lambda';
import { DELIVERY_QUEUE_DEFAULTS } from '#shared/queue-settings.ts';
import { lambdaContext } from './lambda-context.ts';

/** An SQS-triggered handler, as the delivery function exports it. */
export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void | undefined>;

export interface QueuePollerOptions {
  sqs: SQSClient;
  queueUrl: string;
  /** The function the records are handed to. */
  handler: SqsHandler;
  /** The queue's ARN (`eventSourceARN`); read from the queue when omitted. */
  queueArn?: string;
  /** @default the SQS client's region */
  region?: string;
  /** @default 'deliver-messages' */
  functionName?: string;
  /** What `getRemainingTimeInMillis` starts from; not enforced. @default DELIVERY_QUEUE_DEFAULTS.functionTimeoutSeconds */
  functionTimeoutSeconds?: number;
  /** Records per invocation (the event source's `batchSize`). @default DELIVERY_QUEUE_DEFAULTS.batchSize */
  batchSize?: number;
  /** How long to gather a batch after its first record (`maxBatchingWindow`). @default DELIVERY_QUEUE_DEFAULTS.maxBatchingWindowSeconds */
  maxBatchingWindowSeconds?: number;
  /** Long-poll wait of each ReceiveMessage (0–20). @default 20, as the Lambda pollers use */
  pollWaitSeconds?: number;
  /** Invocations in flight at once (Lambda scales its pollers; two keep local mode close to that). @default 2 */
  concurrency?: number;
  /** Told about failures of the poller itself and of invocations (which leave their records). */
  onError?: (error: unknown, stage: 'receive' | 'invoke' | 'delete') => void;
}

/** SQS's limit per ReceiveMessage and per batch call. */
const SQS_MAX_BATCH = 10;
/** Wait before polling again after a failed receive, so a dead emulator is not hammered. */
const RECEIVE_RETRY_MS = 1_000;

/**
 * Local mode's SQS event source mapping: long-polls a queue and invokes a handler with
 * the Lambda event source's semantics.
 * - Up to `batchSize` records per invocation, gathered from ReceiveMessage calls of at most
 *   ten until the batch is full or the batching window (counted from the first record) ends.
 * - Records shaped as Lambda sends them (`attributes` with `ApproximateReceiveCount` etc.).
 * - After the invocation, the records not listed in `batchItemFailures` are deleted; the
 *   listed ones are left to reappear after the visibility timeout, and the queue's redrive
 *   policy moves them to the dead-letter queue after `maxReceiveCount` receives. A handler
 *   that throws, or reports an identifier that is not in the batch, leaves the whole batch.
 * - `concurrency` workers poll and invoke independently.
 * Not reproduced: Lambda's timeout (an invocation runs to completion) and scaling.
 */
export class QueuePoller {
  private readonly options: Required<Omit<QueuePollerOptions, 'queueArn' | 'region' | 'onError'>> &
    Pick<QueuePollerOptions, 'onError'>;
  private queueArn: string | undefined;
  private region: string | undefined;
  private running = false;
  private workers: Promise<void>[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly receives = new Set<AbortController>();
  private paused: { promise: Promise<void>; resume: () => void } | undefined;
  /** Wakes workers waiting at the pause gate or backing off when `stop` is called. */
  private stopSignal = new AbortController();
  /**
   * Messages received and not deleted (held, in flight, or left by an invocation to the
   * visibility timeout), by id, with their latest receipt handle.
   */
  private readonly unsettled = new Map<string, Message>();
  private keepOnStop = false;
  private deletedCount = 0;

  /** Records deleted after a successful invocation (delivered or settled by the handler) since construction. */
  get delivered(): number {
    return this.deletedCount;
  }

  constructor(options: QueuePollerOptions) {
    const batchSize = options.batchSize ?? DELIVERY_QUEUE_DEFAULTS.batchSize;
    const pollWaitSeconds = options.pollWaitSeconds ?? 20;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error('batchSize must be a positive integer');
    if (!Number.isInteger(pollWaitSeconds) || pollWaitSeconds < 0 || pollWaitSeconds > 20) {
      throw new Error('pollWaitSeconds must be an integer from 0 to 20');
    }
    this.options = {
      sqs: options.sqs,
      queueUrl: options.queueUrl,
      handler: options.handler,
      functionName: options.functionName ?? 'deliver-messages',
      functionTimeoutSeconds: options.functionTimeoutSeconds ?? DELIVERY_QUEUE_DEFAULTS.functionTimeoutSeconds,
      batchSize,
      maxBatchingWindowSeconds: options.maxBatchingWindowSeconds ?? DELIVERY_QUEUE_DEFAULTS.maxBatchingWindowSeconds,
      pollWaitSeconds,
      concurrency: Math.max(1, options.concurrency ?? 2),
      onError: options.onError,
    };
    this.queueArn = options.queueArn;
    this.region = options.region;
  }

  /** Starts polling (after reading the queue's ARN and the client's region when not given). */
  async start(): Promise<void> {
    if (this.running) return;
    if (!this.queueArn) {
      const out = await this.options.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: this.options.queueUrl, AttributeNames: ['QueueArn'] }),
      );
      this.queueArn = out.Attributes?.QueueArn;
      if (!this.queueArn) throw new Error('the queue has no QueueArn attribute');
    }
    this.region ??= await this.options.sqs.config.region();
    this.running = true;
    this.stopSignal = new AbortController();
    this.workers = Array.from({ length: this.options.concurrency }, () => this.work());
  }

  /**
   * Stops starting invocations and resolves once those in flight have finished. Records
   * received meanwhile are held (still invisible) and handed over after `resume`.
   */
  async pause(): Promise<void> {
    if (!this.paused) {
      let resume!: () => void;
      const promise = new Promise<void>((r) => (resume = r));
      this.paused = { promise, resume };
    }
    await Promise.allSettled([...this.inFlight]);
  }

  /** Lets invocations start again after `pause`. */
  resume(): void {
    const paused = this.paused;
    this.paused = undefined;
    paused?.resume();
  }

  /**
   * Stops polling and waits for the invocations in flight. Pending long polls are aborted;
   * records received but not yet handed over, and records invocations left to the visibility
   * timeout, are made visible again — or, with `keepUnsettled`, left invisible and kept for
   * `takeUnsettled()` (local mode leaves them so, and saves them from the queue's state: made
   * visible again, they would cost a call each and could be taken by a long poll the emulator
   * still serves after its client aborted it). A message the queue hands to a poll
   * at the very moment it is aborted stays invisible until its visibility timeout, as it would
   * on SQS, and is in no one's hands: local mode's stop finds it in the queue's own state.
   */
  async stop(options: { keepUnsettled?: boolean } = {}): Promise<void> {
    if (!this.running) return;
    this.keepOnStop = options.keepUnsettled ?? false;
    this.running = false;
    this.stopSignal.abort();
    for (const c of this.receives) c.abort();
    this.resume();
    await Promise.allSettled(this.workers);
    await Promise.allSettled([...this.inFlight]);
    this.workers = [];
    if (!this.keepOnStop) await this.release(this.takeUnsettled());
  }

  /** The messages received and not deleted (see `stop`); forgets them. */
  takeUnsettled(): Message[] {
    const messages = [...this.unsettled.values()];
    this.unsettled.clear();
    return messages;
  }

  private async work(): Promise<void> {
    while (this.running) {
      const gate = this.pauseGate();
      if (gate) {
        await this.unlessStopped(gate);
        continue;
      }
      const messages = await this.gather();
      if (messages.length === 0) continue;
      // Paused while gathering: hold the records (invisible) until resumed.
      for (let g = this.pauseGate(); g && this.running; g = this.pauseGate()) await this.unlessStopped(g);
      if (!this.running) {
        if (!this.keepOnStop) {
          for (const m of messages) if (m.MessageId) this.unsettled.delete(m.MessageId);
          await this.release(messages);
        }
        return;
      }
      // Registered synchronously after the pause check, so `pause()` always sees it.
      const invocation = this.invoke(messages).catch((error: unknown) => this.options.onError?.(error, 'invoke'));
      this.inFlight.add(invocation);
      await invocation;
      this.inFlight.delete(invocation);
    }
  }

  /** Resolves on `resume` while paused; `undefined` when not paused. */
  private pauseGate(): Promise<void> | undefined {
    return this.paused?.promise;
  }

  /** Resolves with `p`, or as soon as `stop` is called. */
  private unlessStopped(p: Promise<void>): Promise<void> {
    const signal = this.stopSignal.signal;
    if (signal.aborted) return Promise.resolve();
    let onAbort!: () => void;
    const stopped = new Promise<void>((r) => (onAbort = r));
    signal.addEventListener('abort', onAbort, { once: true });
    return Promise.race([p, stopped]).finally(() => signal.removeEventListener('abort', onAbort));
  }

  /** One batch: up to `batchSize` messages, within the batching window after the first. */
  private async gather(): Promise<Message[]> {
    const { batchSize, maxBatchingWindowSeconds, pollWaitSeconds } = this.options;
    const messages: Message[] = [];
    let windowEnds: number | undefined;
    while (this.running && messages.length < batchSize) {
      let wait = pollWaitSeconds;
      if (windowEnds !== undefined) {
        const left = windowEnds - Date.now();
        if (left <= 0) break;
        // WaitTimeSeconds is whole seconds; below one, poll without waiting and pause briefly.
        wait = Math.min(pollWaitSeconds, Math.floor(left / 1000));
      }
      const received = await this.receive(Math.min(SQS_MAX_BATCH, batchSize - messages.length), wait);
      if (received === undefined) break;
      messages.push(...received);
      if (messages.length === 0) {
        if (this.paused) break;
        // Without long polling, an empty queue would otherwise be polled in a tight loop.
        if (wait === 0) await this.unlessStopped(sleep(100));
        continue;
      }
      if (maxBatchingWindowSeconds <= 0 || this.paused) break;
      windowEnds ??= Date.now() + maxBatchingWindowSeconds * 1000;
      if (received.length === 0 && wait === 0) await sleep(Math.min(100, Math.max(0, windowEnds - Date.now())));
    }
    return messages;
  }

  /** One ReceiveMessage; `undefined` when stopping, `[]` after a failure (logged, backed off). */
  private async receive(max: number, waitSeconds: number): Promise<Message[] | undefined> {
    const abort = new AbortController();
    this.receives.add(abort);
    try {
      const out = await this.options.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: this.options.queueUrl,
          MaxNumberOfMessages: max,
          WaitTimeSeconds: waitSeconds,
          AttributeNames: ['All'],
          MessageSystemAttributeNames: ['All'],
          MessageAttributeNames: ['All'],
        }),
        { abortSignal: abort.signal },
      );
      const messages = out.Messages ?? [];
      for (const m of messages) if (m.MessageId) this.unsettled.set(m.MessageId, m);
      return messages;
    } catch (error) {
      if (!this.running) return undefined;
      this.options.onError?.(error, 'receive');
      await this.unlessStopped(sleep(RECEIVE_RETRY_MS));
      return this.running ? [] : undefined;
    } finally {
      this.receives.delete(abort);
    }
  }

  private async invoke(messages: Message[]): Promise<void> {
    const records = messages.map((m) => this.toRecord(m));
    let response: SQSBatchResponse | void | undefined;
    try {
      response = await this.options.handler(
        { Records: records },
        lambdaContext({
          functionName: this.options.functionName,
          timeoutMs: this.options.functionTimeoutSeconds * 1000,
          region: this.region ?? 'us-east-1',
        }),
      );
    } catch (error) {
      // As Lambda: a failed invocation leaves the whole batch to the visibility timeout.
      this.options.onError?.(error, 'invoke');
      return;
    }
    const failed = failedIds(response, records);
    if (failed === 'all') {
      this.options.onError?.(new Error('batchItemFailures named a record not in the batch'), 'invoke');
      return;
    }
    await this.delete(records.filter((r) => !failed.has(r.messageId)));
  }

  private async delete(records: SQSRecord[]): Promise<void> {
    for (let i = 0; i < records.length; i += SQS_MAX_BATCH) {
      const chunk = records.slice(i, i + SQS_MAX_BATCH);
      try {
        const out = await this.options.sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: this.options.queueUrl,
            Entries: chunk.map((r, j) => ({ Id: String(j), ReceiptHandle: r.receiptHandle })),
          }),
        );
        this.deletedCount += out.Successful?.length ?? 0;
        for (const ok of out.Successful ?? []) this.unsettled.delete(chunk[Number(ok.Id)]?.messageId ?? '');
        if (out.Failed?.length) {
          this.options.onError?.(new Error(`${out.Failed.length} records could not be deleted`), 'delete');
        }
      } catch (error) {
        this.options.onError?.(error, 'delete');
      }
    }
  }

  /** Makes held messages visible again, best effort (used when stopping). */
  private async release(messages: Pick<Message, 'MessageId' | 'ReceiptHandle'>[]): Promise<void> {
    for (let i = 0; i < messages.length; i += SQS_MAX_BATCH) {
      const chunk = messages.slice(i, i + SQS_MAX_BATCH);
      try {
        await this.options.sqs.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: this.options.queueUrl,
            Entries: chunk.map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 })),
          }),
        );
      } catch {
        // The queue may be gone already; the visibility timeout returns them anyway.
      }
    }
  }

  /** A received message as the Lambda event source hands it over. */
  private toRecord(m: Message): SQSRecord {
    const a = m.Attributes ?? {};
    const attributes: SQSRecordAttributes = {
      ApproximateReceiveCount: a.ApproximateReceiveCount ?? '1',
      SentTimestamp: a.SentTimestamp ?? String(Date.now()),
      SenderId: a.SenderId ?? '',
      ApproximateFirstReceiveTimestamp: a.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    };
    for (const name of ['AWSTraceHeader', 'SequenceNumber', 'MessageGroupId', 'MessageDeduplicationId', 'DeadLetterQueueSourceArn'] as const) {
      if (a[name] !== undefined) attributes[name] = a[name];
    }
    const record: SQSRecord = {
      messageId: m.MessageId ?? '',
      receiptHandle: m.ReceiptHandle ?? '',
      body: m.Body ?? '',
      attributes,
      messageAttributes: messageAttributesOf(m.MessageAttributes),
      md5OfBody: m.MD5OfBody ?? '',
      eventSource: 'aws:sqs',
      eventSourceARN: this.queueArn ?? '',
      awsRegion: this.region ?? 'us-east-1',
    };
    if (m.MD5OfMessageAttributes) record.md5OfMessageAttributes = m.MD5OfMessageAttributes;
    return record;
  }
}

/** Message attributes in the event's shape: lower-camel keys, binary values base64. */
function messageAttributesOf(attributes: Record<string, MessageAttributeValue> | undefined): SQSMessageAttributes {
  const out: SQSMessageAttributes = {};
  for (const [name, v] of Object.entries(attributes ?? {})) {
    const attribute: SQSMessageAttributes[string] = {
      stringListValues: v.StringListValues ?? [],
      binaryListValues: (v.BinaryListValues ?? []).map((b) => Buffer.from(b).toString('base64')),
      dataType: v.DataType ?? 'String',
    };
    if (v.StringValue !== undefined) attribute.stringValue = v.StringValue;
    if (v.BinaryValue !== undefined) attribute.binaryValue = Buffer.from(v.BinaryValue).toString('base64');
    out[name] = attribute;
  }
  return out;
}

/** The ids a response reports as failed, or `'all'` when it names a record not in the batch (Lambda then retries the batch). */
function failedIds(response: SQSBatchResponse | void | undefined, records: SQSRecord[]): Set<string> | 'all' {
  const failures = response?.batchItemFailures ?? [];
  const ids = new Set(records.map((r) => r.messageId));
  const failed = new Set<string>();
  for (const f of failures) {
    if (typeof f?.itemIdentifier !== 'string' || !ids.has(f.itemIdentifier)) return 'all';
    failed.add(f.itemIdentifier);
  }
  return failed;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
