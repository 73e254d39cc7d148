import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROJECT_ROOT } from '../../infra/project-root.ts';
import { round } from './stats.ts';

/** The parts of a V8 `.cpuprofile` this reads. */
interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileBreakdown {
  /** Milliseconds of samples in the window. */
  sampledMs: number;
  /** Share of the sampled time, in percent, by owner. */
  byOwner: { owner: string; percent: number; ms: number }[];
  /** The functions with the most self time (not idle), with their owner. */
  topFunctions: { fn: string; owner: string; percent: number }[];
  /** The project's own functions with the most self time. */
  topProjectFunctions: { fn: string; percent: number }[];
}

const EMULATOR_DB = 'dynalite (DynamoDB emulator)';
const EMULATOR_SQS = 'fauxqs (SQS emulator)';
const SDK = 'AWS SDK (clients)';
const SERVICE = 'service code (shared/, functions/)';
const LOCAL = 'local mode glue (local/)';
const MIDDY = 'middy + Powertools';
const ZOD = 'zod';
const NODE = 'Node internals (no package on the stack)';
const GC = 'garbage collection';
const IDLE = 'idle';
const PROGRAM = 'V8/native (program)';

/** The packages each dependency pulls in, from node_modules, so an emulator's own dependencies count as the emulator. */
function closure(roots: string[]): Set<string> {
  const seen = new Set<string>();
  const stack = [...roots];
  while (stack.length > 0) {
    const name = stack.pop()!;
    if (seen.has(name)) continue;
    const file = path.join(PROJECT_ROOT, 'node_modules', name, 'package.json');
    if (!existsSync(file)) continue;
    seen.add(name);
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { dependencies?: object; optionalDependencies?: object };
    stack.push(...Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies }));
  }
  return seen;
}

function ownerResolver(): (url: string) => string | undefined {
  const sdk = closure(['@aws-sdk/client-dynamodb', '@aws-sdk/client-sqs', '@aws-sdk/lib-dynamodb']);
  const dynalite = closure(['dynalite']);
  // fauxqs depends on parts of the SDK; those stay with the SDK unless fauxqs is above them (see below).
  const fauxqs = new Set([...closure(['fauxqs'])].filter((p) => !sdk.has(p)));
  const middy = closure(['@middy/core', '@aws-lambda-powertools/logger', '@aws-lambda-powertools/metrics']);
  const root = PROJECT_ROOT + path.sep;
  return (url: string) => {
    if (!url.startsWith('file://')) return undefined;
    const file = fileURLToPath(url);
    const marker = `${path.sep}node_modules${path.sep}`;
    const at = file.indexOf(marker);
    if (at >= 0) {
      const parts = file.slice(at + marker.length).split(path.sep);
      const pkg = parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
      if (dynalite.has(pkg)) return EMULATOR_DB;
      if (fauxqs.has(pkg)) return EMULATOR_SQS;
      if (sdk.has(pkg)) return SDK;
      if (middy.has(pkg)) return MIDDY;
      if (pkg === 'zod') return ZOD;
      return `other package (${pkg})`;
    }
    if (file.startsWith(root)) {
      const rel = file.slice(root.length);
      if (rel.startsWith(`local${path.sep}`)) return LOCAL;
      if (rel.startsWith(`shared${path.sep}`) || rel.startsWith(`functions${path.sep}`)) return SERVICE;
      return `project (${rel.split(path.sep)[0]})`;
    }
    return `other (${file})`;
  };
}

/**
 * Splits a CPU profile's samples within [fromUs, toUs] (V8 timestamps, CLOCK_MONOTONIC µs) by
 * owner: each sample goes to the nearest frame on its stack that belongs to a package or to
 * the project (so Node's own code counts for whoever called it), except that SDK code called
 * by an emulator (fauxqs uses parts of the SDK) counts as the emulator's.
 */
export function analyseProfile(file: string, window?: { fromUs: number; toUs: number }): ProfileBreakdown {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const ownerOf = ownerResolver();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const ownerCache = new Map<number, string>();
  const sampleOwner = (id: number): string => {
    const cached = ownerCache.get(id);
    if (cached) return cached;
    const leaf = byId.get(id)!;
    let owner: string | undefined;
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const o = ownerOf(byId.get(cur)!.callFrame.url);
      if (!o) continue;
      if (owner === undefined) {
        owner = o;
        if (o !== SDK) break;
      } else if (o !== SDK) {
        if (o === EMULATOR_SQS || o === EMULATOR_DB) owner = o;
        break;
      }
    }
    if (owner === undefined) {
      const name = leaf.callFrame.functionName;
      owner = name === '(garbage collector)' ? GC : name === '(idle)' ? IDLE : name === '(program)' ? PROGRAM : NODE;
    }
    ownerCache.set(id, owner);
    return owner;
  };

  const ownerUs = new Map<string, number>();
  const selfUs = new Map<string, { owner: string; us: number }>();
  let total = 0;
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i]!;
    // A sample stands for the interval up to the next one.
    const dt = profile.timeDeltas[i + 1] ?? 0;
    if (window && (t < window.fromUs || t > window.toUs)) continue;
    const id = profile.samples[i]!;
    const owner = sampleOwner(id);
    ownerUs.set(owner, (ownerUs.get(owner) ?? 0) + dt);
    total += dt;
    if (owner !== IDLE) {
      const f = byId.get(id)!.callFrame;
      const where = f.url.startsWith('file://') ? shortPath(fileURLToPath(f.url)) : f.url || '';
      const key = `${f.functionName || '(anonymous)'} ${where}${where ? `:${f.lineNumber + 1}` : ''}`.trim();
      const entry = selfUs.get(key) ?? { owner, us: 0 };
      entry.us += dt;
      selfUs.set(key, entry);
    }
  }
  const pct = (us: number) => round((100 * us) / Math.max(1, total));
  const functions = [...selfUs.entries()].sort((a, b) => b[1].us - a[1].us);
  return {
    sampledMs: round(total / 1000, 0),
    byOwner: [...ownerUs.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([owner, us]) => ({ owner, percent: pct(us), ms: round(us / 1000, 0) })),
    topFunctions: functions.slice(0, 15).map(([fn, { owner, us }]) => ({ fn, owner, percent: pct(us) })),
    topProjectFunctions: functions
      .filter(([, { owner }]) => owner === SERVICE || owner === LOCAL)
      .slice(0, 10)
      .map(([fn, { us }]) => ({ fn, percent: pct(us) })),
  };
}

function shortPath(file: string): string {
  const marker = `${path.sep}node_modules${path.sep}`;
  const at = file.lastIndexOf(marker);
  if (at >= 0) return file.slice(at + marker.length);
  return file.startsWith(PROJECT_ROOT) ? path.relative(PROJECT_ROOT, file) : file;
}
