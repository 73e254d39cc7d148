import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
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

const keys = (...args: string[]) =>
  run(process.execPath, ['--import', 'tsx', 'scripts/keys.ts', ...args], { env, timeout: 30_000 });

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
});

afterAll(async () => {
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
          permissions: ['webhooks:manage', 'topics:publish', 'keys:manage'],
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
