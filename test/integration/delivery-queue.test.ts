import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SQSClient,
  type SendMessageBatchCommandInput,
  type SendMessageBatchCommandOutput,
} from '@aws-sdk/client-sqs';
import { createDeliveryQueues, startFauxqs, type RunningEmulator } from '#local/emulators.ts';
import { SqsDeliveryQueue } from '#shared/queue/delivery-queue.ts';
import { InternalServerError } from '#shared/errors.ts';
import { decodeDeliveryGroup } from '#shared/delivery/queue-message.ts';
import type { DeliveryGroup } from '#shared/delivery/model.ts';

/**
 * Publish's fan-out sender against fauxqs. fauxqs never fails a batch entry, so a middleware on
 * the real client (fault injection: SQS itself cannot be made to throttle here) holds back
 * chosen entries and reports them in `Failed`, as SQS does under throttling.
 */
let fauxqs: RunningEmulator;
let queueUrl: string;
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

/** A client whose SendMessageBatch reports the first entry of each call as failed, `failures` times. */
function flakyClient(failures: number): SQSClient {
  const client = new SQSClient({ endpoint: fauxqs.endpoint, region: 'us-east-1', credentials });
  let left = failures;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'SendMessageBatchCommand' || left <= 0) return next(args);
      left--;
      const input = args.input as SendMessageBatchCommandInput;
      const [held, ...sent] = input.Entries ?? [];
      const result =
        sent.length > 0
          ? await next({ ...args, input: { ...input, Entries: sent } })
          : { output: { Successful: [], Failed: [], $metadata: {} }, response: {} };
      const output = result.output as SendMessageBatchCommandOutput;
      output.Failed = [...(output.Failed ?? []), { Id: held!.Id, SenderFault: false, Code: 'ThrottlingException' }];
      return result;
    },
    { step: 'initialize', name: 'failFirstEntry' },
  );
  return client;
}

const task = (i: number): DeliveryGroup => ({
  cacheName: 'c',
  topicName: 't',
  sequenceNumber: 1,
  eventTimestamp: 1,
  tokenId: '',
  text: 'hi',
  group: i,
  webhooks: [{ webhookName: `w${i}`, webhookId: `id-${i}` }],
});

async function drain(sqs: SQSClient): Promise<string[]> {
  const names: string[] = [];
  for (;;) {
    const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }));
    if (!out.Messages?.length) return names;
    names.push(...out.Messages.map((m) => decodeDeliveryGroup(m.Body!).webhooks[0]!.webhookName));
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: out.Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
      }),
    );
  }
}

beforeAll(async () => {
  fauxqs = await startFauxqs();
  const sqs = new SQSClient({ endpoint: fauxqs.endpoint, region: 'us-east-1', credentials });
  ({ queueUrl } = await createDeliveryQueues(sqs, { queue: 'fanout', deadLetterQueue: 'fanout-dlq' }, {
    visibilityTimeoutSeconds: 30,
    maxReceiveCount: 3,
    dlqRetentionDays: 1,
  }));
});

afterAll(async () => {
  await fauxqs?.stop();
});

describe('DeliveryQueue (fault injection on the SQS client: SQS cannot be made to throttle here)', () => {
  it('resends the entries a batch reports as failed, so every task is queued exactly once', async () => {
    const sqs = flakyClient(4);
    const tasks = Array.from({ length: 25 }, (_, i) => task(i));
    await new SqsDeliveryQueue(sqs, queueUrl, 3).sendAll(tasks);
    expect((await drain(sqs)).sort()).toEqual(tasks.map((t) => t.webhooks[0]!.webhookName).sort());
  });

  it('fails the publish (500) when entries are still refused after its retries, rather than losing them silently', async () => {
    const sqs = flakyClient(1_000);
    const send = new SqsDeliveryQueue(sqs, queueUrl, 2).sendAll([task(1), task(2)]);
    await expect(send).rejects.toBeInstanceOf(InternalServerError);
    await drain(sqs);
  });
});
