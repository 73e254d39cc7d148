import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DELIVERY_FUNCTION, HTTP_FUNCTIONS } from '#functions/routes.ts';
import { PROJECT_ROOT } from '../../infra/project-root.ts';

/**
 * The real CLI (`cdk.json` → `npx tsx infra/app.ts`) with no network, no Docker and no AWS
 * credentials. The AWS target is synthesized with bundling (11 esbuild bundles, ~30 s on two
 * cores); the LocalStack target goes through the CLI's `cdk ls`, which runs the same app and
 * writes the same template but skips bundling, to keep `npm test` fast. The bundles are the same
 * for both targets.
 */
const run = promisify(execFile);
const CDK = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'cdk');
const work = mkdtempSync(path.join(tmpdir(), 'topic-webhooks-synth-'));

/** The environment of an offline machine: proxies that lead nowhere, no credentials, no Docker. */
function offlineEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(AWS_|CDK_)/.test(key) || /_proxy$/i.test(key)) continue;
    env[key] = value;
  }
  return {
    ...env,
    // Any outbound HTTP(S) attempt goes to a closed port on loopback and fails at once.
    HTTPS_PROXY: 'http://127.0.0.1:9',
    HTTP_PROXY: 'http://127.0.0.1:9',
    NO_PROXY: '',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: path.join(work, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(work, 'no-aws-credentials'),
    CDK_DISABLE_VERSION_CHECK: 'true',
    CDK_DISABLE_CLI_TELEMETRY: 'true',
    // Were NodejsFunction to fall back to Docker bundling, it would fail here.
    CDK_DOCKER: path.join(work, 'no-docker'),
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    NO_COLOR: '1',
    CI: 'true',
  };
}

async function cdk(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(CDK, args, { cwd: PROJECT_ROOT, env: offlineEnv(), timeout: 240_000, maxBuffer: 64 * 1024 * 1024 });
}

const awsOut = path.join(work, 'aws');
const localstackOut = path.join(work, 'localstack');
let awsSynth: { stdout: string; stderr: string };
let localstackList: { stdout: string; stderr: string };
const template = (dir: string) => Template.fromJSON(JSON.parse(readFileSync(path.join(dir, 'TopicWebhooks.template.json'), 'utf8')));

beforeAll(async () => {
  // Sequential: two bundling synths at once would only compete for the same cores.
  awsSynth = await cdk(['synth', '--quiet', '--output', awsOut]);
  localstackList = await cdk(['ls', '-c', 'target=localstack', '--output', localstackOut]);
}, 300_000);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('cdk synth (AWS target, with bundling)', () => {
  it('bundles every function locally with esbuild', () => {
    const names = [...HTTP_FUNCTIONS, DELIVERY_FUNCTION];
    for (const name of names) expect(awsSynth.stderr).toContain(`Bundling asset TopicWebhooks/${name.split('-').map((p) => p[0]!.toUpperCase() + p.slice(1)).join('')}/Function/Code/Stage`);
    expect(awsSynth.stderr.toLowerCase()).not.toContain('docker');
    const synthesized = template(awsOut);
    synthesized.resourceCountIs('AWS::Lambda::Function', names.length);
    for (const fn of Object.values(synthesized.findResources('AWS::Lambda::Function'))) {
      const assetDir = path.join(awsOut, String(fn.Metadata?.['aws:asset:path']));
      expect(readdirSync(assetDir).sort()).toEqual(['index.mjs', 'index.mjs.map']);
      const code = readFileSync(path.join(assetDir, 'index.mjs'), 'utf8');
      // ESM with the createRequire banner for CJS dependencies, minified, with a source map.
      expect(code.startsWith("import { createRequire as __twCreateRequire } from 'node:module';")).toBe(true);
      expect(code).toContain('//# sourceMappingURL=index.mjs.map');
    }
  });

  it('produces a health bundle that answers like the handler does', async () => {
    const health = Object.values(template(awsOut).findResources('AWS::Lambda::Function', { Properties: { Description: 'topic-webhooks health' } }))[0];
    const entry = path.join(awsOut, String(health?.Metadata?.['aws:asset:path']), 'index.mjs');
    const script = `
      const { handler } = await import(${JSON.stringify(`file://${entry}`)});
      const res = await handler(
        { httpMethod: 'GET', path: '/health', resource: '/health', headers: {}, requestContext: {}, body: null, isBase64Encoded: false },
        { functionName: 'health', awsRequestId: 'test', getRemainingTimeInMillis: () => 5000 },
      );
      process.stdout.write('RESULT ' + JSON.stringify(res) + '\\n');`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...offlineEnv(), TABLE_NAME: 'unused' },
      timeout: 30_000,
    });
    const result = /^RESULT (.*)$/m.exec(stdout)?.[1];
    expect(JSON.parse(result ?? 'null')).toEqual({ statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{"status":"ok"}' });
  });

  it('passes CDK template validation and cdk-nag without a finding', () => {
    const report = JSON.parse(readFileSync(path.join(awsOut, 'validation-report.json'), 'utf8')) as { pluginReports: unknown[] };
    expect(report.pluginReports).toEqual([]);
    expect(Object.keys(template(awsOut).findResources('AWS::CloudWatch::Dashboard'))).not.toHaveLength(0);
  });

  it('adds no CDK metadata resource (versionReporting is off in cdk.json)', () => {
    template(awsOut).resourceCountIs('AWS::CDK::Metadata', 0);
  });
});

describe('cdk ls -c target=localstack (the same app, bundling skipped)', () => {
  it('reads the target from a CLI context string and writes the LocalStack template', () => {
    expect(localstackList.stdout.trim()).toBe('TopicWebhooks');
    expect(existsSync(path.join(localstackOut, 'TopicWebhooks.template.json'))).toBe(true);
    const synthesized = template(localstackOut);
    synthesized.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
    synthesized.resourceCountIs('AWS::ApiGateway::Account', 0);
    expect(Object.keys(synthesized.findResources('AWS::Lambda::Function'))).not.toHaveLength(0);
    // The outputs file the operator CLI reads carries the region; every function knows its stack's name.
    synthesized.hasOutput('Region', { Value: { Ref: 'AWS::Region' } });
    synthesized.allResourcesProperties('AWS::Lambda::Function', { Environment: { Variables: { POWERTOOLS_SERVICE_NAME: 'TopicWebhooks' } } });
  });
});
