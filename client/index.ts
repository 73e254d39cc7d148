/**
 * The client SDK of the topic webhook service, shaped after Momento's JavaScript SDK so that
 * code written for Momento's webhooks ports by changing an import and an endpoint. It depends
 * on nothing but Node's own `fetch` and `crypto`.
 */
export {
  WebhookClient,
  TopicClient,
  KeyClient,
  type PutWebhookCallOptions,
  type ListDeliveriesOptions,
  type CreateKeyOptions,
} from './clients.js';
export type { SubscribeCallOptions } from './subscription.js';
export type { ClientOptions, RetryOptions } from './transport.js';
export {
  PostUrlWebhookDestination,
  WebhookDestinationType,
  type WebhookDestination,
  type Webhook,
  type WebhookId,
} from './destination.js';
export {
  PutWebhook,
  ListWebhooks,
  DeleteWebhook,
  GetWebhookSecret,
  RotateWebhookSecret,
  ListDeliveries,
  TestWebhook,
  OutcomeKind,
  TopicPublish,
  TopicSubscribe,
  TopicItem,
  TopicDiscontinuity,
  TopicHeartbeat,
  CreateKey,
  ListKeys,
  RevokeKey,
  type ApiKeyInfo,
  type Delivery,
  type TestWebhookProps,
  type Permission,
  type WebhookSecretProps,
} from './responses.js';
export { SdkError, WebhookErrorCode, MomentoErrorCode } from './errors.js';
export {
  WebhookUtils,
  validateWebhookRequest,
  RequestValidation,
  type ValidateWebhookRequestProps,
  type WebhookRequestBody,
} from './webhook-utils.js';
