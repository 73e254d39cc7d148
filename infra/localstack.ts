/**
 * Deploys to (or destroys from) LocalStack with `cdklocal`, giving it the environment it needs:
 *
 *   npm run deploy:localstack [-- -c stageName=dev ...]   bootstrap, deploy, write cdk-outputs.json
 *   npx tsx infra/localstack.ts destroy
 *
 * `cdklocal` needs both `AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_S3` (the latter with `.s3.` in
 * it) and drops other `AWS_*` variables unless `AWS_ENVAR_ALLOWLIST` names them. Defaults: the
 * LocalStack gateway on 127.0.0.1:4566, region us-east-1. `-c target=localstack` is always added.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from './project-root.ts';

const env: NodeJS.ProcessEnv = { ...process.env };
env.AWS_ENDPOINT_URL ??= 'http://127.0.0.1:4566';
// Resolves to 127.0.0.1 through public DNS; set it yourself where that does not work.
env.AWS_ENDPOINT_URL_S3 ??= 'http://s3.localhost.localstack.cloud:4566';
env.AWS_REGION ??= env.AWS_DEFAULT_REGION ?? 'us-east-1';
env.AWS_DEFAULT_REGION ??= env.AWS_REGION;
// Node 20 works with the pinned SDK; its notice about future releases is noise here.
env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const passThrough = ['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'];
env.AWS_ENVAR_ALLOWLIST = [...new Set([...(env.AWS_ENVAR_ALLOWLIST ?? '').split(','), ...passThrough])]
  .filter(Boolean)
  .join(',');
env.CDK_DISABLE_VERSION_CHECK ??= 'true';
env.CDK_DISABLE_CLI_TELEMETRY ??= 'true';

const cdklocal = path.join(PROJECT_ROOT, 'node_modules', '.bin', process.platform === 'win32' ? 'cdklocal.cmd' : 'cdklocal');
const target = ['-c', 'target=localstack'];

function run(args: string[]): void {
  console.log(`> cdklocal ${args.join(' ')}`);
  const result = spawnSync(cdklocal, args, { cwd: PROJECT_ROOT, env, stdio: 'inherit' });
  if (result.error) throw result.error;
  if (result.status !== 0) process.exit(result.status ?? 1);
}

const [command = 'deploy', ...rest] = process.argv.slice(2);
switch (command) {
  case 'deploy':
    run(['bootstrap', ...target]);
    run(['deploy', ...target, '--require-approval', 'never', '--outputs-file', 'cdk-outputs.json', ...rest]);
    break;
  case 'destroy':
    run(['destroy', ...target, '--force', ...rest]);
    break;
  default:
    console.error('usage: tsx infra/localstack.ts deploy|destroy [cdk options]');
    process.exit(2);
}
