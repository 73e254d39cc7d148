import { identityKey, type WebhookRecord } from '../webhooks/model.ts';
import type { CurrentWebhooks, DeliveryLedger, DeliveryOutcome, DeliveryTask, QueuedRecord, WebhookSender } from './model.ts';
import { decodeDeliveryTask } from './queue-message.ts';
import { deliveryBody } from './delivery-body.ts';
import { signDeliveryBody } from './signature.ts';

/** What happened to one record, for logs and metrics (never the secret or the message). */
export type RecordResult =
  | { recordId: string; stage: 'failed'; reason: string; task?: DeliveryTask }
  | { recordId: string; stage: 'dropped'; reason: 'webhook_deleted' | 'webhook_replaced' | 'topic_changed'; task: DeliveryTask }
  | { recordId: string; stage: 'already_claimed'; task: DeliveryTask }
  | {
      recordId: string;
      stage: 'delivered';
      task: DeliveryTask;
      outcome: DeliveryOutcome;
      claimedAt: number;
      outcomeRecorded: boolean;
    };

export interface BatchReport {
  results: RecordResult[];
  /** Records to hand back to the queue: only those that failed before their claim. */
  failedRecordIds: string[];
}

export interface DeliverDeps {
  webhooks: CurrentWebhooks;
  deliveries: DeliveryLedger;
  sender: WebhookSender;
  now: () => number;
}

/**
 * Delivers one SQS batch in named stages (Svix's worker shape): decode → read the current
 * webhooks in one batched read → per record: claim once, POST, record the outcome.
 * Only failures before a claim are retried (returned as failures); once claimed, a record is
 * done whatever the POST did, so no (message, webhook) is ever POSTed twice.
 */
export async function deliverBatch(deps: DeliverDeps, records: readonly QueuedRecord[]): Promise<BatchReport> {
  const results: RecordResult[] = [];
  const decoded: { recordId: string; task: DeliveryTask }[] = [];
  for (const record of records) {
    try {
      decoded.push({ recordId: record.recordId, task: decodeDeliveryTask(record.body) });
    } catch {
      results.push({ recordId: record.recordId, stage: 'failed', reason: 'malformed_task' });
    }
  }

  let current: Map<string, WebhookRecord>;
  try {
    const records = await deps.webhooks.getMany(decoded.map(({ task }) => task));
    current = new Map(records.map((record) => [identityKey(record), record]));
  } catch {
    for (const { recordId, task } of decoded) results.push({ recordId, stage: 'failed', reason: 'webhook_read_failed', task });
    return report(results);
  }

  const delivered = await Promise.all(
    decoded.map(async ({ recordId, task }): Promise<RecordResult> => {
      const webhook = current.get(identityKey(task));
      // The record as read now decides (§2): deleted or re-created webhooks, and webhooks moved
      // to another topic since publish, get nothing.
      if (!webhook) return { recordId, stage: 'dropped', reason: 'webhook_deleted', task };
      if (webhook.webhookId !== task.webhookId) return { recordId, stage: 'dropped', reason: 'webhook_replaced', task };
      if (webhook.topicName !== task.topicName) return { recordId, stage: 'dropped', reason: 'topic_changed', task };

      const claimedAt = deps.now();
      try {
        if (!(await deps.deliveries.claim(task, claimedAt))) return { recordId, stage: 'already_claimed', task };
      } catch {
        return { recordId, stage: 'failed', reason: 'claim_failed', task };
      }

      // Claimed: from here on the record is done, whatever happens.
      const publishTimestamp = Math.max(deps.now(), task.eventTimestamp);
      const body = deliveryBody({
        cache: task.cacheName,
        topic: task.topicName,
        eventTimestamp: task.eventTimestamp,
        publishTimestamp,
        sequenceNumber: task.sequenceNumber,
        tokenId: task.tokenId,
        text: task.text,
      });
      const outcome = await deps.sender.send({
        url: webhook.postUrl,
        body,
        signature: signDeliveryBody(body, webhook.secret),
      });
      return { recordId, stage: 'delivered', task, outcome, claimedAt, outcomeRecorded: false };
    }),
  );

  // Outcomes in one batched write for the whole batch. A failure here is logged, never retried:
  // the POSTs are made and their claims stand.
  const completed = delivered.filter((r) => r.stage === 'delivered');
  let outcomeRecorded = true;
  try {
    await deps.deliveries.recordOutcomes(completed.map((r) => ({ ...r.task, claimedAt: r.claimedAt, outcome: r.outcome })));
  } catch {
    outcomeRecorded = false;
  }
  for (const r of completed) r.outcomeRecorded = outcomeRecorded;
  return report([...results, ...delivered]);
}

function report(results: RecordResult[]): BatchReport {
  return { results, failedRecordIds: results.filter((r) => r.stage === 'failed').map((r) => r.recordId) };
}
