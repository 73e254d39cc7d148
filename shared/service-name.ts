/** The service's name in logs, metrics and AWS resource names, and its metrics namespace: one source for both. */
export const SERVICE_NAME = 'topic-webhooks';
export const METRICS_NAMESPACE = 'TopicWebhooks';
