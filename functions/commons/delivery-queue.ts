import { createSqsClient } from '#shared/aws-clients.ts';
import type { DeliveryQueue } from '#shared/publish/model.ts';
import { SqsDeliveryQueue } from '#shared/queue/delivery-queue.ts';
import type { Runtime } from '#shared/runtime.ts';

const queues = new WeakMap<Runtime, DeliveryQueue>();

/**
 * The delivery queue, built on first use per runtime: only the publish function imports this
 * module, so only its bundle carries the SQS SDK. Local mode and tests may give the SQS client
 * through the runtime. A function that sends without `QUEUE_URL` is misconfigured and fails
 * loudly.
 */
export function deliveryQueueOf(rt: Runtime): DeliveryQueue {
  let queue = queues.get(rt);
  if (!queue) {
    if (!rt.config.queueUrl) throw new Error('invalid configuration: QUEUE_URL is required by this function');
    queue = new SqsDeliveryQueue(rt.clients.sqs ?? createSqsClient(rt.config), rt.config.queueUrl, rt.config.publishSendConcurrency);
    queues.set(rt, queue);
  }
  return queue;
}
