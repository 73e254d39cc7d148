/**
 * Operator CLI: manages API keys directly in the table, to bootstrap a deployment's first
 * admin key (nothing can call POST /keys before a key exists).
 *
 *   npm run keys -- create [--permissions a,b] [--caches '*'] [--token-id ID] [--expires-in SECONDS]
 *   npm run keys -- list
 *   npm run keys -- revoke KEY_ID
 *   common options: [--outputs FILE] [--table NAME] [--region REGION]
 *
 * Table: --table, else TABLE_NAME, else the TableName of the deployment's outputs file
 * (--outputs, default cdk-outputs.json, written by `npm run deploy`).
 *
 * Region, first that is set wins; nothing is hard-coded:
 *   1. --region
 *   2. AWS_REGION, then AWS_DEFAULT_REGION (an explicit choice for this shell)
 *   3. the Region output of the outputs file, when the table comes from that file too: the
 *      file describes one deployment, and its table lives in its region
 *   4. the SDK's own chain: the region of the profile (AWS_PROFILE, or `default`, in
 *      AWS_CONFIG_FILE / ~/.aws/config), then instance metadata
 * A profile's region is a default for every tool, so it comes after the outputs file, which
 * names where this deployment is; to point the CLI elsewhere set AWS_REGION or --region.
 *
 * Credentials are the SDK's default chain, as for the AWS CLI: environment variables,
 * AWS_PROFILE (SSO, assumed roles, credential_process), the container or instance role.
 * AWS_ENDPOINT_URL (LocalStack) and AWS_ENDPOINT_URL_DYNAMODB are honoured.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createKey, listKeys, revokeKey } from '#shared/keys/operations.ts';
import { createRuntime } from '#shared/runtime.ts';
import { PERMISSIONS } from '#shared/auth/model.ts';
import { ServiceError } from '#shared/errors.ts';
import type { Principal } from '#shared/auth/model.ts';

/** The operator stands above every key: full permissions on every cache, no expiry. */
const OPERATOR: Principal = { keyId: null, permissions: PERMISSIONS, caches: ['*'], tokenId: null, expiresAt: null };

/** The outputs of the file's stack that has a TableName (`cdk deploy --outputs-file` nests them under the stack name). */
function deploymentOutputs(file: string): Record<string, string> | undefined {
  try {
    const outputs = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, string>>;
    return Object.values(outputs).find((o) => o.TableName);
  } catch {
    return undefined;
  }
}

const nonEmpty = (value: string | undefined) => (value ? value : undefined);

/** The region by the precedence above; undefined leaves it to the SDK's chain. */
function resolveRegion(flag: string | undefined, env: NodeJS.ProcessEnv, outputsRegion: string | undefined): string | undefined {
  return nonEmpty(flag) ?? nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION) ?? nonEmpty(outputsRegion);
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      permissions: { type: 'string', default: PERMISSIONS.join(',') },
      caches: { type: 'string', default: '*' },
      'token-id': { type: 'string' },
      'expires-in': { type: 'string' },
      outputs: { type: 'string', default: 'cdk-outputs.json' },
      table: { type: 'string' },
      region: { type: 'string' },
    },
  });
  const [command, argument] = positionals;
  const explicitTable = nonEmpty(values.table) ?? nonEmpty(process.env.TABLE_NAME);
  const outputs = explicitTable ? undefined : deploymentOutputs(values.outputs);
  const tableName = explicitTable ?? outputs?.TableName;
  if (!tableName) throw new Error(`no table: set TABLE_NAME, --table, or deploy first so ${values.outputs} exists`);
  const region = resolveRegion(values.region, process.env, outputs?.Region);
  const env: NodeJS.ProcessEnv = { ...process.env, TABLE_NAME: tableName, AWS_REGION: region };
  // No region here: the clients get none, and the SDK resolves it through its chain (the profile, ...).
  if (region === undefined) delete env.AWS_REGION;
  const rt = createRuntime({ env });

  switch (command) {
    case 'create': {
      const created = await createKey(rt, OPERATOR, {
        permissions: values.permissions.split(',').map((p) => p.trim()).filter(Boolean),
        caches: values.caches.split(',').map((c) => c.trim()).filter(Boolean),
        tokenId: values['token-id'],
        expiresInSeconds: values['expires-in'] === undefined ? undefined : Number(values['expires-in']),
      });
      // The key is shown once, here, on stdout; it is stored only as a hash.
      console.log(JSON.stringify(created, null, 2));
      return;
    }
    case 'list':
      console.log(JSON.stringify(await listKeys(rt, OPERATOR), null, 2));
      return;
    case 'revoke':
      await revokeKey(rt, OPERATOR, argument ?? '');
      console.log(`revoked ${argument}`);
      return;
    default:
      throw new Error('usage: npm run keys -- create|list|revoke [options]');
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof ServiceError || err instanceof Error ? `error: ${err.message}` : 'error');
  process.exit(1);
});
