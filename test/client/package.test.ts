import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocal, type LocalService } from './local.ts';
import { closedPortUrl } from './stub-server.ts';

/**
 * The client package as a user gets it: `npm pack ./client`, the tarball installed into a
 * project of its own outside the repository, then used from plain Node, from `tsc` with
 * NodeNext, from a bundler and through its `topic-webhooks` command, against local mode.
 */
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const TSC = path.join(REPO, 'node_modules/typescript/bin/tsc');
const run = promisify(execFile);

let service: LocalService;
let workDir: string;
let consumer: string;
let packed: { filename: string; files: { path: string }[] };

beforeAll(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'client-package-'));
  consumer = path.join(workDir, 'consumer');
  await mkdir(consumer);
  const pack = await run('npm', ['pack', './client', '--pack-destination', workDir, '--json'], { cwd: REPO });
  [packed] = JSON.parse(pack.stdout) as [typeof packed];
  await writeFile(path.join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  // commander's tarball comes from npm's cache (filled by the repository's own `npm ci`); npm
  // still asks the registry for its metadata, which these machines reach.
  await run('npm', ['install', path.join(workDir, packed.filename), '--no-audit', '--no-fund', '--prefer-offline'], { cwd: consumer });
  service = await startLocal();
}, 120_000);

afterAll(async () => {
  await service?.stop();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

/** Runs `file` in the consumer, with `env` on top of a minimal environment; resolves even when it fails. */
async function inConsumer(file: string, args: string[], env: Record<string, string> = {}, stdin?: string) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = execFile(
      file,
      args,
      { cwd: consumer, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 20_000 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') return reject(error);
        resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
      },
    );
    child.stdin?.end(stdin);
  });
}

const ESM_APP = `
import { CredentialProvider, NotFoundError, PutWebhook, TopicClient } from '@topic-webhooks/client';
const client = new TopicClient({
  credentialProvider: CredentialProvider.fromString({ apiKey: process.env.KEY, endpointOverrides: { baseEndpoint: process.env.URL } }),
});
const put = await client.putWebhook('esm', 'hook', { topicName: 'orders', destination: 'https://example.com/hook' });
const list = await client.listWebhooks('esm');
const missing = await client.deleteWebhook('esm', 'absent');
console.log(JSON.stringify({
  put: put.type,
  secret: put instanceof PutWebhook.Success && put.secret.length > 0,
  webhooks: list.webhooks.map((w) => w.id.webhookName),
  missing: [missing.type, missing.errorCode(), missing.innerException() instanceof NotFoundError],
}));
`;
const ESM_OUTPUT = { put: 'Success', secret: true, webhooks: ['hook'], missing: ['Error', 'NOT_FOUND_ERROR', true] };

