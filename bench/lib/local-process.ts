import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { PROJECT_ROOT } from '../../infra/project-root.ts';

/** Memory of one process from /proc/<pid>/status, in MB. */
export interface ProcessMemory {
  rssMb: number;
  /** The peak RSS since the process started (VmHWM). */
  hwmMb: number;
}

export async function readMemory(pid: number): Promise<ProcessMemory> {
  const text = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? Number.NaN);
  return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
}

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat. */
export async function readCpuSeconds(pid: number): Promise<number> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at ") ".
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks / 100; // USER_HZ is 100 on Linux
}

async function childrenOf(pid: number): Promise<number[]> {
  try {
    const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8');
    return text.split(' ').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Every process below `pid`. */
export async function descendants(pid: number): Promise<number[]> {
  const out: number[] = [];
  for (const child of await childrenOf(pid)) out.push(child, ...(await descendants(child)));
  return out;
}

/** A free loopback TCP port (listened on and released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface LocalProcess {
  url: string;
  /** The process that runs the service (the deepest below `npm start`), whose memory is read. */
  servicePid: number;
  /** All processes of the tree (npm, sh, tsx, the service). */
  treePids: number[];
  /** From spawning the command to the first `200` of `/health`. */
  readyMs: number;
  /** What local mode printed about its own start-up (`ready in 2.1 s`), in ms. */
  selfReportedReadyMs: number | undefined;
  /** Bytes local mode wrote to stdout (access log, delivery log lines), a cost of its own. */
  stdoutBytes(): number;
  stop(): Promise<void>;
}

/**
 * Starts local mode as a child process, as a user would, and waits until it serves. The child
 * runs in its own process group, so stopping it signals exactly the processes started here.
 */
export async function startLocalProcess(options: {
  command: string;
  args: string[];
  env: Record<string, string>;
  timeoutMs?: number;
}): Promise<LocalProcess> {
  const port = await freePort();
  const started = performance.now();
  const child: ChildProcess = spawn(options.command, options.args, {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...options.env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stdoutBytes = 0;
  let stdoutHead = '';
  let stderrTail = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    stdoutBytes += chunk.length;
    if (stdoutHead.length < 4096) stdoutHead += chunk.toString('utf8');
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderrTail = (stderrTail + chunk.toString('utf8')).slice(-4096);
  });
  let exited = false;
  let stopping = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = true;
      // A crash mid-run shows up as connection errors in the bench; say why it happened.
      if (!stopping) console.error(`local mode exited unexpectedly (${signal ?? code}):\n${stderrTail}`);
      resolve();
    }),
  );
  const url = `http://127.0.0.1:${port}`;

  const deadline = started + (options.timeoutMs ?? 30_000);
  let readyMs: number | undefined;
  while (readyMs === undefined) {
    if (exited) throw new Error(`local mode exited before it was ready:\n${stderrTail}`);
    if (performance.now() > deadline) {
      stopping = true;
      process.kill(-child.pid!, 'SIGKILL');
      throw new Error(`local mode was not ready within ${options.timeoutMs ?? 30_000} ms:\n${stderrTail}`);
    }
    try {
      const res = await fetch(`${url}/health`);
      if (res.status === 200) readyMs = performance.now() - started;
      await res.arrayBuffer();
    } catch {
      // not listening yet
    }
    if (readyMs === undefined) await new Promise((r) => setTimeout(r, 25));
  }

  const treePids = [child.pid!, ...(await descendants(child.pid!))];
  const servicePid = treePids[treePids.length - 1]!;
  const selfReported = /ready in ([\d.]+) s/.exec(stdoutHead)?.[1];

  return {
    url,
    servicePid,
    treePids,
    readyMs,
    selfReportedReadyMs: selfReported === undefined ? undefined : Number(selfReported) * 1000,
    stdoutBytes: () => stdoutBytes,
    async stop() {
      if (exited) return;
      stopping = true;
      process.kill(-child.pid!, 'SIGTERM');
      const timer = setTimeout(() => {
        if (!exited) process.kill(-child.pid!, 'SIGKILL');
      }, 15_000);
      await exit;
      clearTimeout(timer);
      // The service may outlive npm by a moment; wait for it too (its profile is written at exit).
      for (let i = 0; i < 300; i++) {
        try {
          await readFile(`/proc/${servicePid}/status`);
        } catch {
          return;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}
