import { Runtime } from 'aws-cdk-lib/aws-lambda';
import { OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { FUNCTION_DEFAULTS } from '#shared/config.ts';
import { METRICS_NAMESPACE, SERVICE_NAME } from '#shared/service-name.ts';
import { DELIVERY_QUEUE_DEFAULTS } from '#shared/queue-settings.ts';
import type { HttpFunctionName } from '#functions/routes.ts';
import { DELIVERY_FUNCTION } from '#functions/routes.ts';

/**
 * Every default of the stack, in one place (the Solutions Constructs `*-defaults.ts` habit):
 * constructs and the context parser start from these and let the caller's props win.
 */

/** Where the stack goes: a real AWS account, or LocalStack's free image 4.14.0 (docs/design.md#deployment-targets). */
export type DeployTarget = 'aws' | 'localstack';

/** Lambda CPU architecture. */
export type FunctionArchitecture = 'arm64' | 'x86_64';

/** Everything a deployment may configure by CDK context (`-c key=value`) or stack props. */
export interface ServiceSettings {
  /** @default 'aws' */
  target: DeployTarget;
  /** API Gateway stage, the last segment of `ApiUrl`. @default 'v1' */
  stageName: string;
  /** @default 'arm64' */
  architecture: FunctionArchitecture;
  /** CIDRs deliveries may reach although destination safety (docs/design.md#destination-safety) refuses them (`DESTINATION_ALLOWLIST`). @default [] */
  destinationAllowlist: string[];
  /** Largest published message in bytes (`MAX_MESSAGE_BYTES`). @default 131072 */
  maxMessageBytes: number;
  /** Webhooks per cache (`MAX_WEBHOOKS_PER_CACHE`). @default 100 */
  maxWebhooksPerCache: number;
  /** `user-agent` of deliveries (`DELIVERY_USER_AGENT`). @default Momento's */
  userAgent: string;
  /** How long delivery records are kept (`DELIVERY_RECORD_TTL_DAYS`). @default 7 */
  deliveryRecordTtlDays: number;
  /** Parallel SendMessageBatch calls per publish (`PUBLISH_SEND_CONCURRENCY`). @default 8 */
  publishSendConcurrency: number;
  /** Webhooks per queue message (`DELIVERY_GROUP_SIZE`; 1 = one message per webhook). @default 10 */
  deliveryGroupSize: number;
  /** POSTs in flight at once in one delivery invocation (`DELIVERY_POST_CONCURRENCY`). @default 50 */
  deliveryPostConcurrency: number;
  /** How long the message log keeps a message for subscribers; 0 turns subscriptions off (`MESSAGE_RETENTION_SECONDS`). @default 3600 */
  messageRetentionSeconds: number;
  /** How long a subscribe call waits for a message, 1-25 (`SUBSCRIBE_WAIT_SECONDS`). @default 20 */
  subscribeWaitSeconds: number;
  /**
   * Records per delivery invocation (1–100; above 10 needs a batching window). Its POST waves,
   * ceil(batchSize × deliveryGroupSize / deliveryPostConcurrency) of at most 5 s each, must end
   * within the delivery function's timeout. @default 10
   */
  batchSize: number;
  /** Seconds the event source waits to fill a batch (0 = none, at most 300). @default 0 */
  maxBatchingWindowSeconds: number;
  /** Highest number of concurrent delivery invocations (2–1000). @default 20 */
  deliveryMaxConcurrency: number;
  /** Stage-wide steady-state requests per second. @default 100 */
  throttlingRateLimit: number;
  /** Stage-wide burst. @default 200 */
  throttlingBurstLimit: number;
  /** Retention of every log group, in days (a value CloudWatch Logs accepts). @default 30 */
  logRetentionDays: number;
  /**
   * Table deletion protection; with it the table is also retained when the stack is deleted.
   * @default true on AWS, false on LocalStack
   */
  deletionProtection: boolean;
  /**
   * Create the account-wide role API Gateway needs to write logs (`AWS::ApiGateway::Account`),
   * once per account and region; it is kept when the stack goes. Turns on the stage's access
   * and execution logs. AWS only.
   * @default false
   */
  apiGatewayCloudWatchRole: boolean;
  /**
   * The account already has API Gateway's logging role (made by another stack or by hand): turn
   * on the stage's access and execution logs without creating it. AWS only.
   * @default false
   */
  apiGatewayAccountHasRole: boolean;
  /** An existing SNS topic every alarm notifies. @default undefined (the stack creates one) */
  alarmTopicArn: string | undefined;
  /** An e-mail address subscribed to the alarm topic (it must confirm the subscription). @default undefined */
  alarmEmail: string | undefined;
  /** Messages waiting in the delivery queue that raise the backlog-depth alarm. @default 10000 */
  deliveryBacklogDepthThreshold: number;
  /** A regional WAFv2 web ACL to associate with the stage (AWS only). @default undefined */
  webAclArn: string | undefined;
  /** Delivery failure rate, in percent of attempted deliveries, that raises the alarm. @default 10 */
  deliveryFailureRateThresholdPercent: number;
}

export const SERVICE_DEFAULTS: Readonly<Omit<ServiceSettings, 'deletionProtection'>> = {
  target: 'aws',
  stageName: 'v1',
  architecture: 'arm64',
  destinationAllowlist: [],
  ...FUNCTION_DEFAULTS,
  batchSize: DELIVERY_QUEUE_DEFAULTS.batchSize,
  maxBatchingWindowSeconds: DELIVERY_QUEUE_DEFAULTS.maxBatchingWindowSeconds,
  deliveryMaxConcurrency: 20,
  throttlingRateLimit: 100,
  throttlingBurstLimit: 200,
  logRetentionDays: 30,
  // Account-wide: never made behind the operator's back (docs/deploy.md, "API Gateway's logging role").
  apiGatewayCloudWatchRole: false,
  apiGatewayAccountHasRole: false,
  alarmTopicArn: undefined,
  alarmEmail: undefined,
  deliveryBacklogDepthThreshold: 10_000,
  webAclArn: undefined,
  deliveryFailureRateThresholdPercent: 10,
};

/** Defaults that depend on the target: AWS keeps data safe, LocalStack is disposable. */
export function targetDefaults(target: DeployTarget): Pick<ServiceSettings, 'deletionProtection'> {
  return { deletionProtection: target === 'aws' };
}

/** Memory and timeout of one function. */
export interface FunctionSizing {
  memorySizeMb: number;
  timeoutSeconds: number;
}

/**
 * Sizing per function. API functions answer well within API Gateway's 29 s integration limit;
 * publish sends up to one SQS batch per ten webhooks in parallel; delivery's timeout leaves room
 * for its 5 s POSTs (run concurrently) plus the batched read, the claims and the outcome writes.
 */
export const FUNCTION_SIZING: Readonly<Record<HttpFunctionName | typeof DELIVERY_FUNCTION, FunctionSizing>> = {
  'put-webhook': { memorySizeMb: 256, timeoutSeconds: 10 },
  'list-webhooks': { memorySizeMb: 256, timeoutSeconds: 10 },
  'delete-webhook': { memorySizeMb: 256, timeoutSeconds: 10 },
  'get-webhook-secret': { memorySizeMb: 256, timeoutSeconds: 10 },
  'rotate-webhook-secret': { memorySizeMb: 256, timeoutSeconds: 10 },
  'list-deliveries': { memorySizeMb: 256, timeoutSeconds: 10 },
  // One POST with its 5 s deadline, then the history write.
  'test-webhook': { memorySizeMb: 256, timeoutSeconds: 10 },
  'publish-message': { memorySizeMb: 512, timeoutSeconds: 20 },
  // Waits up to SUBSCRIBE_WAIT_SECONDS (at most 25) for a message, within API Gateway's 29 s;
  // it mostly waits, so it gets the least memory.
  'subscribe-topic': { memorySizeMb: 128, timeoutSeconds: 28 },
  'create-key': { memorySizeMb: 256, timeoutSeconds: 10 },
  'list-keys': { memorySizeMb: 256, timeoutSeconds: 10 },
  'revoke-key': { memorySizeMb: 256, timeoutSeconds: 10 },
  health: { memorySizeMb: 128, timeoutSeconds: 5 },
  // Answers built-in strings; the console page makes its API calls to the other functions.
  'serve-console': { memorySizeMb: 128, timeoutSeconds: 5 },
  [DELIVERY_FUNCTION]: { memorySizeMb: 512, timeoutSeconds: DELIVERY_QUEUE_DEFAULTS.functionTimeoutSeconds },
};

/**
 * Environment every function gets, whatever it does. The stack replaces `POWERTOOLS_SERVICE_NAME`
 * with its own name: the `service` dimension of every metric, so two stacks in one account do not mix.
 */
export const FUNCTION_BASE_ENVIRONMENT: Readonly<Record<string, string>> = {
  POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
  POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
  // Stack traces point into the TypeScript sources through the bundled source maps.
  NODE_OPTIONS: '--enable-source-maps',
};

/** Defaults of the house function construct (`ServiceFunction`); its props win over these. */
export const FUNCTION_CONSTRUCT_DEFAULTS: {
  readonly runtime: Runtime;
  readonly architecture: FunctionArchitecture;
  readonly memorySizeMb: number;
  readonly timeoutSeconds: number;
  readonly logRetentionDays: number;
  readonly bundling: BundlingOptions;
} = {
  // Node 22: the runtime TOOLCHAIN.md checked, on AWS and on LocalStack 4.14.0.
  runtime: Runtime.NODEJS_22_X,
  architecture: 'arm64',
  memorySizeMb: 256,
  timeoutSeconds: 10,
  logRetentionDays: 30,
  bundling: {
    // The locally installed esbuild; without it NodejsFunction would fall back to Docker.
    forceDockerBundling: false,
    format: OutputFormat.ESM,
    target: 'node22',
    minify: true,
    sourceMap: true,
    // Stack traces need file and line, not the sources themselves: smaller bundles.
    sourcesContent: false,
    mainFields: ['module', 'main'],
    // CJS dependencies call require(); an ESM bundle has none unless we create it.
    banner: "import { createRequire as __twCreateRequire } from 'node:module'; const require = __twCreateRequire(import.meta.url);",
    // The SDK is bundled at the lockfile's version, the one the tests ran against. Measured
    // (docs/performance.md): leaving it to the runtime makes bundles smaller but module
    // initialisation slower (many files instead of one).
    bundleAwsSDK: true,
    // Loaded only for event-stream operations, which DynamoDB and SQS do not have: 13 KB not
    // bundled (the import would resolve to the runtime's copy, were it ever made).
    externalModules: ['@smithy/core/event-streams'],
    // Credentials come from the environment in Lambda: the default chain's nested clients stay out.
    // The endpoint cache of DynamoDB's (unused) endpoint discovery gets a Map-based LRU: 7 KB less.
    esbuildArgs: {
      '--alias': [
        '@aws-sdk/credential-provider-node=./functions/commons/environment-credentials.ts',
        'mnemonist/lru-cache=./functions/commons/endpoint-cache-lru.ts',
      ],
    },
  },
};
