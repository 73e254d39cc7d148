import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

/**
 * One logger and one metrics instance per container, sharing the service name. Log lines are
 * structured JSON; metrics are CloudWatch embedded metric format, flushed by the middleware.
 * Neither ever receives a secret or an API key.
 */
import { METRICS_NAMESPACE, SERVICE_NAME } from './service-name.ts';

export const logger = new Logger({ serviceName: SERVICE_NAME });
export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });
