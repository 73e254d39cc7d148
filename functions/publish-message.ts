import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { apiHandler } from '#functions/commons/api-handler.ts';
import { noContent } from '#functions/commons/api-request.ts';
import { cacheNameOf, topicNameOf } from '#functions/commons/path-parameters.ts';
import { publishMessage } from '#shared/publish/operations.ts';
import { runtime } from '#shared/runtime.ts';
import { deliveryQueueOf } from '#functions/commons/delivery-queue.ts';
import { metrics } from '#shared/metrics.ts';
import { DeliveryQueueError, InvalidArgumentError } from '#shared/errors.ts';

/** POST /topics/{cacheName}/{topicName}: the raw body is the message; 204 once every delivery is queued. */
export const handler = apiHandler(
  { runtime, permission: 'topics:publish', cacheScoped: true, allowQueryToken: true },
  async (request, rt) => {
    // A delivery of this service posted back into publish (a webhook pointed at its own
    // publish URL) would re-publish every message to itself: refused, never amplified.
    if (request.header('momento-signature') !== undefined || request.header('webhook-signature') !== undefined) {
      throw new InvalidArgumentError(
        'the request carries a webhook signature header: it looks like a delivery of this service looping back into publish',
      );
    }
    try {
      const result = await publishMessage({ ...rt, queue: deliveryQueueOf(rt) }, request.principal, {
        cacheName: cacheNameOf(request),
        topicName: topicNameOf(request),
        message: request.body(),
      });
      metrics.addMetric('MessagesPublished', MetricUnit.Count, 1);
      metrics.addMetric('DeliveriesQueued', MetricUnit.Count, result.webhookCount);
      return noContent();
    } catch (error) {
      if (error instanceof DeliveryQueueError) metrics.addMetric('PublishQueueFailures', MetricUnit.Count, 1);
      throw error;
    } finally {
      // Flushed here rather than by the middleware, which warns on every rejected request.
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    }
  },
);
