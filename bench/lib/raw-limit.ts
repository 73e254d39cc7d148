import { createWebhookSender } from '#shared/http/webhook-sender.ts';
import { signDeliveryBody } from '#shared/delivery/signature.ts';
import { DEFAULT_USER_AGENT } from '#shared/config.ts';
import { randomBytes } from 'node:crypto';
import { startReceivers, closeReceivers } from './receiver.ts';
import { sampleDeliveryBody } from './message.ts';
import { median, round } from './stats.ts';
import { status, step } from './progress.ts';

export interface RawLimitResult {
  concurrency: number;
  receivers: number;
  bodyBytes: number;
  secondsPerRun: number;
  runsPostsPerSecond: number[];
  /** Median of the runs. */
  postsPerSecond: number;
}

/**
 * (1) The raw limit: signed POSTs from this process to in-process loopback receivers, through
 * the service's own sender (same keep-alive pool, same deadline machinery), with `concurrency`
 * requests in flight, each body built and signed as a delivery is. Nothing else runs: no
 * table, no queue. What the whole service achieves is compared with this.
 */
export async function measureRawLimit(options: {
  concurrency: number;
  receivers: number;
  messageBytes: number;
  secondsPerRun: number;
  runs: number;
}): Promise<RawLimitResult> {
  const receivers = await startReceivers(options.receivers, () => undefined);
  const secret = randomBytes(32).toString('base64url');
  for (const r of receivers) r.secret = secret;
  const sender = createWebhookSender({ policy: { allowLoopbackHttp: true, allowlist: [] }, userAgent: DEFAULT_USER_AGENT });
  let bodyBytes = 0;
  let id = 0;

  const runFor = async (ms: number): Promise<number> => {
    const deadline = performance.now() + ms;
    let done = 0;
    let failed = 0;
    const worker = async () => {
      while (performance.now() < deadline) {
        const n = id++;
        const body = sampleDeliveryBody(n, options.messageBytes);
        bodyBytes = Buffer.byteLength(body);
        const outcome = await sender.send({
          url: receivers[n % receivers.length]!.url,
          body,
          headers: { 'momento-signature': signDeliveryBody(body, secret) },
        });
        if (outcome.kind === 'delivered') done++;
        else failed++;
      }
    };
    const started = performance.now();
    await Promise.all(Array.from({ length: options.concurrency }, worker));
    const seconds = (performance.now() - started) / 1000;
    if (failed > 0) throw new Error(`raw limit: ${failed} POSTs to the loopback receivers failed`);
    return done / seconds;
  };

  try {
    await runFor(500); // warm-up: connections opened, code optimised
    const runs: number[] = [];
    for (let i = 0; i < options.runs; i++) {
      status(`raw limit run ${i + 1}/${options.runs}`);
      runs.push(round(await runFor(options.secondsPerRun * 1000), 0));
    }
    const result: RawLimitResult = {
      concurrency: options.concurrency,
      receivers: options.receivers,
      bodyBytes,
      secondsPerRun: options.secondsPerRun,
      runsPostsPerSecond: runs,
      postsPerSecond: round(median(runs), 0),
    };
    step(`raw limit: ${result.postsPerSecond} POSTs/s (runs ${runs.join(', ')}; ${options.concurrency} in flight, ${bodyBytes}-byte bodies)`);
    return result;
  } finally {
    sender.close();
    await closeReceivers(receivers);
  }
}
