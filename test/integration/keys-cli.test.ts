import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ensureTable, startDynalite, type RunningEmulator } from '#local/emulators.ts';

/** The operator CLI (`npm run keys`) as an operator runs it, against dynalite standing in for a deployment's table. */
const run = promisify(execFile);
let dynalite: RunningEmulator;
let dir: string;
let env: NodeJS.ProcessEnv;
let recorder: RegionRecorder;

const keys = (...args: string[]) => keysWith(env, ...args);
const keysWith = (childEnv: NodeJS.ProcessEnv, ...args: string[]) =>
  run(process.execPath, ['--import', 'tsx', 'scripts/keys.ts', ...args], { env: childEnv, timeout: 30_000 });

/**
 * A loopback proxy in front of dynalite that records the region each request was signed for
 * (the SigV4 credential scope `<key>/<date>/<region>/dynamodb/aws4_request` of `authorization`):
 * dynalite itself ignores regions, so this is where the CLI's choice of region shows.
 */
interface RegionRecorder {
  endpoint: string;
  regions: string[];
  close(): Promise<void>;
}

async function startRegionRecorder(target: string): Promise<RegionRecorder> {
  const upstream = new URL(target);
  const regions: string[] = [];
  const server: Server = createServer((req, res) => {
    const scope = /Credential=[^/]+\/\d{8}\/([^/]+)\/dynamodb\/aws4_request/.exec(req.headers.authorization ?? '');
    regions.push(scope?.[1] ?? 'unsigned');
    const forward = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    regions,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

beforeAll(async () => {
  dynalite = await startDynalite();
  const credentials = { accessKeyId: 'operator', secretAccessKey: 'operator' };
  await ensureTable(new DynamoDBClient({ endpoint: dynalite.endpoint, region: 'eu-west-1', credentials }), 'deployed-table');
  // The table name comes from the deployment's outputs file, as after `npm run deploy`.
  dir = await mkdtemp(path.join(tmpdir(), 'keys-cli-'));
  await writeFile(path.join(dir, 'outputs.json'), JSON.stringify({ TopicWebhooks: { TableName: 'deployed-table' } }));
  env = {
    ...process.env,
    TABLE_NAME: undefined,
    AWS_ENDPOINT_URL: dynalite.endpoint,
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
  };
  recorder = await startRegionRecorder(dynalite.endpoint);
});

afterAll(async () => {
  await recorder?.close();
  await dynalite?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('npm run keys', () => {
  it('creates a first admin key, lists it without the key, and revokes it', { timeout: 60_000 }, async () => {
    const outputs = ['--outputs', path.join(dir, 'outputs.json')];
    const created = JSON.parse((await keys('create', '--token-id', 'ops', ...outputs)).stdout) as {
      apiKey: string;
      keyId: string;
      expiresAt: null;
    };
    expect(created).toEqual({ apiKey: expect.stringMatching(/^whk_/), keyId: expect.stringMatching(/^[0-9a-f]{24}$/), expiresAt: null });

    const listed = (await keys('list', ...outputs)).stdout;
    expect(listed).not.toContain(created.apiKey);
    expect(JSON.parse(listed)).toEqual({
      keys: [
        {
          keyId: created.keyId,
          permissions: ['webhooks:manage', 'topics:publish', 'topics:subscribe', 'keys:manage'],
          caches: ['*'],
          tokenId: 'ops',
          expiresAt: null,
        },
      ],
    });

    expect((await keys('revoke', created.keyId, ...outputs)).stdout.trim()).toBe(`revoked ${created.keyId}`);
    expect(JSON.parse((await keys('list', ...outputs)).stdout)).toEqual({ keys: [] });
    await expect(keys('revoke', created.keyId, ...outputs)).rejects.toMatchObject({ stderr: expect.stringContaining('does not exist') });
  });

  it('refuses to guess the table', async () => {
    await expect(keys('list', '--outputs', path.join(dir, 'missing.json'))).rejects.toMatchObject({
      stderr: expect.stringContaining('no table'),
    });
  });
});

describe('npm run keys: region', () => {
  /** No region in the environment; a profile whose region is eu-west-3; DynamoDB behind the recorder. */
  const chainEnv = async (extra: NodeJS.ProcessEnv = {}): Promise<NodeJS.ProcessEnv> => {
    const configFile = path.join(dir, 'aws-config');
    await writeFile(configFile, '[default]\nregion = eu-west-3\n');
    return {
      ...env,
      AWS_REGION: undefined,
      AWS_DEFAULT_REGION: undefined,
      AWS_PROFILE: undefined,
      AWS_DEFAULT_PROFILE: undefined,
      AWS_CONFIG_FILE: configFile,
      AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'no-credentials'),
      AWS_ENDPOINT_URL: undefined,
      AWS_ENDPOINT_URL_DYNAMODB: recorder.endpoint,
      ...extra,
    };
  };
  /** The regions of the requests one CLI run made. */
  const regionsOf = async (childEnv: NodeJS.ProcessEnv, ...args: string[]): Promise<string[]> => {
    recorder.regions.length = 0;
    const { stdout } = await keysWith(childEnv, 'list', ...args);
    expect(JSON.parse(stdout)).toHaveProperty('keys');
    return [...new Set(recorder.regions)];
  };
  const outputsWithRegion = async (region: string) => {
    const file = path.join(dir, `outputs-${region}.json`);
    await writeFile(file, JSON.stringify({ TopicWebhooks: { Region: region, TableName: 'deployed-table' } }));
    return file;
  };

  it('without AWS_REGION or a Region output, signs for the region of the profile (the SDK chain)', async () => {
    const childEnv = await chainEnv();
    expect(await regionsOf(childEnv, '--outputs', path.join(dir, 'outputs.json'))).toEqual(['eu-west-3']);
    expect(await regionsOf({ ...childEnv, TABLE_NAME: 'deployed-table' })).toEqual(['eu-west-3']);
  });

  it("uses the outputs file's Region over the profile's", async () => {
    const outputs = await outputsWithRegion('ap-southeast-2');
    expect(await regionsOf(await chainEnv(), '--outputs', outputs)).toEqual(['ap-southeast-2']);
  });

  it("ignores the outputs file's Region when the table is named explicitly", async () => {
    const outputs = await outputsWithRegion('ap-southeast-2');
    expect(await regionsOf(await chainEnv(), '--outputs', outputs, '--table', 'deployed-table')).toEqual(['eu-west-3']);
  });

  it.each([
    ['AWS_REGION', { AWS_REGION: 'us-west-2' }, [], 'us-west-2'],
    ['AWS_DEFAULT_REGION', { AWS_DEFAULT_REGION: 'ca-central-1' }, [], 'ca-central-1'],
    ['--region', { AWS_REGION: 'us-west-2' }, ['--region', 'sa-east-1'], 'sa-east-1'],
  ])("lets %s win over the outputs file's Region", async (_label, extra, args, expected) => {
    const outputs = await outputsWithRegion('ap-southeast-2');
    expect(await regionsOf(await chainEnv(extra), '--outputs', outputs, ...args)).toEqual([expected]);
  });
});
