#!/usr/bin/env node
/**
 * `topic-webhooks`, the command-line tool of the client package: every webhook operation,
 * publish and subscribe, for operators and shell scripts. Human-readable tables by default,
 * `--json` for scripts; any failure is one line on stderr and a non-zero exit. The API key is
 * never printed; secrets only by the commands that exist to show them (put, secret, rotate).
 */
import { createRequire } from 'node:module';
import { Command, InvalidArgumentError as UsageError, Option } from 'commander';
import { TopicClient } from './clients.js';
import type { Webhook } from './destination.js';
import { SdkError } from './errors.js';
import {
  DeleteWebhook,
  GetWebhookSecret,
  ListDeliveries,
  ListWebhooks,
  PutWebhook,
  RotateWebhookSecret,
  TestWebhook,
  TopicPublish,
  TopicSubscribe,
  type Delivery,
  type TopicDiscontinuity,
  type TopicItem,
} from './responses.js';
import { ENDPOINT_VARIABLE } from './transport.js';

const API_KEY_VARIABLE = 'TOPIC_WEBHOOKS_API_KEY';
const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

/** The options every command has. */
interface GlobalOptions {
  endpoint?: string;
  apiKey?: string;
  json?: boolean;
}

/** A failure the tool reports as its one line on stderr. */
class CliFailure extends Error {}

/** The error of a failed result, as its one line: the code, then the service's sentence. */
const failure = (result: { error: SdkError }) => new CliFailure(`${result.error.code}: ${result.error.message}`);

function integer(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max) throw new UsageError(`must be a whole number from ${min} to ${max}`);
    return n;
  };
}

/**
 * `--rate-limit`: a number of POSTs per second, or `none` to remove the limit. `none` stays a
 * string here (commander turns a parsed null into ''); the action maps it to null.
 */
function rateLimit(value: string): number | 'none' {
  return value === 'none' ? value : integer(1, 1000)(value);
}

const ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
/**
 * Names and messages may hold any character: in human output, control characters are shown
 * escaped, so that what the service stores can never move the cursor or recolour the
 * operator's terminal. `--json` output escapes them already.
 */
