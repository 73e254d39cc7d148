import { expect } from 'vitest';

/** A bare HTTP client for black-box tests: exact status, headers and body, nothing interpreted. */
export interface ApiResponse {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

export interface ApiCall {
  key?: string | null;
  /** A JSON value, sent as JSON. */
  body?: unknown;
  /** Raw bytes or text, sent as is. */
  raw?: string | Uint8Array;
  headers?: Record<string, string>;
}

export function apiClient(baseUrl: string, defaultKey?: string) {
  return async function call(method: string, path: string, options: ApiCall = {}): Promise<ApiResponse> {
    const headers: Record<string, string> = { ...options.headers };
    const key = options.key === undefined ? defaultKey : options.key;
    if (key) headers.authorization = key;
    let body: string | Uint8Array | undefined;
    if (options.raw !== undefined) body = options.raw;
    else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(baseUrl.replace(/\/$/, '') + path, { method, headers, body, redirect: 'manual' });
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, text, json };
  };
}

export type ApiCaller = ReturnType<typeof apiClient>;

/** `/webhooks/{cache}/{name}` with each name URL-encoded. */
export const webhookPath = (cache: string, name?: string, suffix = '') =>
  `/webhooks/${encodeURIComponent(cache)}${name === undefined ? '' : `/${encodeURIComponent(name)}`}${suffix}`;

/** The §2 error JSON with `code` and any non-empty message, for `toEqual`. */
export const errorBody = (code: string) => ({ error: { code, message: expect.stringMatching(/.+/) } });
