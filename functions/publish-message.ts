import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { apiHandler } from '#functions/commons/api-handler.ts';
import { noContent } from '#functions/commons/api-request.ts';
import { cacheNameOf, topicNameOf } from '#functions/commons/path-parameters.ts';
import { publishMessage } from '#shared/publish/operations.ts';
import { runtime, deliveryQueue } from '#shared/runtime.ts';
import { metrics } from '#shared/observability.ts';

/** POST /topics/{cacheName}/{topicName}: the raw body is the message; 204 once every delivery is queued. */
export const handler = apiHandler(
  { runtime, permission: 'topics:publish', cacheScoped: true, allowQueryToken: true },
  async (request, rt) => {
    const result = await publishMessage({ ...rt, queue: deliveryQueue(rt) }, request.principal, {
      cacheName: cacheNameOf(request),
      topicName: topicNameOf(request),
      message: request.body(),
    });
    metrics.addMetric('MessagesPublished', MetricUnit.Count, 1);
    metrics.addMetric('DeliveriesQueued', MetricUnit.Count, result.webhookCount);
    // Flushed here rather than by the middleware, which warns on every rejected request.
    metrics.publishStoredMetrics();
    return noContent();
  },
);
