import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { LOCAL_START, startCli as startCliIn } from '../helpers/local-cli.ts';

/** `npm start` as a user runs it: a child process, its banner, and a clean exit on a signal. */
const children: ChildProcessWithoutNullStreams[] = [];

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

const startCli = (env: Record<string, string>, args: string[] = []) => startCliIn(children, env, [...LOCAL_START, ...args]);

describe('npm start', () => {
  it('never prints a DEV_API_KEY it was given, serves with it, and exits 0 on SIGTERM', async () => {
    const key = 'cli-test-dev-key-9f8e7d6c5b4a';
    const { child, url, output, exited } = await startCli({ DEV_API_KEY: key });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(output()).toContain('API key: using DEV_API_KEY');
    expect(output()).toMatch(/ready in \d+\.\d s/);

    const res = await fetch(`${url}/webhooks/c`, { headers: { authorization: key } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ webhooks: [] });

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output()).not.toContain(key);
  });

  it('prints the key it mints, once, and exits 0 on SIGINT', async () => {
    const { child, url, output, exited } = await startCli({});
    const printed = output().match(/whk_[A-Za-z0-9_-]{43}/g) ?? [];
    expect(printed).toHaveLength(1);
    const res = await fetch(`${url}/keys`, { headers: { authorization: printed[0]! } });
    expect(res.status).toBe(200);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  });

  it('refuses an invalid PORT with a message and exit code 1', async () => {
    await expect(startCli({ PORT: 'eighty' })).rejects.toThrow(/exited with 1[\s\S]*PORT must be an integer/);
  });
});
