/**
 * `npm run bench`: the service's performance in local mode, side by side with the raw limit
 * of this machine (docs/performance.md explains each number and what limits it).
 *
 *   npm run bench                 the full run (about 4 minutes, 1½ of them putting the 10,000 fan-out webhooks)
 *   BENCH_QUICK=1 npm run bench   a smaller workload, for working on the code
 *
 * Progress goes to stderr; the summary table to stdout; everything to bench/results.json.
 * All traffic stays on 127.0.0.1.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DELIVERY_QUEUE_DEFAULTS } from '#shared/queue-settings.ts';
import { LOCAL_POLLER_CONCURRENCY } from '#local/service.ts';
import { PROJECT_ROOT } from '../infra/project-root.ts';
import { BENCH } from './lib/config.ts';
import { measureColdStart, type ColdStartResult } from './lib/cold-start.ts';
import { analyseProfile, type ProfileBreakdown } from './lib/cpu-profile.ts';
import { loadContext, startLocal, toggleProfiler } from './lib/local-phases.ts';
import {
  measureFanOut,
  measureLatency,
  measureThroughput,
  putWebhooks,
  type FanOutResult,
  type LatencyResult,
  type ThroughputResult,
} from './lib/load.ts';
import { readCpuSeconds, readMemory } from './lib/local-process.ts';
import { loadPrices, measureAwsCalls, type AwsCallsResult, type MeterShape } from './lib/meter-phase.ts';
import { measureRawLimit, type RawLimitResult } from './lib/raw-limit.ts';
import { closeReceivers, startReceivers } from './lib/receiver.ts';
import { renderTable, type Row } from './lib/report.ts';
import type { WebhookSettings } from './lib/http-client.ts';
import { round } from './lib/stats.ts';
import { ReceiptRouter } from './lib/tracker.ts';
import { elapsedSeconds, step } from './lib/progress.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** What local mode's delivery path keeps in flight: poller invocations × records per invocation. */
const DELIVERY_CONCURRENCY = LOCAL_POLLER_CONCURRENCY * DELIVERY_QUEUE_DEFAULTS.batchSize;

interface ProfileResult {
  how: string;
  breakdown: ProfileBreakdown;
  /** Main-thread time per delivery made during the profiled phase, by owner. */
  mainThreadMsPerDelivery: Record<string, number>;
}

interface MemoryResult {
  how: string;
  readyMs: number;
  selfReportedReadyMs: number | undefined;
  idleRssMb: number;
  /** npm, sh and tsx's launcher process too. */
  idleTreeRssMb: number;
  peakRssDuringThroughputMb: number;
  vmHwmMb: number;
  rssAfterLoadMb: number;
  /** CPU seconds local mode used per wall-clock second of the throughput phase (1.0 = one core). */
  cpuCoresDuringThroughput: number;
  stdoutBytesPerDelivery: number;
}

