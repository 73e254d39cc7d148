import type { MiddlewareObj } from '@middy/core';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { ServiceError } from '#shared/errors.ts';
import { json } from './api-request.ts';

/**
 * The one place errors become HTTP: a `ServiceError` renders as its
 * `{"error":{"code","message"}}`; anything else is a logged, detail-free 500.
 * See docs/design.md#errors.
 */
export function errorResponses(options: { logger: Logger }): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  const { logger } = options;
  const errorResponsesOnError: MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult>['onError'] = async (request) => {
    const error = request.error;
    if (error instanceof ServiceError) {
      if (error.statusCode >= 500) logger.error('request failed', { code: error.code, message: error.message });
      request.response = json(error.statusCode, error.toJSON());
      return;
    }
    logger.error('unexpected error', {
      error: error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : String(error),
    });
    request.response = json(500, {
      error: { code: 'INTERNAL_SERVER_ERROR', message: 'the service could not complete the request' },
    });
  };
  return { onError: errorResponsesOnError };
}