describe('the packed client', () => {
  it('holds the build only, and depends on commander alone', async () => {
    const files = packed.files.map((f) => f.path).sort();
    expect(files).toEqual(expect.arrayContaining(['package.json', 'README.md', 'dist/index.js', 'dist/index.d.ts', 'dist/cli.js']));
    expect(files.filter((f) => !['package.json', 'README.md'].includes(f) && !/^dist\/[\w-]+\.(js|d\.ts)$/.test(f))).toEqual([]);
    const manifest = JSON.parse(await readFile(path.join(consumer, 'node_modules/@topic-webhooks/client/package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    expect(manifest.dependencies).toEqual({ commander: '14.0.3' });
  });

  it('runs from plain Node ESM', async () => {
    await writeFile(path.join(consumer, 'app.mjs'), ESM_APP);
    const { code, stdout, stderr } = await inConsumer(process.execPath, ['app.mjs'], { URL: service.url, KEY: service.apiKey });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual(ESM_OUTPUT);
  });

  it("installs from the repository's folder too, as the README says", async () => {
    const linked = path.join(workDir, 'from-folder');
    await mkdir(linked);
    await writeFile(path.join(linked, 'package.json'), JSON.stringify({ name: 'from-folder', private: true, type: 'module' }));
    await writeFile(path.join(linked, 'app.mjs'), ESM_APP);
    await run('npm', ['install', path.join(REPO, 'client'), '--no-audit', '--no-fund', '--prefer-offline'], { cwd: linked });
    const { stdout } = await run(process.execPath, ['app.mjs'], { cwd: linked, env: { PATH: process.env.PATH ?? '', URL: service.url, KEY: service.apiKey } });
    expect(JSON.parse(stdout)).toEqual(ESM_OUTPUT);
  });

  it('runs bundled by esbuild', async () => {
    await writeFile(path.join(consumer, 'app.mjs'), ESM_APP);
    await build({
      absWorkingDir: consumer,
      entryPoints: ['app.mjs'],
      bundle: true,
      minify: true,
      platform: 'node',
      format: 'esm',
      outfile: 'bundle.mjs',
      logLevel: 'silent',
    });
    const { code, stdout } = await inConsumer(process.execPath, ['bundle.mjs'], { URL: service.url, KEY: service.apiKey });
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual(ESM_OUTPUT);
  });
});

describe('a port of Momento SDK code (docs/migrating-from-momento.md)', () => {
  /** tsc with NodeNext, strict, declarations of the package checked too (no skipLibCheck). */
  const tsc = (...args: string[]) =>
    inConsumer(process.execPath, [
      TSC,
      ...['--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--strict'],
      ...['--types', 'node', '--typeRoots', path.join(REPO, 'node_modules/@types')],
      ...args,
    ]);

  async function guidePort(): Promise<string> {
    const guide = await readFile(path.join(REPO, 'docs/migrating-from-momento.md'), 'utf8');
    const port = /<!-- test\/client\/package\.test\.ts compiles this block[^\n]*\n```ts\n([\s\S]*?)```/.exec(guide)?.[1];
    if (!port) throw new Error('the migration guide has no port block marked for this test');
    return port;
  }

  it('compiles with tsc (module NodeNext) and runs against local mode, changing only the import', { timeout: 60_000 }, async () => {
    const port = await guidePort();
    expect(port).toContain("} from '@topic-webhooks/client'; // was '@gomomento/sdk'");
    await writeFile(path.join(consumer, 'port.ts'), port);
    const compiled = await tsc('--outDir', 'out', 'port.ts');
    expect(compiled.stdout).toBe('');
    expect(compiled.code).toBe(0);

    const { code, stdout, stderr } = await inConsumer(process.execPath, ['out/port.js'], {
      TOPIC_WEBHOOKS_ENDPOINT: service.url,
      MOMENTO_API_KEY: service.apiKey,
    });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout.split('\n').filter(Boolean)).toEqual([
      expect.stringMatching(/^secret: \S{20,}$/),
      'my-webhook -> https://example.com/webhook',
      'same secret: true',
      'already deleted (NotFoundError)',
      '#1: hello',
    ]);
  });

  it("refuses Momento's secret() getter, the one line a port changes", { timeout: 60_000 }, async () => {
    const port = (await guidePort()).replace('secret.secret ===', 'secret.secret() ===');
    await writeFile(path.join(consumer, 'momento-getter.ts'), port);
    const { code, stdout } = await tsc('--noEmit', 'momento-getter.ts');
    expect(code).not.toBe(0);
    expect(stdout).toMatch(/momento-getter\.ts\(\d+,\d+\): error TS2349: This expression is not callable/);
  });
});

describe('the topic-webhooks command', () => {
  const BIN = () => path.join(consumer, 'node_modules/.bin/topic-webhooks');
  const cli = (args: string[], stdin?: string, env?: Record<string, string>) =>
    inConsumer(BIN(), args, env ?? { TOPIC_WEBHOOKS_ENDPOINT: service.url, TOPIC_WEBHOOKS_API_KEY: service.apiKey }, stdin);
  const webhooksOf = async (cache: string) =>
    (JSON.parse((await cli(['list', cache, '--json'])).stdout) as { webhooks: Record<string, unknown>[] }).webhooks;

  it('puts a webhook and prints its secret; lists it as a table and as JSON', async () => {
    const put = await cli(['put', 'cli', 'audit', '--topic', 'orders', '--url', 'https://example.com/audit']);
    expect(put).toMatchObject({ code: 0, stderr: '' });
    expect(put.stdout).toMatch(/^secret {2}\S{20,}\n$/);

    const table = await cli(['list', 'cli']);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^WEBHOOK\s+TOPIC\s+URL\b/);
    expect(table.stdout).toMatch(/^audit\s+orders\s+https:\/\/example\.com\/audit\b/m);
    expect(await webhooksOf('cli')).toEqual([
      expect.objectContaining({ id: { cacheName: 'cli', webhookName: 'audit' }, topicName: 'orders', destination: { postUrl: 'https://example.com/audit' } }),
    ]);
  });

  it('sets, keeps and clears the webhook settings', async () => {
    await cli(['put', 'settings', 'w', '--topic', 't', '--url', 'https://example.com/w', '--standard-webhooks', '--rate-limit', '5']);
    expect(await webhooksOf('settings')).toEqual([expect.objectContaining({ standardWebhooks: true, rateLimitPerSecond: 5 })]);

    // A put without the flags keeps them.
    await cli(['put', 'settings', 'w', '--topic', 't2', '--url', 'https://example.com/w']);
    expect(await webhooksOf('settings')).toEqual([expect.objectContaining({ topicName: 't2', standardWebhooks: true, rateLimitPerSecond: 5 })]);

    const rotated = await cli(['rotate', 'settings', 'w', '--grace-seconds', '60', '--json']);
    expect(rotated.code).toBe(0);
    expect(JSON.parse(rotated.stdout)).toEqual({
      cacheName: 'settings',
      webhookName: 'w',
      secret: expect.any(String),
      standardWebhooksSecret: expect.stringMatching(/^whsec_/),
    });

    const clear = await cli(['put', 'settings', 'w', '--topic', 't2', '--url', 'https://example.com/w', '--no-standard-webhooks', '--rate-limit', 'none']);
    expect(clear).toMatchObject({ code: 0, stderr: '' });
    const [cleared] = await webhooksOf('settings');
    expect([cleared?.standardWebhooks ?? false, cleared?.rateLimitPerSecond ?? null]).toEqual([false, null]);
  });

  it('publishes stdin as it is, and subscribe --json prints it as one JSON line', async () => {
    expect(await cli(['publish', 'cli', 'news', '--json'], 'from stdin\n')).toMatchObject({ code: 0, stdout: '{"published":true}\n' });

    const subscriber = spawn(BIN(), ['subscribe', 'cli', 'news', '--from', '1', '--json'], {
      cwd: consumer,
      env: { PATH: process.env.PATH ?? '', TOPIC_WEBHOOKS_ENDPOINT: service.url, TOPIC_WEBHOOKS_API_KEY: service.apiKey },
    });
    let stdout = '';
    const firstLine = new Promise<void>((resolve) =>
      subscriber.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes('\n')) resolve();
      }),
    );
    const exited = new Promise<number | null>((resolve) => subscriber.on('exit', resolve));
    try {
      await firstLine;
    } finally {
      // Stopped whatever happened: a subscriber left running would poll on after the service stops.
      subscriber.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    expect(stdout).toBe('{"topicSequenceNumber":1,"tokenId":"","text":"from stdin\\n"}\n');
  });

  it('shows control characters of a message escaped in human output, so a message cannot drive the terminal', async () => {
    expect((await cli(['publish', 'cli', 'raw', '\u001b[31mred\u0007\nnext line'])).code).toBe(0);
    const subscriber = spawn(BIN(), ['subscribe', 'cli', 'raw', '--from', '1'], {
      cwd: consumer,
      env: { PATH: process.env.PATH ?? '', TOPIC_WEBHOOKS_ENDPOINT: service.url, TOPIC_WEBHOOKS_API_KEY: service.apiKey },
    });
    let stdout = '';
    const exited = new Promise<number | null>((resolve) => subscriber.on('exit', resolve));
    try {
      await new Promise<void>((resolve) =>
        subscriber.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk.toString();
          if (stdout.includes('\n')) resolve();
        }),
      );
    } finally {
      subscriber.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    expect(stdout).toBe('#1 \\u001b[31mred\\u0007\\nnext line\n');
  });

  it('pings a webhook and prints a page of its history', async () => {
    // Nothing listens there: the ping ends connection_refused, and no traffic leaves loopback.
    await cli(['put', 'cli', 'nobody', '--topic', 'pings', '--url', `${await closedPortUrl()}/hook`]);
    const ping = await cli(['test', 'cli', 'nobody', 'hello', '--json']);
    expect(ping.code).toBe(0);
    expect(JSON.parse(ping.stdout)).toEqual({ outcome: 'connection_refused', statusCode: null, latencyMs: expect.any(Number) });
    expect((await cli(['test', 'cli', 'nobody'])).stdout).toMatch(/^connection_refused in \d+ ms\n$/);

    const page = await cli(['deliveries', 'cli', 'nobody', '--limit', '1', '--json']);
    expect(JSON.parse(page.stdout)).toEqual({
      deliveries: [expect.objectContaining({ topicSequenceNumber: 0, outcome: 'connection_refused', test: true })],
      nextCursor: expect.any(String),
    });
    const table = (await cli(['deliveries', 'cli', 'nobody'])).stdout.split('\n');
    expect(table[0]).toMatch(/^ATTEMPTED\s+SEQUENCE\s+OUTCOME\s+STATUS\s+LATENCY$/);
    expect(table.filter((line) => line.endsWith(' '))).toEqual([]);
    expect(table.slice(1, 3)).toEqual([expect.stringMatching(/^\S+Z\s+0\s+connection_refused\s+-\s+\d+ ms\s+test$/), expect.stringMatching(/connection_refused/)]);
  });

  it('fails with one line on stderr and exit code 1, never showing the key', async () => {
    const wrongKey = 'whk_not-a-key-of-this-service';
    const refused = await cli(['list', 'cli'], undefined, { TOPIC_WEBHOOKS_ENDPOINT: service.url, TOPIC_WEBHOOKS_API_KEY: wrongKey });
    expect(refused).toEqual({ code: 1, stdout: '', stderr: expect.stringMatching(/^topic-webhooks: AUTHENTICATION_ERROR: [^\n]+\n$/) });
    expect(refused.stderr).not.toContain(wrongKey);

    const subscriber = await cli(['subscribe', 'cli', 'news'], undefined, { TOPIC_WEBHOOKS_ENDPOINT: service.url, TOPIC_WEBHOOKS_API_KEY: wrongKey });
    expect(subscriber).toEqual({ code: 1, stdout: '', stderr: expect.stringMatching(/^topic-webhooks: AUTHENTICATION_ERROR: [^\n]+\n$/) });

    const viaFlag = await cli(['--api-key', wrongKey, '--endpoint', service.url, 'secret', 'cli', 'audit'], undefined, {});
    expect(viaFlag).toMatchObject({ code: 1, stdout: '' });
    expect(viaFlag.stderr).not.toContain(wrongKey);

    expect(await cli(['delete', 'cli', 'absent'])).toEqual({ code: 1, stdout: '', stderr: expect.stringMatching(/^topic-webhooks: NOT_FOUND_ERROR: [^\n]+\n$/) });
    expect(await cli(['list', 'cli'], undefined, { TOPIC_WEBHOOKS_API_KEY: service.apiKey })).toEqual({
      code: 1,
      stdout: '',
      stderr: 'topic-webhooks: no endpoint: give --endpoint or set TOPIC_WEBHOOKS_ENDPOINT\n',
    });
    const usage = await cli(['put', 'cli', 'w', '--topic', 't']);
    expect(usage).toMatchObject({ code: 1, stdout: '', stderr: expect.stringMatching(/^error: required option '--url <url>' not specified\n$/) });
  });
});
