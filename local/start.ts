/**
 * `npm start`: the whole service on this machine (docs/design.md#local-mode).
 *
 *   PORT=8080 HOST=127.0.0.1 DEV_API_KEY=... npm start [-- --data-dir DIR]
 *
 * `--data-dir DIR` (or `LOCAL_DATA_DIR`) keeps DynamoDB data (webhooks, keys, sequence
 * numbers, delivery records) on disk between runs. On SIGINT/SIGTERM it stops accepting
 * requests, keeps delivering until the queue is empty or `LOCAL_DRAIN_SECONDS` (10) have
 * passed, then saves what is still queued to the data directory for the next start (without
 * one, it is dropped) and prints how many it drained, saved or dropped. Every other setting of the functions
 * (`MAX_WEBHOOKS_PER_CACHE`, ...) is read from the environment as on AWS.
 */
import { parseArgs } from 'node:util';

const startedAt = performance.now();
// The SDK warns on every start that future releases need Node 22; that is not news to a developer running it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// Embedded-metric-format blobs have no CloudWatch to go to here; the per-delivery log lines stay.
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

function fail(message: string): never {
  console.error(`local mode: ${message}`);
  process.exit(1);
}

function parsePort(value: string | undefined): number {
  if (value === undefined || value === '') return 8080;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`PORT must be an integer from 0 to 65535, not ${JSON.stringify(value)}`);
  return port;
}

let args;
try {
  args = parseArgs({ options: { 'data-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true });
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}
if (args.values.help) {
  console.log('usage: npm start [-- --data-dir DIR]\nenvironment: PORT (8080), HOST (127.0.0.1), DEV_API_KEY, LOCAL_DATA_DIR, LOCAL_DRAIN_SECONDS (10)');
  process.exit(0);
}

const dataDir = args.values['data-dir'] ?? (process.env.LOCAL_DATA_DIR || undefined);
const devApiKey = process.env.DEV_API_KEY || undefined;
const port = parsePort(process.env.PORT);
const host = process.env.HOST || '127.0.0.1';
const drainSeconds = parseDrainSeconds(process.env.LOCAL_DRAIN_SECONDS);

function parseDrainSeconds(value: string | undefined): number {
  if (value === undefined || value === '') return 10;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds < 0) fail(`LOCAL_DRAIN_SECONDS must be a number of seconds, 0 or more, not ${JSON.stringify(value)}`);
  return seconds;
}

const { startLocalService, formatStopReport } = await import('./service.ts');
let service: Awaited<ReturnType<typeof startLocalService>>;
try {
  service = await startLocalService({ port, host, devApiKey, dataDir, drainSeconds, accessLog: (line) => console.log(line) });
} catch (error) {
  fail(`could not start: ${error instanceof Error ? error.message : String(error)}`);
}

const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
// One write, so that whoever reads the banner from a pipe gets it whole.
console.log(
  [
    `topic-webhooks local mode ready in ${seconds} s`,
    `  URL:     ${service.url}`,
    `  console: ${service.url}/console`,
    // A key given in DEV_API_KEY is configuration the user already has: never echo it.
    service.mintedKey ? `  API key: ${service.apiKey}   (printed once; set DEV_API_KEY to choose your own)` : '  API key: using DEV_API_KEY',
    dataDir
      ? `  data:    ${dataDir} (DynamoDB on disk; queued deliveries saved there on stop)` +
        (service.restoredDeliveries > 0 ? `\n  queued:  ${service.restoredDeliveries} deliveries saved by the last run` : '')
      : '  data:    in memory (use --data-dir DIR to keep it)',
  ].join('\n'),
);

let shuttingDown = false;
async function shutdown(reason: string): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  console.log(`\n${reason}: stopping (delivering what is queued for up to ${drainSeconds} s)`);
  try {
    const report = await service.stop();
    console.log(formatStopReport(report));
    process.exit(0);
  } catch (error) {
    console.error(`local mode: stop failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
process.on('SIGINT', (s) => void shutdown(s));
process.on('SIGTERM', (s) => void shutdown(s));

// Under `npm start`, a signal sent to npm reaches the shell npm runs the script in, not always
// this process: on Linux, npm forwards SIGTERM to `sh -c`, which dies without passing it on,
// and this process would be left running as an orphan holding the port and the data directory.
// So when run from an npm script, the parent going away (this process reparented) is taken as
// SIGTERM. (Signals sent to this process, and Ctrl-C to the terminal's process group, arrive directly.)
if (process.env.npm_lifecycle_event) {
  const parent = process.ppid;
  const watch = setInterval(() => {
    if (process.ppid !== parent) {
      clearInterval(watch);
      void shutdown('npm exited');
    }
  }, 250);
  watch.unref();
}
