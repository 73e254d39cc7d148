import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { buildConsoleAssets, GENERATED_MODULE, renderAssetsModule } from '../../console/build.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

describe('the console page build', () => {
  it('is committed up to date: console/assets.generated.ts is what console/build.ts makes of console/page/', async () => {
    const fresh = renderAssetsModule(await buildConsoleAssets());
    // On failure: `npx tsx console/build.ts`, then commit the generated module.
    expect(await readFile(GENERATED_MODULE, 'utf8')).toBe(fresh);
  });

  it('type-checks the browser sources with their own project (DOM types, outside the root tsconfig)', async () => {
    const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const run = promisify(execFile)(process.execPath, [tsc, '-p', path.join(ROOT, 'console', 'page', 'tsconfig.json')], { cwd: ROOT });
    await expect(run.then(() => 'ok', (e: { stdout?: string }) => e.stdout ?? String(e))).resolves.toBe('ok');
  }, 60_000);

  it('bundles a small script: the page and the client package\'s browser-safe modules, no dependency', async () => {
    const assets = await buildConsoleAssets();
    expect(Buffer.byteLength(assets['app.js']!.body)).toBeLessThan(40 * 1024);
  });
});
