import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { MiddlewareObj } from '@middy/core';
import { InvalidArgumentError } from '#shared/errors.ts';
import { cacheNameSchema, parseInput, topicNameSchema, webhookNameSchema } from '#shared/validation.ts';
import type { WebhookIdentity } from '#shared/webhooks/model.ts';
import type { ApiRequest } from './api-request.ts';

/** The names a route's path may carry, decoded and validated; absent when the route has none. */
export interface PathNames {
  cacheName?: string;
  webhookName?: string;
  topicName?: string;
  /** Decoded only: the key operations validate it. */
  keyId?: string;
}

export type PathContext = Context & { path?: PathNames };

const SCHEMAS = { cacheName: cacheNameSchema, webhookName: webhookNameSchema, topicName: topicNameSchema } as const;

/**
 * Decodes and validates the route's path parameters once per request, into `context.path`
 * (400 naming a malformed one). Names travel URL-encoded in paths, and a REST API (v1) proxy
 * event carries its `pathParameters` as they were in the URL, still percent-encoded
 * (`test%2Balias` arrives as is in LocalStack's parity snapshots recorded on AWS; HTTP APIs,
 * v2, would decode it): decoded exactly once, here. See docs/design.md#http-api.
 */
export function pathParameters(): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult, Error, PathContext> {
  const pathParametersBefore: MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult, Error, PathContext>['before'] = (
    request,
  ) => {
    const raw = request.event.pathParameters ?? {};
    const path: PathNames = {};
    for (const name of ['cacheName', 'webhookName', 'topicName'] as const) {
      if (raw[name] !== undefined) path[name] = parseInput(SCHEMAS[name], decode(raw[name], name), name);
    }
    if (raw.keyId !== undefined) path.keyId = decode(raw.keyId, 'keyId');
    request.context.path = path;
  };
  return { before: pathParametersBefore };
}

function decode(raw: string | undefined, name: string): string {
  try {
    return decodeURIComponent(raw ?? '');
  } catch {
    throw new InvalidArgumentError(`${name} is not valid percent-encoding`);
  }
}

/** A name the route's path always has; its absence is a wiring mistake, not a client's. */
function required(request: ApiRequest, name: keyof PathNames): string {
  const value = request.path[name];
  if (value === undefined) throw new Error(`the route has no {${name}} path parameter`);
  return value;
}

export const cacheNameOf = (request: ApiRequest): string => required(request, 'cacheName');
export const topicNameOf = (request: ApiRequest): string => required(request, 'topicName');
export const keyIdOf = (request: ApiRequest): string => required(request, 'keyId');
export const webhookIdentityOf = (request: ApiRequest): WebhookIdentity => ({
  cacheName: required(request, 'cacheName'),
  webhookName: required(request, 'webhookName'),
});
