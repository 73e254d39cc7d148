import { SendMessageBatchCommand, type SendMessageBatchRequestEntry, type SQSClient } from '@aws-sdk/client-sqs';
import pMap from 'p-map';
import { DeliveryQueueError } from '../errors.ts';
import type { DeliveryGroup } from '../delivery/model.ts';
import { encodeDeliveryGroup } from '../delivery/queue-message.ts';
import type { DeliveryQueue } from '../publish/model.ts';

/** SQS limits: ten entries and 256 KiB of bodies per SendMessageBatch. */
const MAX_BATCH_ENTRIES = 10;
const MAX_BATCH_BYTES = 256 * 1024;
/** Attempts per batch for the entries SQS reports as failed for its own reasons (throttling, transient errors). */
const MAX_ATTEMPTS = 5;

/** SQS adapter of the delivery queue: batched, in parallel with a bound, entries SQS failed on its side resent. */
export class SqsDeliveryQueue implements DeliveryQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
    private readonly concurrency: number,
  ) {}

  async sendAll(groups: readonly DeliveryGroup[]): Promise<void> {
    const batches = packBatches(groups.map(encodeDeliveryGroup));
    await pMap(batches, (batch) => this.sendBatch(batch), { concurrency: this.concurrency });
  }

  private async sendBatch(bodies: string[]): Promise<void> {
    let pending: SendMessageBatchRequestEntry[] = bodies.map((MessageBody, i) => ({ Id: String(i), MessageBody }));
    for (let attempt = 1; ; attempt++) {
      const out = await this.sqs.send(new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: pending }));
      const failed = out.Failed ?? [];
      // A sender fault (invalid contents, too large) fails the same way every time: not retried.
      if (failed.some((f) => f.SenderFault)) {
        throw new DeliveryQueueError('the message could not be queued: the queue refused its contents');
      }
      const retry = new Set(failed.map((f) => f.Id));
      pending = pending.filter((e) => retry.has(e.Id));
      if (pending.length === 0) return;
      if (attempt >= MAX_ATTEMPTS) {
        throw new DeliveryQueueError('the message could not be queued for every webhook; publish again');
      }
      await new Promise((r) => setTimeout(r, 20 * 2 ** attempt));
    }
  }
}

/** Groups message bodies into SendMessageBatch calls within the entry and byte limits. */
export function packBatches(bodies: readonly string[]): string[][] {
  const batches: string[][] = [];
  let current: string[] = [];
  let bytes = 0;
  for (const body of bodies) {
    const size = Buffer.byteLength(body, 'utf8');
    if (current.length > 0 && (current.length === MAX_BATCH_ENTRIES || bytes + size > MAX_BATCH_BYTES)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(body);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
