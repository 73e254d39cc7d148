import { loadConfig, type Config } from './config.ts';
import { createAwsClients, type AwsClients } from './aws-clients.ts';
import type { WebhookRepository } from './webhooks/model.ts';
import type { ApiKeyRepository } from './auth/model.ts';
import type { DeliveryQueue, SequenceCounter } from './publish/model.ts';
import type { DeliveryLedger } from './delivery/model.ts';
import type { DestinationPolicy } from './destination.ts';
import { WebhookStore } from './store/webhook-store.ts';
import { ApiKeyStore } from './store/api-key-store.ts';
import { SequenceStore } from './store/sequence-store.ts';
import { DeliveryStore } from './store/delivery-store.ts';
import { SqsDeliveryQueue } from './queue/delivery-queue.ts';
import { createWebhookSender, type ClosableWebhookSender } from './http/webhook-sender.ts';

/**
 * The composition root: configuration, AWS clients and the adapters behind each feature's
 * ports, built once per container and shared by every invocation. The only module that
 * knows both the features and the adapters. Local mode and tests configure it explicitly with
 * `configureRuntime` before the first request.
 */
export interface Runtime {
  config: Config;
  clients: AwsClients;
  webhooks: WebhookRepository;
  apiKeys: ApiKeyRepository;
  sequences: SequenceCounter;
  deliveries: DeliveryLedger;
  /** Present where `QUEUE_URL` is configured (publish); see `deliveryQueue`. */
  queue: DeliveryQueue | undefined;
  /** Outbound POSTs over kept-alive connections, reused across invocations. */
  sender: ClosableWebhookSender;
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
  clients?: AwsClients;
  /** Tests inject a sender with a resolver of their own (never connect to a refused address). */
  sender?: ClosableWebhookSender;
  now?: () => number;
}

export function createRuntime(options: RuntimeOptions = {}): Runtime {
  const config = loadConfig(options.env ?? process.env);
  const clients = options.clients ?? createAwsClients(config);
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
    queue: config.queueUrl
      ? new SqsDeliveryQueue(clients.sqs, config.queueUrl, config.publishSendConcurrency)
      : undefined,
    destinationPolicy,
    sender: options.sender ?? createWebhookSender({ policy: destinationPolicy, userAgent: config.userAgent }),
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

/** The delivery queue; a function that sends without `QUEUE_URL` is misconfigured and fails loudly. */
export function deliveryQueue(rt: Runtime): DeliveryQueue {
  if (!rt.queue) throw new Error('invalid configuration: QUEUE_URL is required by this function');
  return rt.queue;
}
