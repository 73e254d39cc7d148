import {
  ServerUnavailableError,
  TimeoutError,
  UnknownServiceError,
  WebhookErrorCode,
  codeForStatus,
  errorFor,
  isServiceCode,
  type SdkError,
} from './errors.js';
import { CredentialProvider, type TopicConfiguration } from './configuration.js';

/** Retries of idempotent calls (GET, PUT, DELETE). Publish, rotate and key creation are never retried. */
export interface RetryOptions {
  /**
   * Attempts in all, the first included; 1 turns retries off.
   * @default 3
   */
  maxAttempts?: number;
  /**
   * The first backoff ceiling; each retry doubles it, and the wait is drawn uniformly below it (full jitter).
   * @default 100
   */
  baseDelayMs?: number;
  /**
   * The largest backoff ceiling.
   * @default 2000
   */
  maxDelayMs?: number;
}

/**
 * What every client is constructed with: `endpoint` and `apiKey` (the API reference's way), or
 * Momento's `configuration` and `credentialProvider`.
 */
export interface ClientOptions {
  /**
   * The service's base URL: the stack output `ApiUrl` (with its stage path) or, in local mode,
   * `http://127.0.0.1:8080`. When omitted: the credential provider's
   * `endpointOverrides.baseEndpoint`, else the `TOPIC_WEBHOOKS_ENDPOINT` environment variable.
   */
  endpoint?: string;
  /** The API key, sent as `Authorization`; or give `credentialProvider`. It never appears in an error message. */
  apiKey?: string;
  /** The API key (and optionally the endpoint) as Momento's SDK takes them; or give `apiKey`. */
  credentialProvider?: CredentialProvider;
  /** Accepted for Momento's construction (`TopicConfigurations.Default.latest()`); it changes nothing. */
  configuration?: TopicConfiguration;
  /**
   * Time allowed for one attempt, response body included.
   * @default 10000
   */
  requestTimeoutMs?: number;
  /** @default { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 2000 } */
  retry?: RetryOptions;
  /**
   * The `user-agent` of requests.
   * @default 'topic-webhooks-client/1'
   */
  userAgent?: string;
}

/** One HTTP call as an operation describes it. */
export interface HttpCall {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  /** Path below the endpoint, each name already URL-encoded. */
  path: string;
  /** A JSON value to send, or raw text/bytes with `contentType`. */
  json?: unknown;
  raw?: string | Uint8Array;
  contentType?: string;
  /** Safe to send twice: only then is a failed attempt retried. */
  idempotent: boolean;
}

/** What one attempt of {@link Transport.sendOnce} may be given beyond the call. */
export interface AttemptOptions {
  /** Aborts the attempt (an unsubscribe); the outcome is then a failure nobody needs to read. */
  signal?: AbortSignal;
  /** Time allowed for this attempt instead of `requestTimeoutMs` (a long poll outlasts it). */
  timeoutMs?: number;
}

/** A 2xx answer; `body` is the parsed JSON, or undefined when the body was empty. */
export interface HttpSuccess {
  ok: true;
  status: number;
  body: unknown;
}
export interface HttpFailure {
  ok: false;
  error: SdkError;
}
export type HttpOutcome = HttpSuccess | HttpFailure;

/** How one attempt ended, and whether a later one might succeed. */
export interface Attempt {
  outcome: HttpOutcome;
  /** A later attempt might succeed: the network, a timeout, a 5xx, or a throttle without a service code. */
  transient: boolean;
}

/** Where the endpoint comes from when the code gives none, so Momento code ports by changing only its import. */
export const ENDPOINT_VARIABLE = 'TOPIC_WEBHOOKS_ENDPOINT';
const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_USER_AGENT = 'topic-webhooks-client/1';

/**
 * The HTTP core shared by the clients: one `fetch` per attempt with its own timeout, retries
 * with full-jitter exponential backoff for idempotent calls only, and every failure turned into
 * an `SdkError` value. It never throws for a service or network failure.
 */
