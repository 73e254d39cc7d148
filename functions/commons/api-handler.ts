import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { Permission, Principal } from '#shared/auth/model.ts';
import { authorize } from '#shared/auth/principal.ts';
import { logger } from '#shared/logger.ts';
import type { Runtime } from '#shared/runtime.ts';
import { apiKeyAuthentication, type AuthenticatedContext } from './api-key-authentication.ts';
import { errorResponses } from './error-responses.ts';
import { cacheNameOf, pathParameters, type PathContext } from './path-parameters.ts';
import { toApiRequest, type ApiRequest, type ApiResponse } from './api-request.ts';

export interface RouteOptions {
  /** The container's runtime, passed to the handler and to authentication. */
  runtime: () => Runtime;
  /** The permission the route needs. */
  permission: Permission;
  /** Check the permission against the `cacheName` path parameter too. */
  cacheScoped?: boolean;
  /** Publish alone also takes the key as `?token=`. */
  allowQueryToken?: boolean;
}

type Handler = (request: ApiRequest, rt: Runtime) => Promise<ApiResponse>;
type PublicHandler = (request: ApiRequest) => Promise<ApiResponse>;

const NO_PRINCIPAL: Principal = { keyId: null, permissions: [], caches: [], tokenId: null, expiresAt: null };

const baseChain = () =>
  middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, AuthenticatedContext & PathContext>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(errorResponses({ logger }));

/**
 * Builds an API Gateway REST (v1) proxy handler for one authenticated route: logger context,
 * error responses, API-key authentication (401/403), path parameters (400), the cache scope
 * (403), then the handler with the runtime.
 */
export function apiHandler(options: RouteOptions, handle: Handler) {
  const { permission } = options;
  return baseChain()
    .use(apiKeyAuthentication({ permission, allowQueryToken: options.allowQueryToken ?? false, deps: options.runtime }))
    .use(pathParameters())
    .handler(async (event, context) => {
      const request = toApiRequest(event, context.principal ?? NO_PRINCIPAL, context.path ?? {});
      if (options.cacheScoped) authorize(request.principal, permission, cacheNameOf(request));
      return handle(request, options.runtime());
    });
}

/** A route without authentication or runtime (health): the same logging and error responses. */
export function publicApiHandler(handle: PublicHandler) {
  return baseChain()
    .use(pathParameters())
    .handler(async (event, context) => handle(toApiRequest(event, NO_PRINCIPAL, context.path ?? {})));
}
