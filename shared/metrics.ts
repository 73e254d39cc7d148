import { Metrics } from '@aws-lambda-powertools/metrics';
import { METRICS_NAMESPACE } from './service-name.ts';
import { serviceName } from './logger.ts';

/**
 * One metrics instance per container, in CloudWatch embedded metric format, flushed by the
 * functions that emit metrics (publish, delivery). Its own module, so bundles that emit none
 * leave Powertools Metrics out.
 */
export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName });
