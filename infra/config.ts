import type { Node } from 'constructs';
import { z } from 'zod';
import { loadConfig, MAX_MESSAGE_BYTES_CEILING } from '#shared/config.ts';
import { validateAllowlist } from '#shared/destination.ts';
import { DELIVERY_FUNCTION } from '#functions/routes.ts';
import { FUNCTION_SIZING, SERVICE_DEFAULTS, targetDefaults, type ServiceSettings } from './defaults.ts';
import { serviceEnvironment } from './environment.ts';

/**
 * Stack configuration from CDK context (`cdk deploy -c stageName=prod -c batchSize=5`) or
 * cdk.json's "context", checked once at synth so a bad value fails before anything deploys.
 * Stack props given in code win over context, and context over `SERVICE_DEFAULTS`.
 */

/** The CDK context key that selects the target: `-c target=localstack`. */
export const TARGET_CONTEXT_KEY = 'target';

/** Context keys this app reads (each a key of `ServiceSettings`). */
export const CONTEXT_KEYS = [
  'target',
  'stageName',
  'architecture',
  'destinationAllowlist',
  'maxMessageBytes',
  'maxWebhooksPerCache',
  'userAgent',
  'deliveryRecordTtlDays',
  'publishSendConcurrency',
  'deliveryGroupSize',
  'deliveryPostConcurrency',
  'messageRetentionSeconds',
  'subscribeWaitSeconds',
  'batchSize',
  'maxBatchingWindowSeconds',
  'deliveryMaxConcurrency',
  'throttlingRateLimit',
  'throttlingBurstLimit',
  'logRetentionDays',
  'deletionProtection',
  'apiGatewayCloudWatchRole',
  'apiGatewayAccountHasRole',
  'alarmTopicArn',
  'alarmEmail',
  'webAclArn',
  'deliveryFailureRateThresholdPercent',
  'deliveryBacklogDepthThreshold',
] as const satisfies readonly (keyof ServiceSettings)[];

/** Most records one delivery invocation takes (`batchSize`). */
export const MAX_BATCH_SIZE = 100;
/** The deadline of one POST (shared/http/webhook-sender.ts). */
export const POST_DEADLINE_SECONDS = 5;
/** Room left in the delivery function's timeout for the batched read, the claims and the outcome writes. */
export const POST_WAVES_MARGIN_SECONDS = 5;

// Values CloudWatch Logs accepts for a log group's retention.
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
// The CLI passes `-c key=value` as a string; cdk.json may hold a real boolean.
const bool = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]);
const cidrList = z
  .union([z.array(z.string()), z.string().transform((v) => v.split(','))])
  .transform((list) => list.map((s) => s.trim()).filter(Boolean))
  .superRefine((list, ctx) => {
    try {
      validateAllowlist(list);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: err instanceof Error ? err.message : 'not a CIDR list' });
    }
  });

/** One schema for every setting; each is optional here and filled from the defaults. */
export const settingsSchema = z
  .object({
    target: z.enum(['aws', 'localstack']),
    // API Gateway stage names: letters, digits, hyphens and underscores.
    stageName: z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, 'letters, digits, - and _ only'),
    architecture: z.enum(['arm64', 'x86_64']),
    destinationAllowlist: cidrList,
    maxMessageBytes: int(1, MAX_MESSAGE_BYTES_CEILING),
    maxWebhooksPerCache: int(1, 1_000_000),
    userAgent: z.string().min(1).max(512),
    deliveryRecordTtlDays: int(1, 3650),
    publishSendConcurrency: int(1, 64),
    deliveryGroupSize: int(1, 100),
    deliveryPostConcurrency: int(1, 1000),
    messageRetentionSeconds: int(0, 1_209_600),
    subscribeWaitSeconds: int(1, 25),
    // SQS event sources take up to 10 records without a batching window and 10,000 with one; this
    // service takes 100 at most, so one invocation's POSTs stay few enough to finish in time.
    batchSize: int(1, MAX_BATCH_SIZE),
    maxBatchingWindowSeconds: int(0, 300),
    deliveryMaxConcurrency: int(2, 1000),
    throttlingRateLimit: z.coerce.number().positive().max(1_000_000),
    throttlingBurstLimit: int(1, 1_000_000),
    logRetentionDays: z.coerce
      .number()
      .refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), `one of ${LOG_RETENTION_DAYS.join(', ')}`),
    deletionProtection: bool,
    apiGatewayCloudWatchRole: bool,
    apiGatewayAccountHasRole: bool,
    alarmTopicArn: z.string().regex(/^arn:[^:]+:sns:[^:]+:\d{12}:.+$/, 'an SNS topic ARN'),
    alarmEmail: z.email('an e-mail address'),
    webAclArn: z.string().regex(/^arn:[^:]+:wafv2:[^:]+:\d{12}:regional\/webacl\/.+$/, 'a regional WAFv2 web ACL ARN'),
    deliveryFailureRateThresholdPercent: z.coerce.number().gt(0).max(100),
    deliveryBacklogDepthThreshold: int(1, 100_000_000),
  })
  .partial()
  .strict();

