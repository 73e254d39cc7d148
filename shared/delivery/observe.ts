import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logger } from '../logger.ts';
import { metrics } from '../metrics.ts';
import type { BatchReport, GroupResult } from './deliver-batch.ts';

/** Where a group is, for logs (names and numbers only: never a secret or the message text). */
const where = (result: GroupResult) =>
  result.group
    ? {
        cacheName: result.group.cacheName,
        topicName: result.group.topicName,
        sequenceNumber: result.group.sequenceNumber,
        group: result.group.group,
      }
    : {};

/**
 * One structured log line per SQS batch with its counts by outcome and stage (per-delivery
 * detail only at DEBUG; the history holds every attempt), and the delivery metrics (EMF):
 * `DeliverySucceeded`, `DeliveryFailed` (and `DeliveryFailed_<kind>`), `DeliveryLatency`,
 * `DeliveryRetryableFailure`, `DeliveryDropped`, `DeliveryRateLimited`, `DeliveryDuplicateSkipped`, `OutcomesNotRecorded`.
 */
export function observeDeliveries(report: BatchReport): void {
  const outcomes: Record<string, number> = {};
  const stages: Record<string, number> = {};
  let dropped = 0;
  let sent = 0;
  for (const result of report.results) {
    stages[result.stage] = (stages[result.stage] ?? 0) + 1;
    if (result.stage === 'failed') {
      logger.error('delivery group not attempted; returned to the queue', { ...where(result), recordId: result.recordId, reason: result.reason });
      continue;
    }
    if (result.stage === 'already_claimed') {
      logger.info('delivery group already claimed; skipped', { ...where(result), recordId: result.recordId });
      continue;
    }
    for (const webhook of result.webhooks) {
      if (webhook.stage === 'dropped') {
        dropped++;
        logger.debug('delivery dropped', { ...where(result), webhookName: webhook.webhookName, reason: webhook.reason });
        continue;
      }
      const { outcome } = webhook;
      outcomes[outcome.kind] = (outcomes[outcome.kind] ?? 0) + 1;
      // Over its limit a delivery is not sent: the webhook's own setting, not a failure.
      if (outcome.kind === 'rate_limited') {
        logger.debug('delivery rate limited', { ...where(result), webhookName: webhook.webhookName });
        continue;
      }
      sent++;
      logger.debug('delivery outcome', {
        ...where(result),
        webhookName: webhook.webhookName,
        outcome: outcome.kind,
        statusCode: outcome.statusCode,
        latencyMs: outcome.latencyMs,
      });
      metrics.addMetric('DeliveryLatency', MetricUnit.Milliseconds, outcome.latencyMs);
      if (outcome.kind !== 'delivered') metrics.addMetric(`DeliveryFailed_${outcome.kind}`, MetricUnit.Count, 1);
    }
  }
  const delivered = outcomes.delivered ?? 0;
  metrics.addMetric('DeliverySucceeded', MetricUnit.Count, delivered);
  metrics.addMetric('DeliveryFailed', MetricUnit.Count, sent - delivered);
  metrics.addMetric('DeliveryRetryableFailure', MetricUnit.Count, stages.failed ?? 0);
  metrics.addMetric('DeliveryDropped', MetricUnit.Count, dropped);
  metrics.addMetric('DeliveryRateLimited', MetricUnit.Count, outcomes.rate_limited ?? 0);
  metrics.addMetric('DeliveryDuplicateSkipped', MetricUnit.Count, stages.already_claimed ?? 0);
  metrics.addMetric('OutcomesNotRecorded', MetricUnit.Count, report.historyRecorded ? 0 : sent + (outcomes.rate_limited ?? 0));
  const summary = { records: report.results.length, groups: stages, outcomes, dropped, historyRecorded: report.historyRecorded };
  if (report.historyRecorded && (stages.failed ?? 0) === 0) logger.info('delivery batch', summary);
  else logger.warn('delivery batch', summary);
}
