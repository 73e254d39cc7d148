import type { ServiceSettings } from './defaults.ts';

/** The functions' configuration (shared/config.ts), the same for every function. */
export function serviceEnvironment(settings: ServiceSettings): Record<string, string> {
  const environment: Record<string, string> = {
    MAX_MESSAGE_BYTES: String(settings.maxMessageBytes),
    MAX_WEBHOOKS_PER_CACHE: String(settings.maxWebhooksPerCache),
    DELIVERY_USER_AGENT: settings.userAgent,
    DELIVERY_RECORD_TTL_DAYS: String(settings.deliveryRecordTtlDays),
    PUBLISH_SEND_CONCURRENCY: String(settings.publishSendConcurrency),
    DELIVERY_GROUP_SIZE: String(settings.deliveryGroupSize),
    DELIVERY_POST_CONCURRENCY: String(settings.deliveryPostConcurrency),
    MESSAGE_RETENTION_SECONDS: String(settings.messageRetentionSeconds),
    SUBSCRIBE_WAIT_SECONDS: String(settings.subscribeWaitSeconds),
  };
  if (settings.destinationAllowlist.length > 0) environment.DESTINATION_ALLOWLIST = settings.destinationAllowlist.join(',');
  return environment;
}