export type SettingsInput = z.input<typeof settingsSchema>;

/**
 * Resolves the settings: explicit `overrides` (stack props) over `context` over the defaults.
 * Throws one error naming every bad key.
 */
export function resolveSettings(context: Record<string, unknown>, overrides: Partial<ServiceSettings> = {}): ServiceSettings {
  const given: Record<string, unknown> = {};
  for (const key of CONTEXT_KEYS) {
    if (context[key] !== undefined) given[key] = context[key];
  }
  for (const [key, value] of Object.entries(overrides)) {
    if (value !== undefined) given[key] = value;
  }
  const parsed = settingsSchema.safeParse(given);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(settings)'}: ${i.message}`).join('; ');
    throw new Error(`invalid stack configuration: ${problems}`);
  }
  const target = parsed.data.target ?? SERVICE_DEFAULTS.target;
  const settings: ServiceSettings = { ...SERVICE_DEFAULTS, ...targetDefaults(target), ...stripUndefined(parsed.data) };
  if (settings.batchSize > 10 && settings.maxBatchingWindowSeconds === 0) {
    throw new Error('invalid stack configuration: batchSize above 10 needs maxBatchingWindowSeconds of at least 1');
  }
  const waves = postWavesSeconds(settings);
  if (waves.seconds > waves.timeoutSeconds) {
    throw new Error(
      `invalid stack configuration: batchSize × deliveryGroupSize / deliveryPostConcurrency ` +
        `(${settings.batchSize} × ${settings.deliveryGroupSize} / ${settings.deliveryPostConcurrency}) gives ${waves.waves} waves of POSTs ` +
        `of up to ${POST_DEADLINE_SECONDS} s each; with a ${POST_WAVES_MARGIN_SECONDS} s margin that is ${waves.seconds} s, more than the delivery function's ` +
        `${waves.timeoutSeconds} s timeout: lower batchSize or deliveryGroupSize, or raise deliveryPostConcurrency`,
    );
  }
  // The functions' own schema has the last word on their environment (e.g. a group of
  // webhooks beside a message of the maximum size must fit in one queue message).
  try {
    loadConfig({ TABLE_NAME: 'synth', ...serviceEnvironment(settings) });
  } catch (err) {
    const reason = err instanceof Error ? err.message.replace(/^invalid configuration: /, '') : String(err);
    throw new Error(`invalid stack configuration: ${reason}`, { cause: err });
  }
  if (settings.target === 'localstack') {
    // None exists in LocalStack's free image; asking for them there is a mistake, not a no-op.
    if (settings.apiGatewayCloudWatchRole) throw new Error('invalid stack configuration: apiGatewayCloudWatchRole is AWS-only');
    if (settings.apiGatewayAccountHasRole) throw new Error('invalid stack configuration: apiGatewayAccountHasRole is AWS-only');
    if (settings.webAclArn) throw new Error('invalid stack configuration: webAclArn is AWS-only');
  }
  return settings;
}

/**
 * How long one delivery invocation's POSTs may take: `batchSize` records of up to
 * `deliveryGroupSize` webhooks each, `deliveryPostConcurrency` at a time, each wave up to one
 * POST deadline, plus the margin. It must not exceed the delivery function's timeout.
 */
export function postWavesSeconds(settings: Pick<ServiceSettings, 'batchSize' | 'deliveryGroupSize' | 'deliveryPostConcurrency'>): {
  waves: number;
  seconds: number;
  timeoutSeconds: number;
} {
  const waves = Math.ceil((settings.batchSize * settings.deliveryGroupSize) / settings.deliveryPostConcurrency);
  return {
    waves,
    seconds: waves * POST_DEADLINE_SECONDS + POST_WAVES_MARGIN_SECONDS,
    timeoutSeconds: FUNCTION_SIZING[DELIVERY_FUNCTION].timeoutSeconds,
  };
}

/** The settings from a construct tree's context (the app's, or a test `App`'s). */
export function settingsFromContext(node: Node, overrides: Partial<ServiceSettings> = {}): ServiceSettings {
  const context: Record<string, unknown> = {};
  for (const key of CONTEXT_KEYS) context[key] = node.tryGetContext(key);
  return resolveSettings(context, overrides);
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