async function main(): Promise<void> {
  step(`benchmark: ${BENCH.quick ? 'QUICK run (smaller workload)' : 'full run'}; ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const loadAverageAtStart = os.loadavg().map((l) => round(l, 2));
  const devApiKey = `bench-${randomBytes(24).toString('base64url')}`;

  // (6) first, while nothing else of ours runs.
  const coldStart: ColdStartResult = await measureColdStart({ runs: BENCH.coldStartRuns });

  // (1)
  const raw: RawLimitResult = await measureRawLimit({
    concurrency: DELIVERY_CONCURRENCY,
    receivers: BENCH.throughputWebhooks,
    messageBytes: BENCH.messageBytes,
    secondsPerRun: BENCH.rawSecondsPerRun,
    runs: BENCH.rawRuns,
  });

  // (2), (4), (3) and (7): local mode as a user starts it, in its own process.
  const router = new ReceiptRouter();
  const maxFanOut = Math.max(...BENCH.fanOut.map((f) => f.webhooks));
  const receivers = await startReceivers(Math.min(BENCH.maxReceivers, Math.max(maxFanOut, BENCH.throughputWebhooks)), router.listener);
  const profileDir = BENCH.profile ? await mkdtemp(path.join(os.tmpdir(), 'bench-profile-')) : undefined;
  step(`started ${receivers.length} receivers on 127.0.0.1; starting local mode (npm start)`);
  const local = await startLocal(devApiKey, { profileDir, maxWebhooksPerCache: maxFanOut + 100 });
  let throughput: ThroughputResult;
  let latency: LatencyResult;
  let latencyLow: LatencyResult;
  const fanOut: FanOutResult[] = [];
  let memory: MemoryResult;
  let profile: ProfileResult | undefined;
  try {
    await new Promise((r) => setTimeout(r, 1500));
    const idle = await readMemory(local.servicePid);
    const tree = await Promise.all(local.treePids.map((pid) => readMemory(pid).catch(() => ({ rssMb: 0, hwmMb: 0 }))));
    step(`local mode ready in ${round(local.readyMs, 0)} ms (it reports ${local.selfReportedReadyMs ?? '?'} ms); idle RSS ${round(idle.rssMb)} MB`);

    const ctx = await loadContext(local.url, devApiKey, receivers, router, BENCH.messageBytes);
    await putWebhooks(ctx, 'bench', 'throughput', BENCH.throughputWebhooks);
    // Warm-up (JIT, connection pools), not measured.
    await measureThroughput(ctx, {
      cacheName: 'bench',
      topicName: 'throughput',
      seconds: 1,
      webhooks: BENCH.throughputWebhooks,
      publishers: BENCH.throughputPublishers,
      maxBacklog: BENCH.throughputMaxBacklog,
    });

    let peakRss = 0;
    const sampler = setInterval(() => {
      void readMemory(local.servicePid).then((m) => (peakRss = Math.max(peakRss, m.rssMb)), () => undefined);
    }, 100);
    if (profileDir) await toggleProfiler(local.servicePid, profileDir, true);
    const cpuBefore = await readCpuSeconds(local.servicePid);
    const stdoutBefore = local.stdoutBytes();
    const t0 = performance.now();
    throughput = await measureThroughput(ctx, {
      cacheName: 'bench',
      topicName: 'throughput',
      seconds: BENCH.throughputSeconds,
      webhooks: BENCH.throughputWebhooks,
      publishers: BENCH.throughputPublishers,
      maxBacklog: BENCH.throughputMaxBacklog,
    });
    const cpuCores = ((await readCpuSeconds(local.servicePid)) - cpuBefore) / ((performance.now() - t0) / 1000);
    clearInterval(sampler);
    const stdoutBytes = local.stdoutBytes() - stdoutBefore;
    const afterLoad = await readMemory(local.servicePid);
    peakRss = Math.max(peakRss, afterLoad.rssMb);
    step(`throughput: ${throughput.deliveriesPerSecond} deliveries/s (${throughput.deliveries} in ${throughput.seconds} s) = ${round(throughput.deliveriesPerSecond / raw.postsPerSecond, 2)}× raw; peak RSS ${round(peakRss)} MB; local mode used ${round(cpuCores, 2)} cores`);
    if (profileDir) {
      const file = await toggleProfiler(local.servicePid, profileDir, false);
      if (process.env.BENCH_PROFILE_OUT) await copyFile(file, process.env.BENCH_PROFILE_OUT);
      const breakdown = analyseProfile(file);
      profile = {
        how: 'inspector CPU profile (1 ms sampling) of the local/start.ts process, switched on for exactly the throughput phase; each sample counted for the nearest package or project file on its stack',
        breakdown,
        mainThreadMsPerDelivery: Object.fromEntries(breakdown.byOwner.map((o) => [o.owner, round(o.ms / throughput.deliveries, 3)])),
      };
      step(`profile: ${breakdown.byOwner.slice(0, 4).map((o) => `${o.owner} ${o.percent}%`).join(', ')}`);
    }
    memory = {
      how: 'npm start as a child process; RSS of the node process that runs local/start.ts, from /proc/<pid>/status',
      readyMs: round(local.readyMs, 0),
      selfReportedReadyMs: local.selfReportedReadyMs,
      idleRssMb: round(idle.rssMb),
      idleTreeRssMb: round(tree.reduce((sum, m) => sum + m.rssMb, 0)),
      peakRssDuringThroughputMb: round(peakRss),
      vmHwmMb: round(afterLoad.hwmMb),
      rssAfterLoadMb: round(afterLoad.rssMb),
      cpuCoresDuringThroughput: round(cpuCores, 2),
      stdoutBytesPerDelivery: round(stdoutBytes / throughput.deliveries, 0),
    };

    for (const f of BENCH.fanOut) {
      fanOut.push(await measureFanOut(ctx, { cacheName: `fanout-${f.webhooks}`, topicName: 'fan', webhooks: f.webhooks, publishes: f.publishes }));
    }

    latencyLow = await measureLatency(ctx, {
      cacheName: 'bench',
      topicName: 'throughput',
      rate: BENCH.latencyLowRate,
      seconds: BENCH.latencyLowSeconds,
      webhooks: BENCH.latencyWebhooks,
      drainSeconds: BENCH.latencyDrainSeconds,
    });
    const lo = latencyLow.publishToReceiptMs;
    step(`latency at ${latencyLow.publishesPerSecond}/s × ${latencyLow.webhooks}: p50 ${lo.p50} ms, p95 ${lo.p95} ms, p99 ${lo.p99} ms, max ${lo.max} ms`);

    // Last on this process: a backlog it cannot clear is dropped with it.
    latency = await measureLatency(ctx, {
      cacheName: 'bench',
      topicName: 'throughput',
      rate: BENCH.latencyRate,
      seconds: BENCH.latencySeconds,
      webhooks: BENCH.latencyWebhooks,
      drainSeconds: BENCH.latencyDrainSeconds,
    });
    const l = latency.publishToReceiptMs;
    const atLeast = l.lowerBound ? '≥ ' : '';
    step(`latency at ${latency.publishesPerSecond}/s × ${latency.webhooks}: p50 ${atLeast}${l.p50} ms, p95 ${atLeast}${l.p95} ms, p99 ${atLeast}${l.p99} ms, max ${atLeast}${l.max} ms${latency.missingAfterDrain ? ` (${latency.missingAfterDrain} deliveries still queued ${latency.drainSeconds} s after the last publish)` : ''}`);
    ctx.admin.close();
    ctx.publisher.close();
  } finally {
    await local.stop();
    await closeReceivers(receivers);
    if (profileDir) await rm(profileDir, { recursive: true, force: true });
  }

  // (5) in this process.
  const awsCalls: AwsCallsResult = await measureAwsCalls({ messageBytes: BENCH.messageBytes, scenarios: BENCH.meter, prices: await loadPrices() });

  const results = {
    meta: {
      date: new Date().toISOString(),
      quick: BENCH.quick,
      commit: gitCommit(),
      node: process.version,
      cpus: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown'}`,
      loadAverageAtStart,
      loadAverageAtEnd: os.loadavg().map((l) => round(l, 2)),
      messageBytes: BENCH.messageBytes,
      deliveryBodyBytes: raw.bodyBytes,
      deliveryConcurrency: `${LOCAL_POLLER_CONCURRENCY} poller invocations × batch ${DELIVERY_QUEUE_DEFAULTS.batchSize}`,
      seconds: round(elapsedSeconds(), 0),
    },
    rawLimit: raw,
    throughput: { ...throughput!, ratioToRaw: round(throughput!.deliveriesPerSecond / raw.postsPerSecond, 2) },
    latency: latency!,
    latencyAtLowerRate: latencyLow!,
    fanOut,
    awsCalls,
    coldStart,
    memory: memory!,
    profile,
  };
  await writeFile(path.join(PROJECT_ROOT, 'bench', 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  step(`done in ${round(elapsedSeconds(), 0)} s; wrote bench/results.json`);
  process.stdout.write(`\n${renderTable(summaryRows(results))}\n`);
}

function gitCommit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: PROJECT_ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: PROJECT_ROOT, encoding: 'utf8' }).trim();
    return dirty ? `${head} (with uncommitted changes)` : head;
  } catch {
    return 'unknown';
  }
}