export class Transport {
  readonly #base: string;
  readonly #origin: string;
  readonly #apiKey: string;
  readonly #timeoutMs: number;
  readonly #maxAttempts: number;
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #userAgent: string;

  /**
   * Throws a `TypeError` for a missing or malformed endpoint or key, or one given two ways: a
   * programming error, not a service failure.
   */
  constructor(options: ClientOptions) {
    const endpoint = endpointOf(options);
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      throw new TypeError('endpoint must be an absolute http or https URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new TypeError('endpoint must be an absolute http or https URL');
    }
    if (url.search || url.hash) throw new TypeError('endpoint must not have a query or fragment');
    const apiKey = apiKeyOf(options);
    // Keep a stage path such as `/prod`; drop trailing slashes so paths join with one.
    this.#base = url.href.replace(/\/+$/, '');
    this.#origin = url.origin;
    this.#apiKey = apiKey;
    this.#timeoutMs = positive(options.requestTimeoutMs, DEFAULT_TIMEOUT_MS, 'requestTimeoutMs');
    this.#maxAttempts = Math.floor(positive(options.retry?.maxAttempts, 3, 'retry.maxAttempts'));
    this.#baseDelayMs = nonNegative(options.retry?.baseDelayMs, 100, 'retry.baseDelayMs');
    this.#maxDelayMs = nonNegative(options.retry?.maxDelayMs, 2000, 'retry.maxDelayMs');
    this.#userAgent = options.userAgent ?? DEFAULT_USER_AGENT;
  }

  /** Time allowed for one attempt of an ordinary call. */
  get requestTimeoutMs(): number {
    return this.#timeoutMs;
  }

