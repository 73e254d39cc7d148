import pMap from 'p-map';
import { identityKey, type WebhookRecord } from '../webhooks/model.ts';
import {
  attemptOf,
  type CurrentWebhooks,
  type DeliveryGroup,
  type DeliveryLedger,
  type DeliveryOutcome,
  type HistoryEntry,
  type QueuedRecord,
  type RateLimiter,
  type WebhookSender,
} from './model.ts';
import { decodeDeliveryGroup } from './queue-message.ts';
import { signedDelivery, standardWebhooksMessageId } from './signature.ts';
import { postWithinRateLimit, RateLimitSlots } from './post.ts';

/** Why a webhook of a group got nothing: the record as read at delivery time decides. */
export type DropReason = 'webhook_deleted' | 'webhook_replaced' | 'topic_changed';

/** What happened to one webhook of a claimed group. */
export type WebhookResult =
  | { webhookName: string; stage: 'dropped'; reason: DropReason }
  | { webhookName: string; stage: 'sent'; outcome: DeliveryOutcome };

/** What happened to one queued record (one group), for logs and metrics (never a secret or the text). */
export type GroupResult =
  | { recordId: string; stage: 'failed'; reason: 'malformed_task' | 'webhook_read_failed' | 'claim_failed'; group?: DeliveryGroup }
  /** Every webhook of the group was dropped: nothing to send, nothing claimed. */
  | { recordId: string; stage: 'dropped'; group: DeliveryGroup; webhooks: WebhookResult[] }
  | { recordId: string; stage: 'already_claimed'; group: DeliveryGroup }
  | { recordId: string; stage: 'claimed'; group: DeliveryGroup; webhooks: WebhookResult[] };

export interface BatchReport {
  results: GroupResult[];
  /** Records to hand back to the queue: only those that failed before their claim. */
  failedRecordIds: string[];
  /** Whether the history items of this invocation were written (false: the POSTs stand, their outcomes are lost). */
  historyRecorded: boolean;
}

export interface DeliverDeps {
  webhooks: CurrentWebhooks;
  deliveries: DeliveryLedger;
  sender: WebhookSender;
  rateLimits: RateLimiter;
  config: { deliveryPostConcurrency: number };
  now: () => number;
}

interface Post {
  group: DeliveryGroup;
  webhook: WebhookRecord;
  results: WebhookResult[];
}

/**
 * Delivers one SQS batch in named stages (Svix's worker shape): decode → read every webhook of
 * every group in one batched, consistent read → claim each group once → POST the claimed
 * groups' current webhooks, concurrently with a bound and within each webhook's rate limit →
 * write the history, one item per (webhook, invocation). Only groups that failed before their
 * claim are returned as failures; once claimed, a group is done whatever its POSTs did, so no
 * (message, webhook) is ever POSTed twice. See docs/design.md#architecture.
 */
export async function deliverBatch(
  deps: DeliverDeps,
  records: readonly QueuedRecord[],
  invocationId: string,
): Promise<BatchReport> {
  const results: GroupResult[] = [];
  const decoded: { recordId: string; group: DeliveryGroup }[] = [];
  for (const record of records) {
    try {
      decoded.push({ recordId: record.recordId, group: decodeDeliveryGroup(record.body) });
    } catch {
      results.push({ recordId: record.recordId, stage: 'failed', reason: 'malformed_task' });
    }
  }

  let current: Map<string, WebhookRecord>;
  try {
    const ids = decoded.flatMap(({ group }) => group.webhooks.map((w) => ({ cacheName: group.cacheName, webhookName: w.webhookName })));
    const found = ids.length === 0 ? [] : await deps.webhooks.getMany(ids);
    current = new Map(found.map((record) => [identityKey(record), record]));
  } catch {
    for (const { recordId, group } of decoded) results.push({ recordId, stage: 'failed', reason: 'webhook_read_failed', group });
    return report(results, true);
  }

  // Claim: one conditional write per group that has something to send.
  const posts: Post[] = [];
  const claimed = await Promise.all(
    decoded.map(async ({ recordId, group }): Promise<GroupResult> => {
      const webhooks: WebhookResult[] = [];
      const sendable: WebhookRecord[] = [];
      for (const subscriber of group.webhooks) {
        const webhook = current.get(identityKey({ cacheName: group.cacheName, webhookName: subscriber.webhookName }));
        const reason: DropReason | undefined = !webhook
          ? 'webhook_deleted'
          : webhook.webhookId !== subscriber.webhookId
            ? 'webhook_replaced'
            : webhook.topicName !== group.topicName
              ? 'topic_changed'
              : undefined;
        if (reason) webhooks.push({ webhookName: subscriber.webhookName, stage: 'dropped', reason });
        else sendable.push(webhook!);
      }
      if (sendable.length === 0) return { recordId, stage: 'dropped', group, webhooks };
      try {
        if (!(await deps.deliveries.claimGroup(group, deps.now()))) return { recordId, stage: 'already_claimed', group };
      } catch {
        return { recordId, stage: 'failed', reason: 'claim_failed', group };
      }
      for (const webhook of sendable) posts.push({ group, webhook, results: webhooks });
      return { recordId, stage: 'claimed', group, webhooks };
    }),
  );

  // Send: every POST of the claimed groups, at most `deliveryPostConcurrency` at once.
  const attempts = new Map<string, HistoryEntry>();
  const slots = new RateLimitSlots(deps, posts.map((p) => p.webhook));
  await pMap(
    posts,
    async ({ group, webhook, results: webhookResults }) => {
      const request = signedDelivery(
        webhook,
        {
          cache: group.cacheName,
          topic: group.topicName,
          eventTimestamp: group.eventTimestamp,
          publishTimestamp: Math.max(deps.now(), group.eventTimestamp),
          sequenceNumber: group.sequenceNumber,
          tokenId: group.tokenId,
          text: group.text,
        },
        () => standardWebhooksMessageId({ webhookId: webhook.webhookId, topicName: group.topicName, sequenceNumber: group.sequenceNumber }),
      );
      // The rate limit is taken here, right before the POST, not before the claim: a POST
      // waiting for a free place in the concurrency bound must count in the second it is sent.
      const outcome = await postWithinRateLimit(deps, slots, webhook, request);
      webhookResults.push({ webhookName: webhook.webhookName, stage: 'sent', outcome });
      let entry = attempts.get(webhook.webhookId);
      if (!entry) attempts.set(webhook.webhookId, (entry = { webhookId: webhook.webhookId, invocationId, attempts: [] }));
      entry.attempts.push(attemptOf(outcome, group));
    },
    { concurrency: deps.config.deliveryPostConcurrency },
  );

  // Record: one history item per (webhook, invocation), in batched writes. A failure here is
  // reported, never retried: the POSTs are made and their claims stand.
  let historyRecorded = true;
  if (attempts.size > 0) {
    try {
      await deps.deliveries.recordHistory([...attempts.values()]);
    } catch {
      historyRecorded = false;
    }
  }
  return report([...results, ...claimed], historyRecorded);
}

function report(results: GroupResult[], historyRecorded: boolean): BatchReport {
  return {
    results,
    failedRecordIds: results.filter((r) => r.stage === 'failed').map((r) => r.recordId),
    historyRecorded,
  };
}
