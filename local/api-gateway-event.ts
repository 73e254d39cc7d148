import { randomUUID } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { ROUTE_NOT_FOUND_MESSAGE, type HttpRoute } from '#functions/routes.ts';
import { lambdaContext, LOCAL_ACCOUNT_ID } from './lambda-context.ts';

/**
 * Local mode's API Gateway: turns a node:http request into the REST API (v1) proxy event
 * the functions receive on AWS, calls the route's handler in-process, and writes its
 * proxy result back. It knows routes, not handlers: which function serves a route is the
 * caller's business.
 *
 * What it reproduces from API Gateway (REST, Lambda proxy integration, binaryMediaTypes `*∕*`):
 * - `path` is the raw, still-encoded path, and so are `pathParameters`: the raw segments, so an
 *   encoded `%2F` stays inside its segment (the functions decode them);
 * - `queryStringParameters` are decoded; a repeated name keeps its last value there and every
 *   value in `multiValueQueryStringParameters`; both are `null` without a query;
 * - headers keep the client's casing; a repeated header keeps its last value in `headers`;
 * - every non-empty body arrives base64-encoded with `isBase64Encoded: true`, no body as `null`;
 * - request bodies above 10 MiB are refused (413).
 * What it does not: the stage prefix in URLs, API Gateway's added `X-Forwarded-*` and
 * CloudFront headers, the 29 s integration timeout.
 */

/** The handler of one route, as the functions export it. */
export type ApiGatewayHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/** API Gateway's own cap on request payloads. */
export const MAX_REQUEST_BODY_BYTES = 10 * 1024 * 1024;

/** The stage name events carry in local mode. */
export const LOCAL_STAGE = 'local';

/** A route found for a request, or why none was. */
export type RouteMatch =
  | { kind: 'matched'; route: HttpRoute; pathParameters: Record<string, string> | null }
  | { kind: 'not-found'; message: string };

interface CompiledRoute {
  route: HttpRoute;
  /** A literal segment, or `{ param }` for a `{param}` segment. */
  segments: (string | { param: string })[];
  literalCount: number;
}

const compiledCache = new WeakMap<readonly HttpRoute[], CompiledRoute[]>();

function compile(routes: readonly HttpRoute[]): CompiledRoute[] {
  let compiled = compiledCache.get(routes);
  if (!compiled) {
    compiled = routes.map((route) => {
      const segments = route.path
        .split('/')
        .slice(1)
        .map((s) => {
          const m = /^\{(\w+)\}$/.exec(s);
          return m ? { param: m[1]! } : s;
        });
      return { route, segments, literalCount: segments.filter((s) => typeof s === 'string').length };
    });
    compiledCache.set(routes, compiled);
  }
  return compiled;
}

/**
 * Finds the route of `method` and `rawPath` (the path as received, still percent-encoded).
 * Segments are matched undecoded, so `%2F` never splits a segment; literal segments
 * win over `{param}` segments, as in API Gateway. A path that exists under another method is
 * still not found (404), as docs/design.md#http-api asks.
 */
export function matchRoute(routes: readonly HttpRoute[], method: string, rawPath: string): RouteMatch {
  const segments = rawPath.split('/').slice(1);
  const candidates = compile(routes).filter(
    (c) =>
      rawPath.startsWith('/') &&
      c.segments.length === segments.length &&
      c.segments.every((s, i) => (typeof s === 'string' ? s === segments[i] : segments[i] !== '')),
  );
  if (candidates.length === 0) return { kind: 'not-found', message: ROUTE_NOT_FOUND_MESSAGE };
  const withMethod = candidates
    .filter((c) => c.route.method === method)
    .sort((a, b) => b.literalCount - a.literalCount)[0];
  if (!withMethod) return { kind: 'not-found', message: ROUTE_NOT_FOUND_MESSAGE };

  const pathParameters: Record<string, string> = {};
  for (const [i, s] of withMethod.segments.entries()) {
    if (typeof s !== 'string') pathParameters[s.param] = segments[i]!;
  }
  return {
    kind: 'matched',
    route: withMethod.route,
    pathParameters: Object.keys(pathParameters).length > 0 ? pathParameters : null,
  };
}

/** Splits a request target into its raw path and raw query (without `?`). */
export function splitTarget(target: string): { rawPath: string; rawQuery: string } {
  let t = target;
  // Absolute-form targets (`GET http://host/path`), as proxies send them.
  if (!t.startsWith('/')) {
    try {
      const u = new URL(t);
      t = u.pathname + u.search;
    } catch {
      return { rawPath: t, rawQuery: '' };
    }
  }
  const q = t.indexOf('?');
  return q === -1 ? { rawPath: t, rawQuery: '' } : { rawPath: t.slice(0, q), rawQuery: t.slice(q + 1) };
}

function decodeQueryComponent(s: string): string {
  const plus = s.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(plus);
  } catch {
    // API Gateway passes what it cannot decode through; so do we.
    return plus;
  }
}

/** Decoded query parameters in API Gateway's two shapes (`null` when there are none). */
export function parseQuery(rawQuery: string): Pick<
  APIGatewayProxyEvent,
  'queryStringParameters' | 'multiValueQueryStringParameters'
> {
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (const pair of rawQuery.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = decodeQueryComponent(eq === -1 ? pair : pair.slice(0, eq));
    const value = eq === -1 ? '' : decodeQueryComponent(pair.slice(eq + 1));
    if (name === '') continue;
    single[name] = value;
    (multi[name] ??= []).push(value);
  }
  const any = Object.keys(single).length > 0;
  return { queryStringParameters: any ? single : null, multiValueQueryStringParameters: any ? multi : null };
}

/** Headers as received (casing kept), in API Gateway's two shapes. */
export function headersOf(rawHeaders: readonly string[]): Pick<APIGatewayProxyEvent, 'headers' | 'multiValueHeaders'> {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    const value = rawHeaders[i + 1]!;
    headers[name] = value;
    (multiValueHeaders[name] ??= []).push(value);
  }
  return { headers, multiValueHeaders };
}

/** What the event is built from: the parts of a request that matter, already read. */
export interface ReceivedRequest {
  method: string;
  /** The request target as received (`/path?query`). */
  target: string;
  rawHeaders: readonly string[];
  body: Buffer;
  sourceIp: string;
  httpVersion: string;
  requestId: string;
  receivedAt: number;
}

/** The proxy event of a matched request. */
export function toApiGatewayEvent(
  request: ReceivedRequest,
  match: Extract<RouteMatch, { kind: 'matched' }>,
): APIGatewayProxyEvent {
  const { rawPath, rawQuery } = splitTarget(request.target);
  const { headers, multiValueHeaders } = headersOf(request.rawHeaders);
  const hostHeader = Object.entries(headers).find(([k]) => k.toLowerCase() === 'host')?.[1];
  const userAgent = Object.entries(headers).find(([k]) => k.toLowerCase() === 'user-agent')?.[1] ?? null;
  const hasBody = request.body.length > 0;
  return {
    resource: match.route.path,
    path: rawPath,
    httpMethod: request.method,
    headers,
    multiValueHeaders,
    ...parseQuery(rawQuery),
    pathParameters: match.pathParameters,
    stageVariables: null,
    // binaryMediaTypes is */* on the stack, so API Gateway hands every body over base64-encoded.
    body: hasBody ? request.body.toString('base64') : null,
    isBase64Encoded: hasBody,
    requestContext: {
      accountId: LOCAL_ACCOUNT_ID,
      apiId: 'local',
      authorizer: undefined,
      domainName: hostHeader,
      domainPrefix: hostHeader?.split('.')[0],
      extendedRequestId: request.requestId,
      httpMethod: request.method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: request.sourceIp,
        user: null,
        userAgent,
        userArn: null,
      },
      // On the execute-api domain, API Gateway prefixes the stage here.
      path: `/${LOCAL_STAGE}${rawPath}`,
      protocol: `HTTP/${request.httpVersion}`,
      requestId: request.requestId,
      requestTime: formatRequestTime(request.receivedAt),
      requestTimeEpoch: request.receivedAt,
      resourceId: 'local',
      resourcePath: match.route.path,
      stage: LOCAL_STAGE,
    },
  };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** API Gateway's CLF-style `requestTime`, e.g. `09/Apr/2015:12:34:56 +0000`. */
