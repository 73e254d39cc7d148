// A stand-in for a Lambda container, run as its own Node process by the bundle tests: it
// imports built bundles (`<dir>/<function>/index.mjs`) the way the Lambda runtime does and
// invokes their handlers with the events its parent sends over IPC. Each bundle carries its
// own copy of the code, as each function does on AWS. Plain JavaScript: it runs under plain
// `node`, like the bundles themselves.
import { randomUUID } from 'node:crypto';
import process from 'node:process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [bundleDir] = process.argv.slice(2);
const handlers = new Map();

async function handlerOf(name) {
  if (!handlers.has(name)) {
    const module = await import(pathToFileURL(path.join(bundleDir, name, 'index.mjs')).href);
    if (typeof module.handler !== 'function') throw new Error(`${name} exports no handler`);
    handlers.set(name, module.handler);
  }
  return handlers.get(name);
}

const context = (functionName) => ({
  callbackWaitsForEmptyEventLoop: true,
  functionName,
  functionVersion: '$LATEST',
  invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
  memoryLimitInMB: '256',
  awsRequestId: randomUUID(),
  logGroupName: `/aws/lambda/${functionName}`,
  logStreamName: 'bundle-test',
  getRemainingTimeInMillis: () => 30_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
});

process.on('message', async ({ id, name, event }) => {
  try {
    const handler = await handlerOf(name);
    const result = event === undefined ? null : await handler(event, context(name));
    process.send({ id, result });
  } catch (error) {
    process.send({ id, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
  }
});
process.send({ ready: true });
