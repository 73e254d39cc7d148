/**
 * The one error hierarchy of the service. Every client-visible failure is a `ServiceError`
 * with a Momento-style code and an HTTP status; the HTTP layer renders it in one place
 * (`functions/commons/error-responses.ts`). Anything else is an internal error: logged, and answered
 * as a plain 500 without details.
 */
export type ErrorCode =
  | 'INVALID_ARGUMENT_ERROR'
  | 'AUTHENTICATION_ERROR'
  | 'PERMISSION_ERROR'
  | 'NOT_FOUND_ERROR'
  | 'LIMIT_EXCEEDED_ERROR'
  | 'INTERNAL_SERVER_ERROR';

export abstract class ServiceError extends Error {
  abstract readonly code: ErrorCode;
  abstract readonly statusCode: number;

  toJSON(): { error: { code: ErrorCode; message: string } } {
    return { error: { code: this.code, message: this.message } };
  }
}

export class InvalidArgumentError extends ServiceError {
  override readonly name = 'InvalidArgumentError';
  readonly code = 'INVALID_ARGUMENT_ERROR';
  readonly statusCode = 400;
}

export class AuthenticationError extends ServiceError {
  override readonly name = 'AuthenticationError';
  readonly code = 'AUTHENTICATION_ERROR';
  readonly statusCode = 401;
}

export class PermissionError extends ServiceError {
  override readonly name = 'PermissionError';
  readonly code = 'PERMISSION_ERROR';
  readonly statusCode = 403;
}

export class NotFoundError extends ServiceError {
  override readonly name = 'NotFoundError';
  readonly code = 'NOT_FOUND_ERROR';
  readonly statusCode = 404;
}

/** A request body above the configured maximum (413). */
export class PayloadTooLargeError extends ServiceError {
  override readonly name = 'PayloadTooLargeError';
  readonly code = 'LIMIT_EXCEEDED_ERROR';
  readonly statusCode = 413;
}

/** A quota such as webhooks per cache (429). */
export class LimitExceededError extends ServiceError {
  override readonly name = 'LimitExceededError';
  readonly code = 'LIMIT_EXCEEDED_ERROR';
  readonly statusCode = 429;
}

/** An internal failure we detected ourselves; its message is safe to show. */
export class InternalServerError extends ServiceError {
  override readonly name: string = 'InternalServerError';
  readonly code = 'INTERNAL_SERVER_ERROR';
  readonly statusCode = 500;
}

/** A publish the delivery queue did not take (counted as `PublishQueueFailures`, alarmed on). */
export class DeliveryQueueError extends InternalServerError {
  override readonly name = 'DeliveryQueueError';
}
