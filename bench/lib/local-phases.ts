import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { PROJECT_ROOT } from '../../infra/project-root.ts';
import { HttpClient } from './http-client.ts';
import type { LoadContext } from './load.ts';
import { startLocalProcess, type LocalProcess } from './local-process.ts';
import type { BenchReceiver } from './receiver.ts';
import type { ReceiptRouter } from './tracker.ts';

const PROFILER_HOOK = path.join(PROJECT_ROOT, 'bench', 'lib', 'profiler-hook.mjs');

/**
 * Starts local mode with `npm start`, as a user does, with the settings the load phases need:
 * room for `maxWebhooksPerCache` webhooks in a cache (the largest fan-out). With
 * `profileDir`, the process that runs local/start.ts also loads the profiler hook (it
 * profiles only while switched on; see `toggleProfiler`).
 */
export function startLocal(devApiKey: string, options: { maxWebhooksPerCache: number; profileDir?: string }): Promise<LocalProcess> {
  const profiling: Record<string, string> = options.profileDir
    ? {
        NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${pathToFileURL(PROFILER_HOOK).href}`.trim(),
        BENCH_PROFILE_TARGET: path.join('local', 'start.ts'),
        BENCH_PROFILE_DIR: options.profileDir,
      }
    : {};
  return startLocalProcess({
    command: 'npm',
    args: ['start', '--silent'],
    env: { DEV_API_KEY: devApiKey, MAX_WEBHOOKS_PER_CACHE: String(options.maxWebhooksPerCache), ...profiling },
  });
}

async function waitForFile(file: string, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      await access(file);
      return;
    } catch {
      if (performance.now() > deadline) throw new Error(`${file} did not appear within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/** Switches the profiler hook in local mode's process on (resolves once it runs) or off (resolves with the profile's path). */
export async function toggleProfiler(pid: number, dir: string, on: boolean): Promise<string> {
  process.kill(pid, 'SIGUSR2');
  const file = path.join(dir, on ? `${pid}.started` : `${pid}.cpuprofile`);
  await waitForFile(file, 30_000);
  if (!on) {
    // Written with one writeFileSync; make sure it is complete JSON before handing it over.
    for (let i = 0; i < 50; i++) {
      try {
        JSON.parse(await readFile(file, 'utf8'));
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }
  return file;
}

/** The admin client (the dev key) and a publisher holding a stored `topics:publish` key, as production publishers do (publish then looks the key up). */
export async function loadContext(
  url: string,
  devApiKey: string,
  receivers: BenchReceiver[],
  router: ReceiptRouter,
  messageBytes: number,
): Promise<LoadContext> {
  const admin = new HttpClient(url, devApiKey);
  const key = await admin.createKey({ permissions: ['topics:publish'], caches: ['*'], tokenId: 'bench-publisher' });
  return { admin, publisher: admin.withKey(key), receivers, router, messageBytes };
}