type Results = {
  rawLimit: RawLimitResult;
  throughput: ThroughputResult & { ratioToRaw: number };
  latency: LatencyResult;
  latencyAtLowerRate: LatencyResult;
  fanOut: FanOutResult[];
  awsCalls: AwsCallsResult;
  coldStart: ColdStartResult;
  memory: MemoryResult;
  profile: ProfileResult | undefined;
};

function summaryRows(r: Results): Row[] {
  const rows: Row[] = [];
  const kb = (b: number) => `${round(b / 1024, 0)} KB`;
  rows.push({ section: '1 raw limit', metric: `signed POSTs/s, ${r.rawLimit.concurrency} in flight, ${r.rawLimit.bodyBytes} B`, value: `${r.rawLimit.postsPerSecond} (runs ${r.rawLimit.runsPostsPerSecond.join(', ')})` });
  rows.push({
    section: '2 throughput',
    metric: `deliveries/s, ${r.throughput.loadSeconds} s of load: ${r.throughput.messages} msgs × ${r.throughput.webhooks} webhooks, ${r.throughput.publishers} publishers`,
    value: `${r.throughput.deliveriesPerSecond} (${r.throughput.seconds} s)`,
  });
  rows.push({ section: '2 throughput', metric: 'ratio to raw limit', value: `${r.throughput.ratioToRaw}×`, target: '≥ 0.5×', met: r.throughput.ratioToRaw >= 0.5 });
  const l = r.latency.publishToReceiptMs;
  const ge = l.lowerBound ? '≥ ' : '';
  rows.push({ section: '3 latency', metric: `publish→receipt p50 / p95 (${r.latency.publishesPerSecond}/s × ${r.latency.webhooks}, ${r.latency.seconds} s)`, value: `${ge}${l.p50} / ${ge}${l.p95} ms` });
  rows.push({ section: '3 latency', metric: 'publish→receipt p99 / max', value: `${ge}${l.p99} / ${ge}${l.max} ms`, target: 'p99 ≤ 100 ms', met: l.p99 <= 100 });
  const lo = r.latencyAtLowerRate.publishToReceiptMs;
  const loGe = lo.lowerBound ? '≥ ' : '';
  rows.push({
    section: '3 latency',
    metric: `same at ${r.latencyAtLowerRate.publishesPerSecond}/s × ${r.latencyAtLowerRate.webhooks} (${r.latencyAtLowerRate.seconds} s): p50 / p99 / max`,
    value: `${loGe}${lo.p50} / ${loGe}${lo.p99} / ${loGe}${lo.max} ms`,
  });
  if (r.latency.missingAfterDrain > 0) {
    rows.push({ section: '3 latency', metric: `deliveries still queued ${r.latency.drainSeconds} s after the last publish`, value: `${r.latency.missingAfterDrain} of ${r.latency.publishes * r.latency.webhooks}` });
  }
  for (const f of r.fanOut) {
    const big = f.webhooks === Math.max(...r.fanOut.map((x) => x.webhooks));
    rows.push({
      section: '4 fan-out',
      metric: `${f.webhooks} webhook(s): publish round trip / all delivered`,
      value: `${f.publishMs} / ${f.allDeliveredMs} ms`,
      ...(big ? { target: 'publish ≤ 1000 ms', met: f.publishMs <= 1000 } : {}),
    });
  }
  rows.push(...awsCallRows(r.awsCalls));
  const largest = Math.max(...r.coldStart.functions.map((f) => f.bundleBytes));
  const slowest = Math.max(...r.coldStart.functions.map((f) => f.initMs));
  rows.push({ section: '6 cold start', metric: 'largest bundle', value: kb(largest), target: '≤ 300 KB', met: largest <= 300 * 1024 });
  rows.push({ section: '6 cold start', metric: `slowest init (median of ${r.coldStart.runs}, ${r.coldStart.nodeOptions || 'no NODE_OPTIONS'})`, value: `${slowest} ms`, target: '≤ 100 ms', met: slowest <= 100 });
  for (const f of r.coldStart.functions) {
    const noMaps = f.initMsWithoutSourceMaps === undefined ? '' : ` (${f.initMsWithoutSourceMaps} ms w/o source maps)`;
    rows.push({ section: '6 cold start', metric: `  ${f.name}`, value: `${kb(f.bundleBytes)}, init ${f.initMs} ms${noMaps}` });
  }
  for (const w of r.coldStart.whatIf) {
    rows.push({
      section: '6 cold start',
      metric: `  what if: ${w.name}, ${w.change}`,
      value: `${kb(w.bundleBytes)}${w.initMs === undefined ? '' : `, init ${w.initMs} ms`}`,
    });
  }
  const m = r.memory;
  rows.push({ section: '7 memory (local mode)', metric: 'ready after npm start', value: `${m.readyMs} ms`, target: '≤ 3000 ms', met: m.readyMs <= 3000 });
  rows.push({ section: '7 memory (local mode)', metric: 'idle RSS', value: `${m.idleRssMb} MB`, target: '< 250 MB', met: m.idleRssMb < 250 });
  rows.push({ section: '7 memory (local mode)', metric: 'peak RSS during (2) / VmHWM', value: `${m.peakRssDuringThroughputMb} / ${m.vmHwmMb} MB` });
  rows.push({ section: '7 memory (local mode)', metric: 'CPU used during (2)', value: `${m.cpuCoresDuringThroughput} cores` });
  if (r.profile) {
    for (const o of r.profile.breakdown.byOwner.slice(0, 8)) {
      rows.push({
        section: 'profile of local mode during (2): main-thread time',
        metric: o.owner,
        value: `${o.percent}% (${r.profile.mainThreadMsPerDelivery[o.owner]} ms/delivery)`,
      });
    }
  }
  return rows;
}