function formatRequestTime(epochMs: number): string {
  const d = new Date(epochMs);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

export interface ApiGatewayListenerOptions {
  routes: readonly HttpRoute[];
  /** The handler serving a function (by the route's `functionName`). */
  handlerFor: (functionName: string) => ApiGatewayHandler | Promise<ApiGatewayHandler>;
  /** @default 'us-east-1' */
  region?: string;
  /** @default MAX_REQUEST_BODY_BYTES */
  maxBodyBytes?: number;
  /** The time a handler is told it has (`getRemainingTimeInMillis`); not enforced. @default 29 s, API Gateway's integration timeout */
  timeoutMs?: number;
  /** Told about every failed invocation (the client gets a detail-free 500). */
  onHandlerError?: (error: unknown, route: HttpRoute) => void;
}

/** A node:http request listener that serves `routes` as API Gateway would. */
export function createApiGatewayListener(options: ApiGatewayListenerOptions): RequestListener {
  const maxBodyBytes = options.maxBodyBytes ?? MAX_REQUEST_BODY_BYTES;
  const region = options.region ?? 'us-east-1';
  const timeoutMs = options.timeoutMs ?? 29_000;

  return function apiGatewayListener(req, res) {
    const requestId = randomUUID();
    const receivedAt = Date.now();
    const method = req.method ?? 'GET';
    const { rawPath } = splitTarget(req.url ?? '/');
    const match = matchRoute(options.routes, method, rawPath);

    if (match.kind !== 'matched') {
      // Nothing will read the body: Node discards it once the response is sent.
      sendError(res, requestId, 404, 'NOT_FOUND_ERROR', match.message);
      return;
    }

    readBody(req, maxBodyBytes).then(
      async (body) => {
        if (body === 'too-large') {
          sendError(res, requestId, 413, 'LIMIT_EXCEEDED_ERROR', `request bodies are limited to ${maxBodyBytes} bytes`);
          return;
        }
        const event = toApiGatewayEvent(
          {
            method,
            target: req.url ?? '/',
            rawHeaders: req.rawHeaders,
            body,
            sourceIp: sourceIpOf(req),
            httpVersion: req.httpVersion,
            requestId,
            receivedAt,
          },
          match,
        );
        const functionName = match.route.functionName;
        let result: unknown;
        try {
          const handler = await options.handlerFor(functionName);
          result = await handler(event, lambdaContext({ functionName, timeoutMs, region, awsRequestId: requestId }));
        } catch (error) {
          options.onHandlerError?.(error, match.route);
          sendInternalError(res, requestId);
          return;
        }
        writeResult(res, requestId, result, () => options.onHandlerError?.(new Error('malformed proxy result'), match.route));
      },
      () => {
        // The client went away mid-body: nobody to answer.
        res.destroy();
      },
    );
  };
}

function sourceIpOf(req: IncomingMessage): string {
  const ip = req.socket.remoteAddress ?? '127.0.0.1';
  return ip.startsWith('::ffff:') ? ip.slice('::ffff:'.length) : ip;
}

/**
 * Reads the body up to `limit` bytes; past it, stops keeping bytes and resolves
 * `'too-large'`. A declared `content-length` above the limit is refused before reading.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    discard(req, limit);
    return Promise.resolve('too-large');
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        discard(req, limit);
        resolve('too-large');
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const onClose = () => {
      if (!req.complete) onError(new Error('request aborted'));
    };
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

/**
 * Drains the rest of a refused body without keeping it, so the client reads our 413 instead
 * of a connection reset; a client that keeps sending far past the limit is cut off.
 */
function discard(req: IncomingMessage, limit: number): void {
  let drained = 0;
  req.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > 4 * limit) req.destroy();
  });
  req.on('error', () => undefined);
  req.resume();
}

function sendError(res: ServerResponse, requestId: string, status: number, code: string, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ error: { code, message } });
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'x-amzn-RequestId': requestId,
  });
  res.end(body);
}

function sendInternalError(res: ServerResponse, requestId: string): void {
  sendError(res, requestId, 500, 'INTERNAL_SERVER_ERROR', 'the service could not complete the request');
}

function isProxyResult(value: unknown): value is APIGatewayProxyResult {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    Number.isInteger(v.statusCode) &&
    (v.statusCode as number) >= 100 &&
    (v.statusCode as number) <= 599 &&
    (v.body === undefined || v.body === null || typeof v.body === 'string')
  );
}

/**
 * Writes a proxy result as API Gateway does: `headers` and `multiValueHeaders` merged (for a
 * name in both, the multi-value list wins), the body base64-decoded when flagged.
 */
function writeResult(res: ServerResponse, requestId: string, result: unknown, onMalformed: () => void): void {
  if (!isProxyResult(result)) {
    onMalformed();
    sendInternalError(res, requestId);
    return;
  }
  const merged = new Map<string, string[]>();
  for (const [name, value] of Object.entries(result.headers ?? {})) merged.set(name, [String(value)]);
  for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) {
    merged.set(
      name,
      values.map((v) => String(v)),
    );
  }
  const rawBody = (result.body as string | null | undefined) ?? '';
  const body = result.isBase64Encoded ? Buffer.from(rawBody, 'base64') : Buffer.from(rawBody, 'utf8');
  res.statusCode = result.statusCode;
  for (const [name, values] of merged) res.setHeader(name, values);
  res.setHeader('x-amzn-RequestId', requestId);
  const bodyless = result.statusCode === 204 || result.statusCode === 304 || result.statusCode < 200;
  if (!bodyless) res.setHeader('content-length', body.length);
  res.end(bodyless ? undefined : body);
}
