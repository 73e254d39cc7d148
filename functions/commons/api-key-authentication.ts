import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { InvalidArgumentError } from '#shared/errors.ts';
import { authenticate, authorize, credentialFromHeader } from '#shared/auth/principal.ts';
import type { ApiKeyRepository, Permission, Principal } from '#shared/auth/model.ts';
import { headerValue } from './api-request.ts';

export interface ApiKeyAuthenticationOptions {
  /** The permission the route needs. */
  permission: Permission;
  /** Publish alone also takes the key as `?token=`. */
  allowQueryToken: boolean;
  /** What authentication reads keys with; a function, so it is resolved per request (tests swap it). */
  deps: () => { apiKeys: Pick<ApiKeyRepository, 'get'>; devApiKey: string | undefined; now: () => number };
}

export type AuthenticatedContext = Context & { principal?: Principal };

/** How many times a header was sent, whatever its casing (API Gateway keeps each casing apart). */
function headerCount(event: APIGatewayProxyEvent, name: string): number {
  const count = (map: Record<string, unknown> | null | undefined, per: (v: unknown) => number) =>
    Object.entries(map ?? {}).reduce((n, [key, value]) => n + (key.toLowerCase() === name ? per(value) : 0), 0);
  return Math.max(
    count(event.multiValueHeaders, (v) => (Array.isArray(v) ? v.length : 0)),
    count(event.headers, (v) => (v === undefined ? 0 : 1)),
  );
}

/**
 * Authenticates the request's API key and checks the route's permission before the handler
 * runs: 400 for a key given twice over, 401 for a missing or invalid key, 403 without the
 * permission. The cache scope is checked once the path is validated (`api-handler.ts`).
 * See docs/design.md#authentication-and-keys.
 */
export function apiKeyAuthentication(
  options: ApiKeyAuthenticationOptions,
): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult, Error, AuthenticatedContext> {
  const apiKeyAuthenticationBefore: MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult, Error, AuthenticatedContext>['before'] =
    async (request) => {
      // An ambiguous credential is never guessed at: two of either is a 400.
      if (headerCount(request.event, 'authorization') > 1) {
        throw new InvalidArgumentError('give the API key once: the request has more than one Authorization header');
      }
      if ((request.event.multiValueQueryStringParameters?.token?.length ?? 0) > 1) {
        throw new InvalidArgumentError('give the API key once: the request has more than one token parameter');
      }
      const header = headerValue(request.event, 'authorization');
      const token = options.allowQueryToken ? request.event.queryStringParameters?.token : undefined;
      if (header !== undefined && token !== undefined) {
        throw new InvalidArgumentError('give the API key in the Authorization header or ?token=, not both');
      }
      const apiKey = token ?? (header === undefined ? undefined : credentialFromHeader(header));
      const principal = await authenticate(apiKey, options.deps());
      authorize(principal, options.permission);
      request.context.principal = principal;
    };
  return { before: apiKeyAuthenticationBefore };
}