const SHAPE_LABELS: Record<MeterShape, string> = { fullBatches: 'full batches', oneMessagePerInvocation: 'one message per invocation' };

/** (5): per scenario and shape, the calls per delivery and the dollars per million deliveries; then SNS's price beside them. */
function awsCallRows(a: AwsCallsResult): Row[] {
  const section = '5 AWS cost per million deliveries';
  const rows: Row[] = [];
  for (const s of a.scenarios) {
    const c = s.costPerMillionDeliveries;
    const p = s.perDelivery;
    const name = `${s.webhooks} webhook(s)/topic${s.settings ? ` with ${settingsLabel(s.settings)}` : ''}, ${SHAPE_LABELS[s.shape]}`;
    const expected = s.lambda.fullBatchDeliveries === undefined ? '' : ` (full: ${s.lambda.fullBatchDeliveries})`;
    rows.push({
      section,
      metric: `${name}: deliveries/invocation; per delivery RRU / WRU / SQS req / invocations / log B`,
      value: `${s.lambda.deliveriesPerDeliveryInvocation}${expected}; ${p.rru} / ${p.wru} / ${p.sqsRequests} / ${p.lambdaInvocations} / ${p.logBytes}`,
    });
    rows.push({
      section,
      metric: `${name}: $ incl. logs (of it logs) / with API Gateway`,
      value: `$${c.totalWithoutApiGateway} ($${c.cloudwatchLogs}) / $${c.totalWithApiGateway}`,
      // Half of SNS's $0.60, at 10 webhooks per topic with full batches (docs/performance.md).
      ...(s.webhooks === 10 && s.shape === 'fullBatches' && !s.settings ? { target: '≤ $0.30', met: c.totalWithoutApiGateway <= 0.3 } : {}),
    });
  }
  rows.push({ section, metric: 'reference: SNS, HTTP/S deliveries (list price)', value: `$${a.snsHttpDeliveriesPerMillion}` });
  return rows;
}

const settingsLabel = (settings: WebhookSettings) =>
  [settings.standardWebhooks ? 'Standard Webhooks' : '', settings.rateLimitPerSecond ? `a rate limit (${settings.rateLimitPerSecond}/s)` : '']
    .filter(Boolean)
    .join(' and ');

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(1);
  },
);
