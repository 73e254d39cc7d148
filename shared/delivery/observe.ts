import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logger, metrics } from '../observability.ts';
import type { BatchReport } from './deliver-batch.ts';

/**
 * One structured log line per record and the delivery metrics (EMF): `DeliverySucceeded`,
 * `DeliveryFailed` (and `DeliveryFailed_<kind>` per failure kind), `DeliveryLatency`.
 * Neither the secret nor the message text is ever logged.
 */
export function observeDeliveries(report: BatchReport): void {
  for (const result of report.results) {
    const where = result.task
      ? {
          cacheName: result.task.cacheName,
          topicName: result.task.topicName,
          webhookName: result.task.webhookName,
          sequenceNumber: result.task.sequenceNumber,
        }
      : {};
    switch (result.stage) {
      case 'delivered': {
        const { outcome } = result;
        const ok = outcome.kind === 'delivered';
        logger[ok ? 'info' : 'warn']('delivery outcome', {
          ...where,
          recordId: result.recordId,
          outcome: outcome.kind,
          statusCode: outcome.statusCode,
          latencyMs: outcome.latencyMs,
          outcomeRecorded: result.outcomeRecorded,
        });
        metrics.addMetric(ok ? 'DeliverySucceeded' : 'DeliveryFailed', MetricUnit.Count, 1);
        if (!ok) metrics.addMetric(`DeliveryFailed_${outcome.kind}`, MetricUnit.Count, 1);
        metrics.addMetric('DeliveryLatency', MetricUnit.Milliseconds, outcome.latencyMs);
        break;
      }
      case 'failed':
        logger.error('delivery not attempted; returned to the queue', { ...where, recordId: result.recordId, reason: result.reason });
        metrics.addMetric('DeliveryRetryableFailure', MetricUnit.Count, 1);
        break;
      case 'dropped':
        logger.info('delivery dropped', { ...where, recordId: result.recordId, reason: result.reason });
        metrics.addMetric('DeliveryDropped', MetricUnit.Count, 1);
        break;
      case 'already_claimed':
        logger.info('delivery already claimed; skipped', { ...where, recordId: result.recordId });
        metrics.addMetric('DeliveryDuplicateSkipped', MetricUnit.Count, 1);
        break;
    }
  }
}
