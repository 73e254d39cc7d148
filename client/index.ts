/**
 * The client SDK of the topic webhook service, shaped after Momento's JavaScript SDK so that
 * code written for Momento's webhooks ports by changing an import (and, with `.secret()`, a
 * pair of parentheses). It depends on nothing but Node's own `fetch` and `crypto`.
 */
export {
  WebhookClient,
  TopicClient,
  KeyClient,
  type PutWebhookCallOptions,
  type RotateWebhookSecretOptions,
  type ListDeliveriesOptions,
  type CreateKeyOptions,
} from './clients.js';
export {
  CredentialProvider,
  TopicConfiguration,
  TopicConfigurations,
  type CredentialProviderOptions,
  type EndpointOverrides,
  type EnvironmentVariableCredentialProviderProps,
  type StringCredentialProviderProps,
} from './configuration.js';
export type { SubscribeCallOptions } from './subscription.js';
export type { ClientOptions, RetryOptions } from './transport.js';
export {
  PostUrlWebhookDestination,
  WebhookDestinationType,
  type WebhookDestination,
  type Webhook,
  type WebhookId,
  type WebhookSettings,
} from './destination.js';
export {
  PutWebhook,
  PutWebhookResponse,
  ListWebhooks,
  ListWebhooksResponse,
  DeleteWebhook,
  DeleteWebhookResponse,
  GetWebhookSecret,
  GetWebhookSecretResponse,
  RotateWebhookSecret,
  RotateWebhookSecretResponse,
  ListDeliveries,
  ListDeliveriesResponse,
  TestWebhook,
  TestWebhookResponse,
  OutcomeKind,
  TopicPublish,
  TopicPublishResponse,
  TopicSubscribe,
  TopicSubscribeResponse,
  TopicItem,
  TopicDiscontinuity,
  TopicHeartbeat,
  CreateKey,
  CreateKeyResponse,
  ListKeys,
  ListKeysResponse,
  RevokeKey,
  RevokeKeyResponse,
  type ApiKeyInfo,
  type Delivery,
  type TestWebhookProps,
  type Permission,
  type WebhookSecretProps,
} from './responses.js';
export {
  SdkError,
  InvalidArgumentError,
  AuthenticationError,
  PermissionError,
  NotFoundError,
  LimitExceededError,
  InternalServerError,
  TimeoutError,
  ServerUnavailableError,
  UnknownServiceError,
  WebhookErrorCode,
  MomentoErrorCode,
} from './errors.js';
export {
  WebhookUtils,
  validateWebhookRequest,
  RequestValidation,
  type ValidateWebhookRequestProps,
  type WebhookRequestBody,
} from './webhook-utils.js';