const printable = (text: string) =>
  text.replace(/\p{Cc}/gu, (c) => ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** A plain-text table: a header row and columns padded to their widest cell. */
function table(header: string[], unsafeRows: string[][]): string {
  const rows = unsafeRows.map((r) => r.map(printable));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

/** Two columns, one field a line: for a single record. */
function fields(pairs: [string, string | undefined][]): string {
  const shown = pairs.filter((p): p is [string, string] => p[1] !== undefined).map(([k, v]): [string, string] => [k, printable(v)]);
  const width = Math.max(...shown.map(([k]) => k.length));
  return shown.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n') + '\n';
}

// The service lists a setting only when it is not its default (off, no limit).
const rateLimitText = (w: Webhook) => (w.rateLimitPerSecond == null ? 'none' : `${w.rateLimitPerSecond}/s`);
const standardText = (w: Webhook) => (w.standardWebhooks ? 'on' : 'off');

function deliveryRow(d: Delivery): string[] {
  return [
    new Date(d.attemptedAt).toISOString(),
    String(d.topicSequenceNumber),
    d.outcome,
    d.statusCode === null ? '-' : String(d.statusCode),
    `${d.latencyMs} ms`,
    d.test ? 'test' : '',
  ];
}

async function readStdin(): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const out = (text: string) => process.stdout.write(text);

function program(): Command {
  const cli = new Command('topic-webhooks')
    .description('Manage webhooks, publish and subscribe on a topic-webhooks service.')
    .version(version)
    .addOption(new Option('--endpoint <url>', 'the service URL').env(ENDPOINT_VARIABLE))
    .addOption(new Option('--api-key <key>', 'the API key (the variable is safer: other local users can see arguments)').env(API_KEY_VARIABLE))
    .option('--json', 'print JSON for scripts instead of tables');

  /** The client and output mode of a command, from the global options. */
  const context = (command: Command) => {
    const options = command.optsWithGlobals<GlobalOptions>();
    if (!options.endpoint) throw new CliFailure(`no endpoint: give --endpoint or set ${ENDPOINT_VARIABLE}`);
    if (!options.apiKey) throw new CliFailure(`no API key: give --api-key or set ${API_KEY_VARIABLE}`);
    let client: TopicClient;
    try {
      client = new TopicClient({ endpoint: options.endpoint, apiKey: options.apiKey });
    } catch (error) {
      throw new CliFailure((error as Error).message);
    }
    const json = options.json === true;
    return { client, json, print: (value: unknown, human: string) => out(json ? `${JSON.stringify(value)}\n` : human) };
  };

  cli
    .command('put <cache> <webhook>')
    .description('create a webhook, or update its topic, URL and the settings given; prints its secret')
    .requiredOption('--topic <name>', 'the topic whose messages it receives')
    .requiredOption('--url <url>', 'where deliveries are POSTed')
    .option('--standard-webhooks', 'add the Standard Webhooks headers to deliveries')
    .option('--no-standard-webhooks', 'stop adding them')
    .addOption(new Option('--rate-limit <n|none>', 'at most n POSTs a second (1-1000), or none').argParser(rateLimit))
    .action(async (cache: string, webhook: string, options: { topic: string; url: string; standardWebhooks?: boolean; rateLimit?: number | 'none' }, command: Command) => {
      const { client, print } = context(command);
      const result = await client.putWebhook(cache, webhook, {
        topicName: options.topic,
        destination: options.url,
        standardWebhooks: options.standardWebhooks,
        rateLimitPerSecond: options.rateLimit === 'none' ? null : options.rateLimit,
      });
      if (!(result instanceof PutWebhook.Success)) throw failure(result);
      print({ secret: result.secret }, fields([['secret', result.secret]]));
    });

  cli
    .command('list <cache>')
    .description("list a cache's webhooks (never their secrets)")
    .action(async (cache: string, _options: unknown, command: Command) => {
      const { client, print } = context(command);
      const result = await client.listWebhooks(cache);
      if (!(result instanceof ListWebhooks.Success)) throw failure(result);
      const rows = result.webhooks.map((w) => [w.id.webhookName, w.topicName, w.destination.postUrl, standardText(w), rateLimitText(w)]);
      print({ webhooks: result.webhooks }, rows.length === 0 ? 'no webhooks\n' : table(['WEBHOOK', 'TOPIC', 'URL', 'STANDARD', 'RATE LIMIT'], rows));
    });

  cli
    .command('delete <cache> <webhook>')
    .description('delete a webhook; its deliveries stop')
    .action(async (cache: string, webhook: string, _options: unknown, command: Command) => {
      const { client, print } = context(command);
      const result = await client.deleteWebhook(cache, webhook);
      if (!(result instanceof DeleteWebhook.Success)) throw failure(result);
      print({ deleted: true }, 'deleted\n');
    });

  const secretFields = (r: GetWebhookSecret.Success | RotateWebhookSecret.Success) => ({
    cacheName: r.cacheName,
    webhookName: r.webhookName,
    secret: r.secret,
    ...(r.standardWebhooksSecret === undefined ? {} : { standardWebhooksSecret: r.standardWebhooksSecret }),
  });
  const secretText = (r: GetWebhookSecret.Success | RotateWebhookSecret.Success) =>
    fields([
      ['secret', r.secret],
      ['standard webhooks secret', r.standardWebhooksSecret],
    ]);

  cli
    .command('secret <cache> <webhook>')
    .description("print a webhook's signing secret")
    .action(async (cache: string, webhook: string, _options: unknown, command: Command) => {
      const { client, print } = context(command);
      const result = await client.getWebhookSecret(cache, webhook);
      if (!(result instanceof GetWebhookSecret.Success)) throw failure(result);
      print(secretFields(result), secretText(result));
    });

  cli
    .command('rotate <cache> <webhook>')
    .description("replace a webhook's signing secret; prints the new one")
    .addOption(
      new Option('--grace-seconds <n>', 'keep signing the Standard Webhooks header with the old secret too for n seconds (0-86400)').argParser(
        integer(0, 86_400),
      ),
    )
    .action(async (cache: string, webhook: string, options: { graceSeconds?: number }, command: Command) => {
      const { client, print } = context(command);
      const result = await client.rotateWebhookSecret(cache, webhook, { graceSeconds: options.graceSeconds });
      if (!(result instanceof RotateWebhookSecret.Success)) throw failure(result);
      print(secretFields(result), secretText(result));
    });

  cli
    .command('test <cache> <webhook> [text]')
    .description('send one signed test POST now and print how it ended')
    .action(async (cache: string, webhook: string, text: string | undefined, _options: unknown, command: Command) => {
      const { client, print } = context(command);
      const result = await client.testWebhook(cache, webhook, text);
      if (!(result instanceof TestWebhook.Success)) throw failure(result);
      const status = result.statusCode === null ? '' : ` ${result.statusCode}`;
      print(
        { outcome: result.outcome, statusCode: result.statusCode, latencyMs: result.latencyMs },
        `${result.outcome}${status} in ${result.latencyMs} ms\n`,
      );
    });

  cli
    .command('deliveries <cache> <webhook>')
    .description("a page of a webhook's delivery history, newest first")
    .addOption(new Option('--limit <n>', 'deliveries in the page (1-100)').argParser(integer(1, 100)))
    .option('--cursor <cursor>', 'the page after the one that printed this cursor')
    .action(async (cache: string, webhook: string, options: { limit?: number; cursor?: string }, command: Command) => {
      const { client, print } = context(command);
      const result = await client.listDeliveries(cache, webhook, { limit: options.limit, cursor: options.cursor });
      if (!(result instanceof ListDeliveries.Success)) throw failure(result);
      const rows = table(['ATTEMPTED', 'SEQUENCE', 'OUTCOME', 'STATUS', 'LATENCY', ''], result.deliveries.map(deliveryRow));
      const more = result.nextCursor === null ? '' : `more: --cursor ${result.nextCursor}\n`;
      print({ deliveries: result.deliveries, nextCursor: result.nextCursor }, result.deliveries.length === 0 ? 'no deliveries\n' : rows + more);
    });

  cli
    .command('publish <cache> <topic> [message]')
    .description('publish a message (or, without one, stdin as it is) to every webhook and subscriber of the topic')
    .action(async (cache: string, topic: string, message: string | undefined, _options: unknown, command: Command) => {
      const { client, print } = context(command);
      if (message === undefined && process.stdin.isTTY) throw new CliFailure('no message: give one, or pipe it on stdin');
      const result = await client.publish(cache, topic, message ?? (await readStdin()));
      if (!(result instanceof TopicPublish.Success)) throw failure(result);
      print({ published: true }, 'published\n');
    });

  cli
    .command('subscribe <cache> <topic>')
    .description('print messages as they are published, until Ctrl-C')
    .addOption(new Option('--from <n>', 'start at this sequence number (replays what is retained)').argParser(integer(1, Number.MAX_SAFE_INTEGER)))
    .action(async (cache: string, topic: string, options: { from?: number }, command: Command) => {
      const { client, json } = context(command);
      const line = (value: unknown, human: string) => out(json ? `${JSON.stringify(value)}\n` : `${human}\n`);
      let end!: (failed?: CliFailure) => void;
      const ended = new Promise<CliFailure | undefined>((resolve) => (end = resolve));
      const subscription = await client.subscribe(cache, topic, {
        resumeAtTopicSequenceNumber: options.from,
        onItem: (item: TopicItem) =>
          line(
            { topicSequenceNumber: item.topicSequenceNumber(), tokenId: item.tokenId() ?? '', text: item.valueString() },
            `#${item.topicSequenceNumber()} ${printable(item.valueString())}`,
          ),
        onDiscontinuity: (d: TopicDiscontinuity) =>
          line(
            { discontinuity: { lastTopicSequence: d.lastTopicSequence(), newTopicSequence: d.newTopicSequence() } },
            `(messages after #${d.lastTopicSequence()} and before #${d.newTopicSequence()} are no longer retained)`,
          ),
        onError: (error, current) => {
          // A transient failure: the subscription polls again after a backoff.
          if (current.isSubscribed) process.stderr.write(`topic-webhooks: ${error.errorCode()}: ${error.message()} (retrying)\n`);
          else end(failure(error));
        },
      });
      if (!(subscription instanceof TopicSubscribe.Subscription)) throw failure(subscription);
      const stop = () => {
        subscription.unsubscribe();
        end();
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      const failed = await ended;
      if (failed) throw failed;
    });

  return cli;
}

// Commander reports its own usage errors (one line on stderr, exit code 1); these are the rest.
try {
  await program().parseAsync(process.argv);
} catch (error) {
  const message = error instanceof CliFailure ? error.message : `unexpected failure: ${error instanceof Error ? error.message : String(error)}`;
  process.stderr.write(`topic-webhooks: ${message}\n`);
  process.exitCode = 1;
}
