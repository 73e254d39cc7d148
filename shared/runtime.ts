import { loadConfig, type Config } from './config.ts';
import { createAwsClients, type AwsClients } from './aws-clients.ts';
import { WebhookStore } from './store/webhook-store.ts';
import { ApiKeyStore } from './store/api-key-store.ts';
import { SequenceStore } from './store/sequence-store.ts';
import { DeliveryStore } from './store/delivery-store.ts';
import { DeliveryQueue } from './queue/delivery-queue.ts';
import type { DestinationPolicy } from './destination.ts';
import { createWebhookSender, type ClosableWebhookSender } from './delivery/http-sender.ts';

/**
 * The composition root: configuration, AWS clients and adapters, built once per container
 * (cold start) and shared by every invocation. Local mode and tests configure it explicitly
 * with `configureRuntime` before the first request.
 */
export interface Runtime {
  config: Config;
  clients: AwsClients;
  webhooks: WebhookStore;
  apiKeys: ApiKeyStore;
  sequences: SequenceStore;
  deliveries: DeliveryStore;
  /** Present where `QUEUE_URL` is configured (publish); see `deliveryQueue`. */
  queue: DeliveryQueue | undefined;
  /** Outbound POSTs over kept-alive connections, reused across invocations. */
  sender: ClosableWebhookSender;
  destinationPolicy: DestinationPolicy;
  /**
   * Local mode only (§6): a key accepted with every permission, never stored, listed or
   * revocable. Deployed functions never set it: nothing reads it from their environment.
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
  /** Tests inject a sender with a resolver of their own (§5: never connect to a refused address). */
  sender?: ClosableWebhookSender;
  now?: () => number;
}

let current: Runtime | undefined;

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
      ? new DeliveryQueue(clients.sqs, config.queueUrl, config.publishSendConcurrency)
      : undefined,
    destinationPolicy,
    sender: options.sender ?? createWebhookSender({ policy: destinationPolicy, userAgent: config.userAgent }),
    devApiKey: options.devApiKey,
    now: options.now ?? Date.now,
  };
}

/** The container's runtime, built from the environment on first use. */
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
