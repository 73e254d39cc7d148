/**
 * The HTTP routes of docs/design.md#http-api and the function that serves each. The CDK stack builds its REST API
 * from this list and local mode routes with it, so the two cannot drift apart.
 * Each name is a file `functions/<name>.ts` exporting `handler`.
 */
export const HTTP_FUNCTIONS = [
  'put-webhook',
  'list-webhooks',
  'delete-webhook',
  'get-webhook-secret',
  'rotate-webhook-secret',
  'list-deliveries',
  'test-webhook',
  'publish-message',
  'subscribe-topic',
  'create-key',
  'list-keys',
  'revoke-key',
  'health',
  'serve-console',
] as const;
export type HttpFunctionName = (typeof HTTP_FUNCTIONS)[number];

/** The SQS-triggered delivery function. */
export const DELIVERY_FUNCTION = 'deliver-messages' as const;

export type HttpMethod = 'GET' | 'PUT' | 'POST' | 'DELETE';

export interface HttpRoute {
  method: HttpMethod;
  /** API Gateway resource path, with `{param}` segments. */
  path: string;
  functionName: HttpFunctionName;
}

/**
 * What an unknown route or method answers, with `404 NOT_FOUND_ERROR`: the stack's gateway
 * responses and local mode's router use this same text.
 */
export const ROUTE_NOT_FOUND_MESSAGE = 'no route matches this method and path';

export const HTTP_ROUTES: readonly HttpRoute[] = [
  { method: 'GET', path: '/health', functionName: 'health' },
  { method: 'GET', path: '/console', functionName: 'serve-console' },
  { method: 'GET', path: '/console/{asset}', functionName: 'serve-console' },
  { method: 'GET', path: '/webhooks/{cacheName}', functionName: 'list-webhooks' },
  { method: 'PUT', path: '/webhooks/{cacheName}/{webhookName}', functionName: 'put-webhook' },
  { method: 'DELETE', path: '/webhooks/{cacheName}/{webhookName}', functionName: 'delete-webhook' },
  { method: 'GET', path: '/webhooks/{cacheName}/{webhookName}/secret', functionName: 'get-webhook-secret' },
  {
    method: 'POST',
    path: '/webhooks/{cacheName}/{webhookName}/secret/rotate',
    functionName: 'rotate-webhook-secret',
  },
  { method: 'GET', path: '/webhooks/{cacheName}/{webhookName}/deliveries', functionName: 'list-deliveries' },
  { method: 'POST', path: '/webhooks/{cacheName}/{webhookName}/test', functionName: 'test-webhook' },
  { method: 'POST', path: '/topics/{cacheName}/{topicName}', functionName: 'publish-message' },
  { method: 'GET', path: '/topics/{cacheName}/{topicName}', functionName: 'subscribe-topic' },
  { method: 'POST', path: '/keys', functionName: 'create-key' },
  { method: 'GET', path: '/keys', functionName: 'list-keys' },
  { method: 'DELETE', path: '/keys/{keyId}', functionName: 'revoke-key' },
];
