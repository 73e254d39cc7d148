/**
 * Error codes of the client, named as Momento's SDK names them (`MomentoErrorCode`), so code
 * that branches on `result.errorCode()` ports unchanged. The first six come from the service
 * (docs/design.md#errors); the others are decided by the client itself.
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
 * The error inside every `Error` result (`result.error`, `result.innerException()`): one
 * subclass per code, as in Momento's SDK (`result.innerException() instanceof NotFoundError`).
 * It is returned, never thrown, by the clients. Its message never contains the API key or a
 * secret.
 */
export abstract class SdkError extends Error {
  // Each class names itself (not `new.target.name`): a minifying bundler renames classes.
  abstract override readonly name: string;
  /** The Momento-style code. */
  abstract readonly code: WebhookErrorCode;
  /** The HTTP status the service answered, when it answered. */
  readonly httpStatus: number | undefined;

  constructor(message: string, httpStatus?: number) {
    super(message);
    this.httpStatus = httpStatus;
  }

  /** The code, as Momento's `SdkError.errorCode()` returns it. */
  errorCode(): WebhookErrorCode {
    return this.code;
  }
}

/** `INVALID_ARGUMENT_ERROR`: a name, URL, body or key field the service (or the client) refused. */
export class InvalidArgumentError extends SdkError {
  override readonly name = 'InvalidArgumentError';
  readonly code = WebhookErrorCode.INVALID_ARGUMENT_ERROR;
}
/** `AUTHENTICATION_ERROR`: missing, unknown, revoked or expired API key. */
export class AuthenticationError extends SdkError {
  override readonly name = 'AuthenticationError';
  readonly code = WebhookErrorCode.AUTHENTICATION_ERROR;
}
/** `PERMISSION_ERROR`: the key lacks the permission or the cache. */
export class PermissionError extends SdkError {
  override readonly name = 'PermissionError';
  readonly code = WebhookErrorCode.PERMISSION_ERROR;
}
/** `NOT_FOUND_ERROR`: unknown webhook or key, or subscriptions turned off. */
export class NotFoundError extends SdkError {
  override readonly name = 'NotFoundError';
  readonly code = WebhookErrorCode.NOT_FOUND_ERROR;
}
/** `LIMIT_EXCEEDED_ERROR`: a message too large, or too many webhooks in the cache. */
export class LimitExceededError extends SdkError {
  override readonly name = 'LimitExceededError';
  readonly code = WebhookErrorCode.LIMIT_EXCEEDED_ERROR;
}
/** `INTERNAL_SERVER_ERROR`: the service failed. */
export class InternalServerError extends SdkError {
  override readonly name = 'InternalServerError';
  readonly code = WebhookErrorCode.INTERNAL_SERVER_ERROR;
}
/** `TIMEOUT_ERROR`: the request did not complete within `requestTimeoutMs`. */
export class TimeoutError extends SdkError {
  override readonly name = 'TimeoutError';
  readonly code = WebhookErrorCode.TIMEOUT_ERROR;
}
/** `SERVER_UNAVAILABLE`: the service could not be reached, or a gateway answered 502/503/504. */
export class ServerUnavailableError extends SdkError {
  override readonly name = 'ServerUnavailableError';
  readonly code = WebhookErrorCode.SERVER_UNAVAILABLE;
}
/** `UNKNOWN_SERVICE_ERROR`: the service answered something this client does not understand. */
export class UnknownServiceError extends SdkError {
  override readonly name = 'UnknownServiceError';
  readonly code = WebhookErrorCode.UNKNOWN_SERVICE_ERROR;
}

const ERROR_CLASSES: Record<WebhookErrorCode, new (message: string, httpStatus?: number) => SdkError> = {
  INVALID_ARGUMENT_ERROR: InvalidArgumentError,
  AUTHENTICATION_ERROR: AuthenticationError,
  PERMISSION_ERROR: PermissionError,
  NOT_FOUND_ERROR: NotFoundError,
  LIMIT_EXCEEDED_ERROR: LimitExceededError,
  INTERNAL_SERVER_ERROR: InternalServerError,
  TIMEOUT_ERROR: TimeoutError,
  SERVER_UNAVAILABLE: ServerUnavailableError,
  UNKNOWN_SERVICE_ERROR: UnknownServiceError,
};

/** The error of `code`'s class. */
export function errorFor(code: WebhookErrorCode, message: string, httpStatus?: number): SdkError {
  return new ERROR_CLASSES[code](message, httpStatus);
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
