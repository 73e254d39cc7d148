import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** `npm start` (or `node --import tsx local/start.ts`) as a user runs it: a child process and its banner. */
export interface StartedCli {
  child: ChildProcessWithoutNullStreams;
  url: string;
  output: () => string;
  exited: Promise<number | null>;
}

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Local mode's own command, without npm in between. */
export const LOCAL_START = [process.execPath, '--import', 'tsx', 'local/start.ts'] as const;

/**
 * Spawns the command in the repository root with a free port and no DEV_API_KEY or data
 * directory unless `env` gives them, and resolves once the whole banner is out (its last line
 * is `data:`; stdout may arrive in several chunks before it). Rejects if it exits first.
 * Every child goes into `children`, for the caller's cleanup.
 */
export async function startCli(
  children: ChildProcessWithoutNullStreams[],
  env: Record<string, string>,
  command: readonly string[] = LOCAL_START,
): Promise<StartedCli> {
  const [file, ...args] = command;
  const child = spawn(file!, args, { cwd: root, env: { ...process.env, PORT: '0', DEV_API_KEY: '', LOCAL_DATA_DIR: '', ...env } });
  children.push(child);
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const check = () => {
      const m = /URL:\s+(http:\/\/\S+)[\s\S]*\n {2}data: /.exec(out);
      if (m) resolve(m[1]!);
    };
    child.stdout.on('data', check);
    void exited.then((code) => reject(new Error(`exited with ${code} before it was ready:\n${out}`)));
  });
  return { child, url, output: () => out, exited };
}
