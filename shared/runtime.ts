import { loadConfig, type Config } from './config.ts';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { createDynamoClient } from './aws-clients.ts';
import type { WebhookRepository } from './webhooks/model.ts';
import type { ApiKeyRepository } from './auth/model.ts';
import type { SequenceCounter } from './publish/model.ts';
import type { ClosableWebhookSender, DeliveryLedger, RateLimiter } from './delivery/model.ts';
import type { DestinationPolicy } from './destination.ts';
import type { MessageLog, TopicSignal } from './subscriptions/model.ts';
import { pollingTopicSignal } from './subscriptions/topic-signal.ts';
import { WebhookStore } from './store/webhook-store.ts';
import { ApiKeyStore } from './store/api-key-store.ts';
import { SequenceStore } from './store/sequence-store.ts';
import { DeliveryStore } from './store/delivery-store.ts';
import { MessageLogStore } from './store/message-log-store.ts';
import { RateLimitStore } from './store/rate-limit-store.ts';

/**
 * The composition root: configuration, the DynamoDB client and the adapters behind each
 * feature's ports, built once per container and shared by every invocation. The only module
 * that knows both the features and the adapters. The two adapters only some functions need —
 * the SQS delivery queue (publish) and the outbound sender (delivery, ping) — are built on
 * first use by `functions/commons/` (so other bundles leave their code out), or given here by
 * local mode and tests. Local mode and tests configure it with `configureRuntime` before the
 * first request.
 */
export interface Runtime {
  config: Config;
  clients: { dynamo: DynamoDBDocumentClient; sqs?: SQSClient };
  webhooks: WebhookRepository;
  apiKeys: ApiKeyRepository;
  sequences: SequenceCounter;
  deliveries: DeliveryLedger;
  /** Per-webhook rate limits, shared by every delivery function. */
  rateLimits: RateLimiter;
  /** The topics' message log (subscriptions). */
  log: MessageLog;
  /** Wakes waiting subscribers: at once in local mode, by polling on AWS. */
  signal: TopicSignal;
  /** Given by local mode and tests; otherwise `webhookSenderOf` builds it on first use. */
  sender: ClosableWebhookSender | undefined;
  destinationPolicy: DestinationPolicy;
  /**
   * Local mode only: a key accepted with every permission, never stored, listed or revocable.
   * Deployed functions never set it: nothing reads it from their environment.
   */
  devApiKey: string | undefined;
  now: () => number;
}

export interface RuntimeOptions {
  env?: NodeJS.ProcessEnv;
  devApiKey?: string;
  /** Local mode accepts `http` destinations on loopback. */
  allowLoopbackHttp?: boolean;
  clients?: { dynamo: DynamoDBDocumentClient; sqs?: SQSClient };
  /** Local mode wakes subscribers in-process; the default polls. */
  topicSignal?: TopicSignal;
  /** Tests inject a sender with a resolver of their own (never connect to a refused address). */
  sender?: ClosableWebhookSender;
  now?: () => number;
}

export function createRuntime(options: RuntimeOptions = {}): Runtime {
  const config = loadConfig(options.env ?? process.env);
  const clients = options.clients ?? { dynamo: createDynamoClient(config) };
  const destinationPolicy: DestinationPolicy = {
    allowLoopbackHttp: options.allowLoopbackHttp ?? false,
    allowlist: config.destinationAllowlist,
  };
  return {
    config,
    clients,
    webhooks: new WebhookStore(clients.dynamo, config.tableName),
    apiKeys: new ApiKeyStore(clients.dynamo, config.tableName),
    sequences: new SequenceStore(clients.dynamo, config.tableName),
    deliveries: new DeliveryStore(clients.dynamo, config.tableName, config.deliveryRecordTtlSeconds),
    rateLimits: new RateLimitStore(clients.dynamo, config.tableName),
    log: new MessageLogStore(clients.dynamo, config.tableName),
    signal: options.topicSignal ?? pollingTopicSignal,
    destinationPolicy,
    sender: options.sender,
    devApiKey: options.devApiKey,
    now: options.now ?? Date.now,
  };
}

// In a Lambda container the runtime is built while the module loads (the init phase), so a
// misconfigured function fails at cold start, before any request. Elsewhere (local mode,
// tests) it is configured explicitly, or built from the environment on first use.
let current: Runtime | undefined = process.env.AWS_LAMBDA_FUNCTION_NAME ? createRuntime() : undefined;

/** The container's runtime. */
export function runtime(): Runtime {
  current ??= createRuntime();
  return current;
}

/** Replaces the container's runtime (local mode, tests). */
export function configureRuntime(options: RuntimeOptions): Runtime {
  current = createRuntime(options);
  return current;
}
