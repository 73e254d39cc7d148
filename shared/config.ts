import * as z from 'zod';
import { validateAllowlist } from './destination.ts';

/** Default `user-agent` of deliveries: Momento's own, so receivers written for it keep working (§3). */
export const DEFAULT_USER_AGENT = 'Momento/1.0 (Webhooks; +https://docs.momentohq.com/topics/webhooks)';

/**
 * The largest configurable message. A queued delivery carries the message base64-encoded
 * (4/3 of its size) and SQS takes at most 256 KiB per message, the same per batch.
 */
export const MAX_MESSAGE_BYTES_CEILING = 180 * 1024;

/**
 * Defaults of the function settings. The CDK stack starts from the same object
 * (`infra/defaults.ts`), so a deployment and local mode cannot disagree on them.
 */
export const FUNCTION_DEFAULTS = {
  maxMessageBytes: 128 * 1024,
  maxWebhooksPerCache: 100,
  userAgent: DEFAULT_USER_AGENT,
  deliveryRecordTtlDays: 7,
  publishSendConcurrency: 8,
} as const;

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/**
 * Everything a function reads from its environment, parsed once per container. A missing
 * table name fails at cold start; the queue URL is checked by the functions that send.
 * Deployed functions never read `DEV_API_KEY`: that exists only in local mode (§6).
 */
export const configSchema = z.object({
  TABLE_NAME: z.string().min(1, 'TABLE_NAME is required'),
  QUEUE_URL: z.string().min(1).optional(),
  AWS_REGION: z.string().min(1).default('us-east-1'),
  AWS_ENDPOINT_URL: z.url().optional(),
  AWS_ENDPOINT_URL_DYNAMODB: z.url().optional(),
  AWS_ENDPOINT_URL_SQS: z.url().optional(),
  MAX_MESSAGE_BYTES: positiveInt(FUNCTION_DEFAULTS.maxMessageBytes).pipe(
    z.number().max(MAX_MESSAGE_BYTES_CEILING, `MAX_MESSAGE_BYTES must be at most ${MAX_MESSAGE_BYTES_CEILING}`),
  ),
  MAX_WEBHOOKS_PER_CACHE: positiveInt(FUNCTION_DEFAULTS.maxWebhooksPerCache),
  DELIVERY_USER_AGENT: z.string().min(1).default(FUNCTION_DEFAULTS.userAgent),
  /** Comma-separated CIDRs that deliveries may reach although §5 would refuse them. */
  DESTINATION_ALLOWLIST: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .superRefine((cidrs, ctx) => {
      try {
        validateAllowlist(cidrs);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: err instanceof Error ? err.message : 'invalid CIDR' });
      }
    }),
  DELIVERY_RECORD_TTL_DAYS: positiveInt(FUNCTION_DEFAULTS.deliveryRecordTtlDays),
  /** Parallel SendMessageBatch calls of one publish. */
  PUBLISH_SEND_CONCURRENCY: positiveInt(FUNCTION_DEFAULTS.publishSendConcurrency),
});

export interface Config {
  tableName: string;
  queueUrl: string | undefined;
  region: string;
  dynamoEndpoint: string | undefined;
  sqsEndpoint: string | undefined;
  maxMessageBytes: number;
  maxWebhooksPerCache: number;
  userAgent: string;
  destinationAllowlist: string[];
  deliveryRecordTtlSeconds: number;
  publishSendConcurrency: number;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid configuration: ${problems}`);
  }
  const c = parsed.data;
  return {
    tableName: c.TABLE_NAME,
    queueUrl: c.QUEUE_URL,
    region: c.AWS_REGION,
    dynamoEndpoint: c.AWS_ENDPOINT_URL_DYNAMODB ?? c.AWS_ENDPOINT_URL,
    sqsEndpoint: c.AWS_ENDPOINT_URL_SQS ?? c.AWS_ENDPOINT_URL,
    maxMessageBytes: c.MAX_MESSAGE_BYTES,
    maxWebhooksPerCache: c.MAX_WEBHOOKS_PER_CACHE,
    userAgent: c.DELIVERY_USER_AGENT,
    destinationAllowlist: c.DESTINATION_ALLOWLIST,
    deliveryRecordTtlSeconds: c.DELIVERY_RECORD_TTL_DAYS * 24 * 3600,
    publishSendConcurrency: c.PUBLISH_SEND_CONCURRENCY,
  };
}
