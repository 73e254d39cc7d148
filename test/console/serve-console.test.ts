import type { APIGatewayProxyResult } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { handler } from '#functions/serve-console.ts';
import { ROUTE_NOT_FOUND_MESSAGE } from '#functions/routes.ts';
import { CONSOLE_ASSETS } from '../../console/assets.generated.ts';
import { apiEvent, lambdaContext } from '../helpers/events.ts';

const page = (headers: Record<string, string> = {}) =>
  handler(apiEvent({ method: 'GET', resource: '/console', headers }), lambdaContext('serve-console')) as Promise<APIGatewayProxyResult>;
const asset = (name: string, headers: Record<string, string> = {}) =>
  handler(
    apiEvent({ method: 'GET', resource: '/console/{asset}', pathParameters: { asset: name }, headers }),
    lambdaContext('serve-console'),
  ) as Promise<APIGatewayProxyResult>;

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cache-control': 'no-cache',
};

describe('GET /console', () => {
  it('serves the page without a key, with a CSP that allows only its own script, style and API', async () => {
    const res = await page();
    expect(res.statusCode).toBe(200);
    expect(res.headers).toMatchObject({ ...SECURITY_HEADERS, 'content-type': 'text/html; charset=utf-8' });
    const csp = String(res.headers?.['content-security-policy']).split('; ');
    expect(csp).toEqual(
      expect.arrayContaining([
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
      ]),
    );
    expect(csp.join(' ')).not.toMatch(/unsafe-|\*|data:/);
    expect(res.body).toBe(CONSOLE_ASSETS['']!.body);
  });

  it('has no inline script or style, and references its assets relative to /console (so a stage prefix works)', async () => {
    const { body } = await page();
    expect(body).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    expect(body).not.toMatch(/<style|\sstyle=|\son\w+=/i);
    const references = [...body.matchAll(/\s(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(references.sort()).toEqual(['console/app.css', 'console/app.js', 'console/favicon.svg']);
  });
});

describe('GET /console/{asset}', () => {
  it.each([
    ['app.js', 'text/javascript; charset=utf-8'],
    ['app.css', 'text/css; charset=utf-8'],
    ['favicon.svg', 'image/svg+xml'],
  ])('serves %s as %s with the security headers', async (name, contentType) => {
    const res = await asset(name);
    expect(res.statusCode).toBe(200);
    expect(res.headers).toMatchObject({ ...SECURITY_HEADERS, 'content-type': contentType, etag: CONSOLE_ASSETS[name]!.etag });
    expect(res.body).toBe(CONSOLE_ASSETS[name]!.body);
  });

  it('answers 304 without a body when the ETag matches', async () => {
    const { etag } = CONSOLE_ASSETS['app.js']!;
    const res = await asset('app.js', { 'If-None-Match': `"other", ${etag}` });
    expect(res).toMatchObject({ statusCode: 304, body: '' });
    expect(res.headers).toMatchObject({ ...SECURITY_HEADERS, etag });
    expect((await asset('app.js', { 'If-None-Match': '"other"' })).statusCode).toBe(200);
  });

  it.each(['missing.js', 'constructor', '__proto__', 'index.html', '..%2Fpackage.json', 'app.js%00'])(
    'answers an unknown asset (%s) like an unknown route',
    async (name) => {
      const res = await asset(decodeURIComponent(name));
      expect(res.statusCode).toBe(404);
      expect(JSON.parse(res.body)).toEqual({ error: { code: 'NOT_FOUND_ERROR', message: ROUTE_NOT_FOUND_MESSAGE } });
    },
  );
});
