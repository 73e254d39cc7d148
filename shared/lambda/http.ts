import middy, { type MiddlewareObj } from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { InvalidArgumentError, ServiceError } from '../errors.ts';
import { logger } from '../observability.ts';
import { authenticate, authorize, credentialFromHeader, type Principal } from '../auth/principal.ts';
import { cacheNameSchema, parseInput, type Permission } from '../validation.ts';
import { runtime } from '../runtime.ts';

/**
 * The HTTP side of every API function: the request as handlers see it, the middleware that
 * authenticates it, and the one place errors become `{"error":{"code","message"}}`.
 */
export interface ApiRequest {
  event: APIGatewayProxyEvent;
  /** The authenticated caller; absent only on routes without authentication. */
  principal: Principal;
  /** A path parameter, percent-decoded ('' when absent; the schemas reject it). */
  pathParameter(name: string): string;
  header(name: string): string | undefined;
  /** The raw body bytes (API Gateway sends them base64-encoded: binaryMediaTypes is *∕*). */
  body(): Buffer;
  /** The body as text, for JSON routes. */
  text(): string;
}

export type ApiResponse = APIGatewayProxyResult;

export function json(statusCode: number, body: unknown): ApiResponse {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

export const noContent = (): ApiResponse => ({ statusCode: 204, headers: {}, body: '' });

export interface RouteOptions {
  /** The permission the route needs; omit for an unauthenticated route (health). */
  permission?: Permission;
  /** Check the permission against the `cacheName` path parameter (validated first). */
  cacheScoped?: boolean;
  /** Publish alone also takes the key as `?token=` (§2). */
  allowQueryToken?: boolean;
}

type Handler = (request: ApiRequest) => Promise<ApiResponse>;
type RequestContext = { principal?: Principal };

/** Builds an API Gateway REST (v1) proxy handler for one route. */
export function apiHandler(options: RouteOptions, handle: Handler) {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context & RequestContext>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(errorResponses())
    .use(apiKeyAuthentication(options))
    .handler(async (event, context) => handle(toApiRequest(event, context.principal)));
}

/** Renders `ServiceError`s as their JSON; anything else is a logged, detail-free 500. */
export function errorResponses(): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  const errorResponsesOnError: MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult>['onError'] = async (
    request,
  ) => {
    const error = request.error;
    if (error instanceof ServiceError) {
      if (error.statusCode >= 500) logger.error('request failed', { code: error.code, message: error.message });
      request.response = json(error.statusCode, error.toJSON());
      return;
    }
    logger.error('unexpected error', { error: error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : String(error) });
    request.response = json(500, {
      error: { code: 'INTERNAL_SERVER_ERROR', message: 'the service could not complete the request' },
    });
  };
  return { onError: errorResponsesOnError };
}

/** Authenticates the API key and checks the route's permission before the handler runs (401, then 400/403). */
export function apiKeyAuthentication(
  options: RouteOptions,
): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context & RequestContext> {
  const apiKeyAuthenticationBefore: MiddlewareObj<
    APIGatewayProxyEvent,
    APIGatewayProxyResult,
    Error,
    Context & RequestContext
  >['before'] = async (request) => {
    if (!options.permission) return;
    const rt = runtime();
    const header = headerValue(request.event, 'authorization');
    const token = options.allowQueryToken ? request.event.queryStringParameters?.token : undefined;
    if (header !== undefined && token !== undefined) {
      throw new InvalidArgumentError('give the API key in the Authorization header or ?token=, not both');
    }
    const apiKey = token ?? (header === undefined ? undefined : credentialFromHeader(header));
    const principal = await authenticate(apiKey, rt);
    authorize(principal, options.permission);
    if (options.cacheScoped) {
      const cacheName = parseInput(cacheNameSchema, pathParameterOf(request.event, 'cacheName'), 'cacheName');
      authorize(principal, options.permission, cacheName);
    }
    request.context.principal = principal;
  };
  return { before: apiKeyAuthenticationBefore };
}

/**
 * Names travel URL-encoded in paths (§2), and a REST API (v1) proxy event carries its
 * `pathParameters` as they were in the URL, still percent-encoded (`test%2Balias` arrives
 * as is in LocalStack's parity snapshots recorded on AWS; HTTP APIs, v2, would decode it).
 * Decoded exactly once, here.
 */
function pathParameterOf(event: APIGatewayProxyEvent, name: string): string {
  const raw = event.pathParameters?.[name] ?? '';
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new InvalidArgumentError(`${name} is not valid percent-encoding`);
  }
}

const NO_PRINCIPAL: Principal = { keyId: null, permissions: [], caches: [], tokenId: null, expiresAt: null };

function toApiRequest(event: APIGatewayProxyEvent, principal: Principal | undefined): ApiRequest {
  let body: Buffer | undefined;
  const rawBody = () => {
    body ??= event.body ? Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8') : Buffer.alloc(0);
    return body;
  };
  return {
    event,
    principal: principal ?? NO_PRINCIPAL,
    pathParameter: (name) => pathParameterOf(event, name),
    header: (name) => headerValue(event, name),
    body: rawBody,
    text: () => rawBody().toString('utf8'),
  };
}

/** Header lookup ignoring case: API Gateway passes the client's casing through. */
function headerValue(event: APIGatewayProxyEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted && value !== undefined) return value;
  }
  return undefined;
}
