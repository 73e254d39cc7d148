import { publicApiHandler } from '#functions/commons/api-handler.ts';
import type { ApiRequest, ApiResponse } from '#functions/commons/api-request.ts';
import { ROUTE_NOT_FOUND_MESSAGE } from '#functions/routes.ts';
import { NotFoundError } from '#shared/errors.ts';
import { CONSOLE_ASSETS } from '../console/assets.generated.ts';

/**
 * Served with every console file. The page runs only its own script and style, talks only to
 * its own origin, cannot be framed, and sends no referrer (docs/console.md#security).
 */
export const CONSOLE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; '),
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  // The file names carry no content hash, so browsers revalidate each time; the ETag keeps that to a 304.
  'cache-control': 'no-cache',
};

/**
 * `GET /console` (the page) and `GET /console/{asset}` (its script, style and icon), without
 * authentication: the page holds no data, and asks for the key itself. The files are built into
 * console/assets.generated.ts (docs/console.md#how-it-is-served).
 */
export function serveConsole(request: ApiRequest): ApiResponse {
  const name = request.event.pathParameters?.asset ?? '';
  // `Object.hasOwn`: a name such as `constructor` is no asset.
  const asset = Object.hasOwn(CONSOLE_ASSETS, name) ? CONSOLE_ASSETS[name] : undefined;
  if (!asset) throw new NotFoundError(ROUTE_NOT_FOUND_MESSAGE);
  const headers = { ...CONSOLE_SECURITY_HEADERS, etag: asset.etag };
  if (request.header('if-none-match')?.split(/\s*,\s*/).includes(asset.etag)) return { statusCode: 304, headers, body: '' };
  return { statusCode: 200, headers: { ...headers, 'content-type': asset.contentType }, body: asset.body };
}

export const handler = publicApiHandler(async (request) => serveConsole(request));
