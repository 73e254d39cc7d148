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
} from './clients.ts';
export type { SubscribeCallOptions } from './subscription.ts';
export type { ClientOptions, RetryOptions } from './transport.ts';
export {
  PostUrlWebhookDestination,
  WebhookDestinationType,
  type WebhookDestination,
  type Webhook,
  type WebhookId,
} from './destination.ts';
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
} from './responses.ts';
export { SdkError, WebhookErrorCode, MomentoErrorCode } from './errors.ts';
export {
  WebhookUtils,
  validateWebhookRequest,
  RequestValidation,
  type ValidateWebhookRequestProps,
  type WebhookRequestBody,
} from './webhook-utils.ts';
