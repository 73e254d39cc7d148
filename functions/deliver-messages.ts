import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { deliverBatch } from '#shared/delivery/deliver-batch.ts';
import { observeDeliveries } from '#shared/delivery/observe.ts';
import { logger, metrics } from '#shared/observability.ts';
import { runtime } from '#shared/runtime.ts';

/**
 * SQS event source (ReportBatchItemFailures): each record is a group of webhooks for one
 * message, claimed once, then POSTed. Only records that failed before their claim go back to
 * the queue.
 */
export const handler = middy<SQSEvent, SQSBatchResponse>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics))
  .handler(async (event, context) => {
    const report = await deliverBatch(
      runtime(),
      event.Records.map((r) => ({ recordId: r.messageId, body: r.body })),
      context.awsRequestId,
    );
    observeDeliveries(report);
    return { batchItemFailures: report.failedRecordIds.map((itemIdentifier) => ({ itemIdentifier })) };
  });
