import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build, type Metafile } from 'esbuild';
import { DELIVERY_FUNCTION, HTTP_FUNCTIONS } from '#functions/routes.ts';
import { FUNCTION_BASE_ENVIRONMENT, FUNCTION_CONSTRUCT_DEFAULTS } from '../../infra/defaults.ts';
import { functionEntry, stackEsbuildOptions } from '../../infra/bundling.ts';
import { PROJECT_ROOT } from '../../infra/project-root.ts';
import { median, round } from './stats.ts';
import { status, step } from './progress.ts';

const run = promisify(execFile);

export interface FunctionColdStart {
  name: string;
  /** The `index.mjs` Lambda loads. */
  bundleBytes: number;
  /** The source map shipped beside it (read at init because of `--enable-source-maps`). */
  sourceMapBytes: number;
  /** Bytes of the bundle by package (top few), from esbuild's metafile. */
  largestInputs: { package: string; bytes: number }[];
  /** Median module-initialisation time with the deployed NODE_OPTIONS. */
  initMs: number;
  initRunsMs: number[];
  /** Median without `--enable-source-maps`, to show what that option costs at init (hot functions only). */
  initMsWithoutSourceMaps: number | undefined;
  /** Resident set size right after the import, MB. */
  rssAfterInitMb: number;
}

/** The same function bundled with one change to the code or settings, measured the same way. */
export interface WhatIf {
  change: string;
  name: string;
  bundleBytes: number;
  /** Undefined where the change cannot be measured here (an SDK left to the Lambda runtime is not on this machine). */
  initMs: number | undefined;
}

export interface ColdStartResult {
  bundling: string;
  nodeOptions: string;
  runs: number;
  functions: FunctionColdStart[];
  whatIf: WhatIf[];
}

/** Functions on the delivery path: also measured without source maps and in the what-ifs. */
const HOT_FUNCTIONS = ['publish-message', 'deliver-messages'];

/** The package an esbuild input path belongs to (`@aws-sdk/client-sqs`), or `(project)`. */
function packageOf(input: string): string {
  const parts = input.split('node_modules/');
  if (parts.length < 2) return '(project)';
  const rest = parts[parts.length - 1]!.split('/');
  return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
}

function largestInputs(meta: Metafile): { package: string; bytes: number }[] {
  const byPackage = new Map<string, number>();
  for (const output of Object.values(meta.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const pkg = packageOf(input);
      // Group the SDK's many small packages so the table stays readable.
      const group = pkg.startsWith('@smithy/') ? '@smithy/*' : pkg.startsWith('@aws-sdk/') && !pkg.startsWith('@aws-sdk/client-') && !pkg.startsWith('@aws-sdk/lib-') ? '@aws-sdk/* (core)' : pkg;
      byPackage.set(group, (byPackage.get(group) ?? 0) + bytesInOutput);
    }
  }
  return [...byPackage.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 6)
    .map(([pkg, bytes]) => ({ package: pkg, bytes }));
}

/** Environment a function sees on Lambda, as far as module initialisation reads it. */
function lambdaEnv(name: string, nodeOptions: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    ...FUNCTION_BASE_ENVIRONMENT,
    NODE_OPTIONS: nodeOptions,
    AWS_REGION: 'us-east-1',
    AWS_LAMBDA_FUNCTION_NAME: name,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    TABLE_NAME: 'bench-table',
    QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/bench-queue',
  };
}

