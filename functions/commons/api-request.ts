import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { Principal } from '#shared/auth/model.ts';
import type { PathNames } from './path-parameters.ts';

/** An API request as handlers see it: authenticated, its path names decoded and validated. */
export interface ApiRequest {
  event: APIGatewayProxyEvent;
  /** The authenticated caller; a principal without permissions on routes without authentication. */
  principal: Principal;
  /** The route's path parameters, decoded once and validated (see `path-parameters.ts`). */
  path: PathNames;
  header(name: string): string | undefined;
  /** A query string parameter, as API Gateway decoded it. */
  query(name: string): string | undefined;
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

/** Header lookup ignoring case: API Gateway passes the client's casing through. */
export function headerValue(event: APIGatewayProxyEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted && value !== undefined) return value;
  }
  return undefined;
}

export function toApiRequest(event: APIGatewayProxyEvent, principal: Principal, path: PathNames): ApiRequest {
  let body: Buffer | undefined;
  const rawBody = () => {
    body ??= event.body ? Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8') : Buffer.alloc(0);
    return body;
  };
  return {
    event,
    principal,
    path,
    header: (name) => headerValue(event, name),
    query: (name) => event.queryStringParameters?.[name] ?? undefined,
    body: rawBody,
    text: () => rawBody().toString('utf8'),
  };
}
