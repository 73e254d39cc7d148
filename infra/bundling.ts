import path from 'node:path';
import type { BuildOptions } from 'esbuild';
import { FUNCTION_CONSTRUCT_DEFAULTS } from './defaults.ts';
import { PROJECT_ROOT } from './project-root.ts';

/**
 * The esbuild options the stack's `NodejsFunction` passes (aws-cdk-lib runs `esbuild --bundle
 * <entry> --target --platform=node --format --outfile=index.mjs --minify --sourcemap
 * --sources-content --external... --banner:js --main-fields` plus `esbuildArgs`), derived from
 * the stack's own defaults so the benchmark and the bundle tests build exactly what deploys.
 */
export function stackEsbuildOptions(entry: string, outdir: string): BuildOptions {
  const b = FUNCTION_CONSTRUCT_DEFAULTS.bundling;
  const external = b.externalModules ?? (b.bundleAwsSDK ? [] : ['@aws-sdk/*']);
  const aliases = ([] as string[]).concat((b.esbuildArgs?.['--alias'] as string | string[] | undefined) ?? []);
  return {
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    target: b.target ?? 'node22',
    format: b.format === 'cjs' ? 'cjs' : 'esm',
    outfile: path.join(outdir, b.format === 'cjs' ? 'index.js' : 'index.mjs'),
    minify: b.minify ?? false,
    sourcemap: b.sourceMap ?? false,
    sourcesContent: b.sourcesContent ?? true,
    external: [...external, ...(b.nodeModules ?? [])],
    mainFields: b.mainFields,
    banner: b.banner ? { js: b.banner } : undefined,
    define: b.define,
    keepNames: b.keepNames,
    // `--alias:from=./to` resolves `./to` from the project root, where CDK runs esbuild.
    alias: Object.fromEntries(
      aliases.map((a) => {
        const [from = '', to = ''] = a.split('=');
        return [from, to.startsWith('.') ? path.join(PROJECT_ROOT, to) : to];
      }),
    ),
    absWorkingDir: PROJECT_ROOT,
    metafile: true,
    logLevel: 'silent',
  };
}

/** The function entries: `functions/<name>.ts`. */
export const functionEntry = (name: string) => path.join(PROJECT_ROOT, 'functions', `${name}.ts`);
