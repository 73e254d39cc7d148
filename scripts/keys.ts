/**
 * Operator CLI: manages API keys directly in the table, to bootstrap a deployment's first
 * admin key (nothing can call POST /keys before a key exists).
 *
 *   npm run keys -- create [--permissions a,b] [--caches '*'] [--token-id ID] [--expires-in SECONDS]
 *   npm run keys -- list
 *   npm run keys -- revoke KEY_ID
 *
 * The table is TABLE_NAME, or the TableName of the deployment's outputs file (--outputs,
 * default cdk-outputs.json, written by `npm run deploy`). AWS_REGION and AWS_ENDPOINT_URL
 * (LocalStack) are honoured, as are the usual AWS credentials.
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

function tableNameFromOutputs(file: string): string | undefined {
  try {
    const outputs = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, string>>;
    return Object.values(outputs).find((o) => o.TableName)?.TableName;
  } catch {
    return undefined;
  }
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
    },
  });
  const [command, argument] = positionals;
  const tableName = values.table ?? process.env.TABLE_NAME ?? tableNameFromOutputs(values.outputs);
  if (!tableName) throw new Error(`no table: set TABLE_NAME, --table, or deploy first so ${values.outputs} exists`);
  const rt = createRuntime({ env: { ...process.env, TABLE_NAME: tableName } });

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