  /** Sends the call, retrying transient failures of idempotent calls. */
  async send(call: HttpCall): Promise<HttpOutcome> {
    for (let attempt = 1; ; attempt++) {
      const { outcome, transient } = await this.#attempt(call);
      if (outcome.ok || !transient || !call.idempotent || attempt >= this.#maxAttempts) return outcome;
      await sleep(this.backoffMs(attempt));
    }
  }

  /**
   * One attempt, never retried, for a caller with a retry policy of its own (a subscription,
   * which polls on until it is unsubscribed); `transient` says whether to try again.
   */
  sendOnce(call: HttpCall, options: AttemptOptions = {}): Promise<Attempt> {
    return this.#attempt(call, options);
  }

  /**
   * The wait before retry number `attempt` (1 for the first retry), with full jitter: uniform
   * in [0, min(maxDelayMs, baseDelayMs × 2^(attempt-1))).
   */
  backoffMs(attempt: number): number {
    const ceiling = Math.min(this.#maxDelayMs, this.#baseDelayMs * 2 ** (attempt - 1));
    return Math.floor(Math.random() * ceiling);
  }

  async #attempt(call: HttpCall, options: AttemptOptions = {}): Promise<Attempt> {
    const headers: Record<string, string> = {
      authorization: this.#apiKey,
      accept: 'application/json',
      'user-agent': this.#userAgent,
    };
    // ArrayBuffer-backed, as the DOM's `BodyInit` requires (the console bundles this file for the
    // browser and type-checks it so): a view of a SharedArrayBuffer is no valid body there.
    let body: string | Uint8Array<ArrayBuffer> | undefined;
    if (call.raw !== undefined) {
      body = call.raw as string | Uint8Array<ArrayBuffer>;
      headers['content-type'] = call.contentType ?? 'application/octet-stream';
    } else if (call.json !== undefined) {
      body = JSON.stringify(call.json);
      headers['content-type'] = 'application/json';
    }

    // One signal covers the whole attempt, reading the body included.
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
    let status: number;
    let text: string;
    try {
      // Redirects are not followed: the API never redirects, and a redirect must not carry the key elsewhere.
      const response = await fetch(this.#base + call.path, { method: call.method, headers, body, signal, redirect: 'manual' });
      status = response.status;
      text = await response.text();
    } catch (err) {
      return { outcome: { ok: false, error: this.#networkError(err, timeout, timeoutMs, options.signal) }, transient: true };
    }

    if (status >= 200 && status < 300) {
      if (text === '') return { outcome: { ok: true, status, body: undefined }, transient: false };
      try {
        return { outcome: { ok: true, status, body: JSON.parse(text) as unknown }, transient: false };
      } catch {
        return failure(WebhookErrorCode.UNKNOWN_SERVICE_ERROR, `the service answered ${status} with a body that is not JSON`, status, false);
      }
    }

    const serviceError = parseErrorBody(text);
    if (serviceError) {
      return failure(serviceError.code, serviceError.message, status, status >= 500);
    }
    const code = codeForStatus(status);
    // Without our error JSON a 429 is a gateway throttle, worth retrying; a 4xx of ours never is.
    const transient = status >= 500 || status === 429;
    return failure(code, `the service answered HTTP ${status}`, status, transient);
  }

  #networkError(err: unknown, timeout: AbortSignal, timeoutMs: number, caller: AbortSignal | undefined): SdkError {
    if (caller?.aborted && !timeout.aborted) {
      return new UnknownServiceError('the request was aborted by the caller');
    }
    if (timeout.aborted || (err instanceof Error && err.name === 'TimeoutError')) {
      return new TimeoutError(`the request did not complete within ${timeoutMs} ms`);
    }
    // undici puts the system error (ECONNREFUSED, ENOTFOUND, ...) in `cause`; report only its code.
    const cause = err instanceof Error ? (err.cause as { code?: unknown } | undefined) : undefined;
    const detail = typeof cause?.code === 'string' ? cause.code : 'network error';
    return new ServerUnavailableError(`could not reach the service at ${this.#origin} (${detail})`);
  }

}

/** The endpoint given one way or another; two ways at once is refused, never guessed between. */
function endpointOf(options: ClientOptions): string {
  const fromProvider = options?.credentialProvider?.getBaseEndpoint();
  if (options?.endpoint !== undefined && fromProvider !== undefined) {
    throw new TypeError('give endpoint or the credential provider\'s endpointOverrides, not both');
  }
  // `process` is absent in a browser bundle; the variable is then simply not set (as when empty).
  const fromEnvironment = (typeof process === 'undefined' ? undefined : process.env[ENDPOINT_VARIABLE]) || undefined;
  const endpoint = options?.endpoint ?? fromProvider ?? fromEnvironment;
  if (endpoint === undefined) throw new TypeError(`no endpoint: give endpoint, or set ${ENDPOINT_VARIABLE}`);
  if (typeof endpoint !== 'string') throw new TypeError('endpoint must be a URL string');
  return endpoint;
}

function apiKeyOf(options: ClientOptions): string {
  if (options.apiKey !== undefined && options.credentialProvider !== undefined) {
    throw new TypeError('give apiKey or credentialProvider, not both');
  }
  if (options.credentialProvider !== undefined && !(options.credentialProvider instanceof CredentialProvider)) {
    throw new TypeError('credentialProvider must come from CredentialProvider.fromString or fromEnvironmentVariable');
  }
  const apiKey = options.credentialProvider?.getAuthToken() ?? options.apiKey;
  if (typeof apiKey !== 'string' || apiKey.trim() === '') throw new TypeError('apiKey must be a non-empty string');
  return apiKey;
}

function failure(code: WebhookErrorCode, message: string, status: number, transient: boolean): Attempt {
  return { outcome: { ok: false, error: errorFor(code, message, status) }, transient };
}

/** The service's `{"error":{"code","message"}}`, or undefined for any other body. */
function parseErrorBody(text: string): { code: WebhookErrorCode; message: string } | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  const error = (parsed as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  if (!error || !isServiceCode(error.code)) return undefined;
  return { code: error.code, message: typeof error.message === 'string' && error.message ? error.message : error.code };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new TypeError(`${name} must be a positive number`);
  return value;
}

function nonNegative(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0) throw new TypeError(`${name} must be a non-negative number`);
  return value;
}
