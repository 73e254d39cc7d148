import * as z from 'zod/mini';
import { validateAllowlist } from './cidr.ts';
import { worstCaseMessageBytes } from './delivery/queue-message.ts';

/** Default `user-agent` of deliveries: Momento's own, so receivers written for it keep working (docs/design.md#delivery-contract). */
export const DEFAULT_USER_AGENT = 'Momento/1.0 (Webhooks; +https://docs.momentohq.com/topics/webhooks)';

/**
 * The largest configurable message. A queued delivery carries the message base64-encoded
 * (4/3 of its size) and SQS takes at most 256 KiB per message, the same per batch; the
 * group's webhooks must fit beside it (checked with `DELIVERY_GROUP_SIZE` below).
 */
export const MAX_MESSAGE_BYTES_CEILING = 180 * 1024;

/** The largest queue message the configuration may produce: SQS's classic 256 KiB, which every queue accepts. */
const MAX_QUEUE_MESSAGE_BYTES = 256 * 1024;

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
  deliveryGroupSize: 10,
  deliveryPostConcurrency: 50,
  messageRetentionSeconds: 3600,
  subscribeWaitSeconds: 20,
} as const;

const positiveInt = (fallback: number) => z._default(z.pipe(z.coerce.number(), z.int().check(z.positive())), fallback);
const atMost = (schema: ReturnType<typeof positiveInt>, max: number, message: string) =>
  z.pipe(schema, z.number().check(z.lte(max, message)));

/**
 * Everything a function reads from its environment, parsed once per container. A missing
 * table name fails at cold start; the queue URL is checked by the functions that send.
 * Deployed functions never read `DEV_API_KEY`: that exists only in local mode (docs/design.md#local-mode).
 */
const nonEmpty = () => z.string().check(z.minLength(1));
// An endpoint is whatever the WHATWG URL parser takes, as the SDK parses it (z.url()'s own
// checks would add 5 KB to every bundle for the same answer).
const endpointUrl = () => z.string().check(z.refine((v) => URL.canParse(v), 'must be a URL'));

const configSchema = z.object({
  TABLE_NAME: z.string().check(z.minLength(1, 'TABLE_NAME is required')),
  QUEUE_URL: z.optional(nonEmpty()),
  /** Absent: the SDK resolves the region itself (profile, instance metadata), as for any AWS tool. */
  AWS_REGION: z.optional(nonEmpty()),
  AWS_ENDPOINT_URL: z.optional(endpointUrl()),
  AWS_ENDPOINT_URL_DYNAMODB: z.optional(endpointUrl()),
  AWS_ENDPOINT_URL_SQS: z.optional(endpointUrl()),
  MAX_MESSAGE_BYTES: atMost(
    positiveInt(FUNCTION_DEFAULTS.maxMessageBytes),
    MAX_MESSAGE_BYTES_CEILING,
    `MAX_MESSAGE_BYTES must be at most ${MAX_MESSAGE_BYTES_CEILING}`,
  ),
  MAX_WEBHOOKS_PER_CACHE: positiveInt(FUNCTION_DEFAULTS.maxWebhooksPerCache),
  DELIVERY_USER_AGENT: z._default(nonEmpty(), FUNCTION_DEFAULTS.userAgent),
  /** Comma-separated CIDRs that deliveries may reach although destination safety (docs/design.md#destination-safety) would refuse them. */
  DESTINATION_ALLOWLIST: z
    .pipe(
      z._default(z.string(), ''),
      z.transform((v: string) =>
        v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      ),
    )
    .check(
      z.superRefine((cidrs, ctx) => {
        try {
          validateAllowlist(cidrs);
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: err instanceof Error ? err.message : 'invalid CIDR', input: cidrs });
        }
      }),
    ),
  DELIVERY_RECORD_TTL_DAYS: positiveInt(FUNCTION_DEFAULTS.deliveryRecordTtlDays),
  /** Parallel SendMessageBatch calls of one publish. */
  PUBLISH_SEND_CONCURRENCY: positiveInt(FUNCTION_DEFAULTS.publishSendConcurrency),
  /** Webhooks per queue message (1 gives one message per webhook). */
  DELIVERY_GROUP_SIZE: atMost(positiveInt(FUNCTION_DEFAULTS.deliveryGroupSize), 100, 'DELIVERY_GROUP_SIZE must be at most 100'),
  /** POSTs in flight at once in one delivery invocation. */
  DELIVERY_POST_CONCURRENCY: atMost(
    positiveInt(FUNCTION_DEFAULTS.deliveryPostConcurrency),
    1000,
    'DELIVERY_POST_CONCURRENCY must be at most 1000',
  ),
  /** How long the topic's message log keeps a message for subscribers; 0 turns log and subscriptions off. */
  MESSAGE_RETENTION_SECONDS: z._default(
    z.pipe(z.coerce.number(), z.int().check(z.gte(0, 'MESSAGE_RETENTION_SECONDS must be 0 or more'), z.lte(1_209_600, 'MESSAGE_RETENTION_SECONDS must be at most 1209600 (14 days)'))),
    FUNCTION_DEFAULTS.messageRetentionSeconds,
  ),
  /** How long a subscribe call waits for a message: at most 25, within API Gateway's 29 s. */
  SUBSCRIBE_WAIT_SECONDS: atMost(positiveInt(FUNCTION_DEFAULTS.subscribeWaitSeconds), 25, 'SUBSCRIBE_WAIT_SECONDS must be at most 25'),
}).check(
  z.superRefine((c, ctx) => {
    const bytes = worstCaseMessageBytes({ maxMessageBytes: c.MAX_MESSAGE_BYTES, groupSize: c.DELIVERY_GROUP_SIZE });
    if (bytes > MAX_QUEUE_MESSAGE_BYTES) {
      ctx.addIssue({
        code: 'custom',
        input: c,
        path: ['DELIVERY_GROUP_SIZE'],
        message: `with MAX_MESSAGE_BYTES ${c.MAX_MESSAGE_BYTES} a group of ${c.DELIVERY_GROUP_SIZE} may make a queue message of ${bytes} bytes, over SQS's ${MAX_QUEUE_MESSAGE_BYTES}: lower one of them`,
      });
    }
  }),
);

export interface Config {
  tableName: string;
  queueUrl: string | undefined;
  region: string | undefined;
  dynamoEndpoint: string | undefined;
  sqsEndpoint: string | undefined;
  maxMessageBytes: number;
  maxWebhooksPerCache: number;
  userAgent: string;
  destinationAllowlist: string[];
  deliveryRecordTtlSeconds: number;
  publishSendConcurrency: number;
  deliveryGroupSize: number;
  deliveryPostConcurrency: number;
  messageRetentionSeconds: number;
  subscribeWaitSeconds: number;
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
    deliveryGroupSize: c.DELIVERY_GROUP_SIZE,
    deliveryPostConcurrency: c.DELIVERY_POST_CONCURRENCY,
    messageRetentionSeconds: c.MESSAGE_RETENTION_SECONDS,
    subscribeWaitSeconds: c.SUBSCRIBE_WAIT_SECONDS,
  };
}
