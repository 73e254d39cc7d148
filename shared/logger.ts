import { Logger } from '@aws-lambda-powertools/logger';
import { SERVICE_NAME } from './service-name.ts';

/**
 * The service name of logs and metrics. The stack sets `POWERTOOLS_SERVICE_NAME` to its own
 * name, so the `service` dimension of every metric (and the alarms on it) tells two stacks in
 * one account apart; local mode falls back to the service's name.
 */
export const serviceName = process.env.POWERTOOLS_SERVICE_NAME || SERVICE_NAME;

/** One logger per container: structured JSON lines, never a secret or an API key. */
export const logger = new Logger({ serviceName });
