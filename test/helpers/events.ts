import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { lambdaContext as localLambdaContext } from '#local/lambda-context.ts';

/**
 * An API Gateway REST (v1) proxy event as AWS sends it: every body base64-encoded
 * (binaryMediaTypes all types), `path` and `pathParameters` percent-encoded as in the URL.
 * `pathParameters` are given decoded here.
 */
export function apiEvent(options: {
  method: string;
  resource: string;
  pathParameters?: Record<string, string>;
  headers?: Record<string, string>;
  query?: Record<string, string>;
  body?: string | Buffer;
}): APIGatewayProxyEvent {
  const pathParameters = options.pathParameters
    ? Object.fromEntries(Object.entries(options.pathParameters).map(([k, v]) => [k, encodeURIComponent(v)]))
    : null;
  const path = options.resource.replace(/\{(\w+)\}/g, (_, name: string) => pathParameters?.[name] ?? '');
  const body = options.body === undefined ? null : Buffer.from(options.body).toString('base64');
  const headers = options.headers ?? {};
  return {
    resource: options.resource,
    path,
    httpMethod: options.method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    queryStringParameters: options.query ?? null,
    multiValueQueryStringParameters: options.query
      ? Object.fromEntries(Object.entries(options.query).map(([k, v]) => [k, [v]]))
      : null,
    pathParameters,
    stageVariables: null,
    body,
    isBase64Encoded: body !== null,
    requestContext: {
      accountId: '000000000000',
      apiId: 'test',
      authorizer: undefined,
      protocol: 'HTTP/1.1',
      httpMethod: options.method,
      identity: { sourceIp: '127.0.0.1' } as APIGatewayProxyEvent['requestContext']['identity'],
      path,
      stage: 'test',
      requestId: 'req-test',
      requestTimeEpoch: Date.now(),
      resourceId: 'res',
      resourcePath: options.resource,
    },
  };
}

/** The context local mode gives its handlers, for handlers invoked directly. */
export const lambdaContext = (functionName = 'test'): Context =>
  localLambdaContext({ functionName, timeoutMs: 30_000, region: 'us-east-1' });
