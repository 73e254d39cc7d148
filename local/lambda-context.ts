import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

/** Local mode's stand-in for the account and region in ARNs; the emulators accept anything. */
export const LOCAL_ACCOUNT_ID = '000000000000';

/**
 * A Lambda-like invocation context for a handler called in-process. Local mode does not
 * enforce `timeoutMs` (Lambda would stop the invocation); it only reports the time left, as
 * `getRemainingTimeInMillis` does on AWS.
 */
export function lambdaContext(options: {
  functionName: string;
  timeoutMs: number;
  region: string;
  awsRequestId?: string;
  memoryLimitInMB?: number;
}): Context {
  const { functionName, region } = options;
  const deadline = Date.now() + options.timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${LOCAL_ACCOUNT_ID}:function:${functionName}`,
    memoryLimitInMB: String(options.memoryLimitInMB ?? 256),
    awsRequestId: options.awsRequestId ?? randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    // The callback-style completion methods are deprecated; our handlers are async.
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
