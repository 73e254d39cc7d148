/**
 * Error codes of the client, named as Momento's SDK names them (`MomentoErrorCode`), so code
 * that branches on `result.errorCode()` ports unchanged. The first six come from the service
 * (DESIGN §2); the others are decided by the client itself.
 */
export const WebhookErrorCode = {
  /** 400: a name, URL, body or key field the service (or the client) refused. */
  INVALID_ARGUMENT_ERROR: 'INVALID_ARGUMENT_ERROR',
  /** 401: missing, unknown, revoked or expired API key. */
  AUTHENTICATION_ERROR: 'AUTHENTICATION_ERROR',
  /** 403: the key lacks the permission or the cache. */
  PERMISSION_ERROR: 'PERMISSION_ERROR',
  /** 404: unknown webhook or key. */
  NOT_FOUND_ERROR: 'NOT_FOUND_ERROR',
  /** 413 (message too large) or 429 (webhooks per cache, throttling). */
  LIMIT_EXCEEDED_ERROR: 'LIMIT_EXCEEDED_ERROR',
  /** 500: the service failed; it never says why to the client. */
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
  /** Client side: the request did not complete within `requestTimeoutMs`. */
  TIMEOUT_ERROR: 'TIMEOUT_ERROR',
  /** Client side: the service could not be reached (refused, reset, DNS), or a gateway answered 502/503/504. */
  SERVER_UNAVAILABLE: 'SERVER_UNAVAILABLE',
  /** The service answered something this client does not understand. */
  UNKNOWN_SERVICE_ERROR: 'UNKNOWN_SERVICE_ERROR',
} as const;

/** One of {@link WebhookErrorCode}. */
export type WebhookErrorCode = (typeof WebhookErrorCode)[keyof typeof WebhookErrorCode];

/** The name Momento's SDK exports, for code that compares against `MomentoErrorCode.NOT_FOUND_ERROR`. */
export const MomentoErrorCode = WebhookErrorCode;
/** The name Momento's SDK exports. */
export type MomentoErrorCode = WebhookErrorCode;

/**
 * The error inside every `Error` result (`result.error`, `result.innerException()`). It is
 * returned, never thrown, by the clients. Its message never contains the API key or a secret.
 */
export class SdkError extends Error {
  override readonly name = 'SdkError';
  /** The Momento-style code. */
  readonly code: WebhookErrorCode;
  /** The HTTP status the service answered, when it answered. */
  readonly httpStatus: number | undefined;

  constructor(code: WebhookErrorCode, message: string, httpStatus?: number) {
    super(message);
    this.code = code;
    this.httpStatus = httpStatus;
  }

  /** The code, as Momento's `SdkError.errorCode()` returns it. */
  errorCode(): WebhookErrorCode {
    return this.code;
  }
}

const SERVICE_CODES = new Set<string>([
  WebhookErrorCode.INVALID_ARGUMENT_ERROR,
  WebhookErrorCode.AUTHENTICATION_ERROR,
  WebhookErrorCode.PERMISSION_ERROR,
  WebhookErrorCode.NOT_FOUND_ERROR,
  WebhookErrorCode.LIMIT_EXCEEDED_ERROR,
  WebhookErrorCode.INTERNAL_SERVER_ERROR,
]);

/** True for a code the service itself sends in `{"error":{"code"}}`. */
export function isServiceCode(code: unknown): code is WebhookErrorCode {
  return typeof code === 'string' && SERVICE_CODES.has(code);
}

/** The code for a status when the body carries none (an API Gateway or proxy answer). */
export function codeForStatus(status: number): WebhookErrorCode {
  switch (status) {
    case 400:
      return WebhookErrorCode.INVALID_ARGUMENT_ERROR;
    case 401:
      return WebhookErrorCode.AUTHENTICATION_ERROR;
    case 403:
      return WebhookErrorCode.PERMISSION_ERROR;
    case 404:
      return WebhookErrorCode.NOT_FOUND_ERROR;
    case 413:
    case 429:
      return WebhookErrorCode.LIMIT_EXCEEDED_ERROR;
    case 500:
      return WebhookErrorCode.INTERNAL_SERVER_ERROR;
    case 502:
    case 503:
    case 504:
      return WebhookErrorCode.SERVER_UNAVAILABLE;
    default:
      return WebhookErrorCode.UNKNOWN_SERVICE_ERROR;
  }
}