/** Imports the bundle in a fresh `node` and returns the import's duration and the RSS after it. */
async function timeImport(bundle: string, name: string, nodeOptions: string): Promise<{ ms: number; rss: number }> {
  const script = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(bundle).href)}); const ms = performance.now() - t; process.stdout.write(JSON.stringify({ ms, rss: process.memoryUsage().rss }));`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    env: lambdaEnv(name, nodeOptions),
    cwd: path.dirname(bundle),
  });
  return JSON.parse(stdout) as { ms: number; rss: number };
}

/**
 * (6) Cold start: each function bundled exactly as the stack bundles it (into a temp dir), its
 * size, and the time a fresh Node process takes to import it (median of `runs`), with the
 * deployed NODE_OPTIONS. The import includes building the runtime (configuration and clients),
 * which a Lambda container does while the module loads. Lambda's own runtime bootstrap comes on
 * top and is not measured here.
 */
export async function measureColdStart(options: { runs: number }): Promise<ColdStartResult> {
  // Inside the project, so a bundle that leaves @aws-sdk/* to the runtime finds it in
  // node_modules, as a Lambda function finds the runtime's copy.
  await mkdir(path.join(PROJECT_ROOT, 'node_modules', '.cache'), { recursive: true });
  const dir = await mkdtemp(path.join(PROJECT_ROOT, 'node_modules', '.cache', 'bench-bundles-'));
  const deployedNodeOptions = FUNCTION_BASE_ENVIRONMENT.NODE_OPTIONS ?? '';
  const functions: FunctionColdStart[] = [];
  const whatIf: WhatIf[] = [];
  try {
    const names = [...HTTP_FUNCTIONS, DELIVERY_FUNCTION];
    for (const [i, name] of names.entries()) {
      status(`cold start ${i + 1}/${names.length}: ${name}`);
      const outdir = path.join(dir, name);
      const result = await build(stackEsbuildOptions(functionEntry(name), outdir));
      const bundle = path.join(outdir, 'index.mjs');
      const bundleBytes = (await stat(bundle)).size;
      const sourceMapBytes = await stat(`${bundle}.map`).then((s) => s.size, () => 0);
      const withMaps: { ms: number; rss: number }[] = [];
      const withoutMaps: number[] = [];
      const hot = HOT_FUNCTIONS.includes(name);
      for (let r = 0; r < options.runs; r++) {
        withMaps.push(await timeImport(bundle, name, deployedNodeOptions));
        if (hot) withoutMaps.push((await timeImport(bundle, name, '')).ms);
      }
      functions.push({
        name,
        bundleBytes,
        sourceMapBytes,
        largestInputs: largestInputs(result.metafile!),
        initMs: round(median(withMaps.map((m) => m.ms))),
        initRunsMs: withMaps.map((m) => round(m.ms)),
        initMsWithoutSourceMaps: hot ? round(median(withoutMaps)) : undefined,
        rssAfterInitMb: round(median(withMaps.map((m) => m.rss)) / 2 ** 20),
      });
    }
    for (const name of HOT_FUNCTIONS) {
      status(`cold start what-if: ${name}`);
      // What leaving @aws-sdk/* to the Lambda runtime (bundleAwsSDK: false) would give instead.
      const sdkDir = path.join(dir, `${name}-sdk`);
      await build({ ...stackEsbuildOptions(functionEntry(name), sdkDir), external: ['@aws-sdk/*'] });
      const sdkBundle = path.join(sdkDir, 'index.mjs');
      const runs: number[] = [];
      for (let r = 0; r < options.runs; r++) runs.push((await timeImport(sdkBundle, name, deployedNodeOptions)).ms);
      whatIf.push({ change: '@aws-sdk/* left to the Lambda runtime (bundleAwsSDK: false)', name, bundleBytes: (await stat(sdkBundle)).size, initMs: round(median(runs)) });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const largest = functions.reduce((a, b) => (b.bundleBytes > a.bundleBytes ? b : a));
  const slowest = functions.reduce((a, b) => (b.initMs > a.initMs ? b : a));
  step(`cold start: largest bundle ${largest.name} ${(largest.bundleBytes / 1024).toFixed(0)} KB; slowest init ${slowest.name} ${slowest.initMs} ms`);
  const b = FUNCTION_CONSTRUCT_DEFAULTS.bundling;
  return {
    bundling: `esbuild ${b.format} target=${b.target} minify=${b.minify} sourcemap=${b.sourceMap} bundleAwsSDK=${b.bundleAwsSDK}`,
    nodeOptions: deployedNodeOptions,
    runs: options.runs,
    functions,
    whatIf,
  };
}
