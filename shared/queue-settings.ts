/**
 * Delivery queue settings shared by the CDK stack and local mode's poller, so local mode
 * behaves like the Lambda event source mapping.
 */
export const DELIVERY_QUEUE_DEFAULTS = {
  /** Records per delivery invocation (SQS event source `batchSize`). */
  batchSize: 10,
  /** Seconds the event source waits to fill a batch (`maxBatchingWindow`). */
  maxBatchingWindowSeconds: 0,
  /** Delivery function timeout: 5 s POSTs run concurrently, plus reads, claims and outcome writes. */
  functionTimeoutSeconds: 30,
  /** At least six times the function timeout, as AWS recommends for event sources. */
  visibilityTimeoutSeconds: 180,
  /** Receives before a message moves to the dead-letter queue (only failures before a claim return). */
  maxReceiveCount: 5,
  /** How long the dead-letter queue keeps messages. */
  dlqRetentionDays: 14,
} as const;
