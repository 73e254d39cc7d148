import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { deliverBatch } from '#shared/delivery/deliver-batch.ts';
import { observeDeliveries } from '#shared/delivery/observe.ts';
import { logger } from '#shared/logger.ts';
import { metrics } from '#shared/metrics.ts';
import { runtime } from '#shared/runtime.ts';
import { webhookSenderOf } from '#functions/commons/webhook-sender.ts';

/**
 * SQS event source (ReportBatchItemFailures): each record is a group of webhooks for one
 * message, claimed once, then POSTed. Only records that failed before their claim go back to
 * the queue.
 */
export const handler = middy<SQSEvent, SQSBatchResponse>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics))
  .handler(async (event, context) => {
    const rt = runtime();
    const report = await deliverBatch(
      { ...rt, sender: webhookSenderOf(rt) },
      event.Records.map((r) => ({ recordId: r.messageId, body: r.body })),
      context.awsRequestId,
    );
    observeDeliveries(report);
    return { batchItemFailures: report.failedRecordIds.map((itemIdentifier) => ({ itemIdentifier })) };
  });
