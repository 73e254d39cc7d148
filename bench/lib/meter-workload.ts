import { DELIVERY_FUNCTION } from '#functions/routes.ts';
import type { LocalService } from '#local/service.ts';
import type { AwsMeter } from './aws-meter.ts';
import type { InvocationMeter } from './invocations.ts';
import { newMessageId, type LoadContext } from './load.ts';
import { benchMessage } from './message.ts';
import { DeliveryTracker } from './tracker.ts';

/**
 * How the delivery poller meets the published messages:
 * - `fullBatches`: deliveries are held while every message is published, so the poller hands
 *   over batches of ten queue messages, as under sustained load;
 * - `oneMessagePerInvocation`: one publish at a time, the next once the last has been
 *   delivered and its invocation has returned, as for a quiet topic.
 */
export type MeterShape = 'fullBatches' | 'oneMessagePerInvocation';

export interface MeterScenario {
  webhooks: number;
  publishes: number;
  shape: MeterShape;
}

export interface WorkloadDeps {
  ctx: LoadContext;
  service: Pick<LocalService, 'pauseDeliveries' | 'resumeDeliveries'>;
  invocations: InvocationMeter;
  /** Counts the window's AWS calls; without it the run is only timed. */
  meter: AwsMeter | undefined;
  /** The poller's long-poll wait (ms): how long a poll begun before a pause may take to return. */
  pollWaitMs: number;
}

export interface WorkloadRun {
  roundTrips: number[];
  publishCalls: number;
  deliveryDurationsMs: number[];
  counted: ReturnType<AwsMeter['stop']> | undefined;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Publishers for the full-batch shape: with deliveries held, only the publish path's own pace matters. */
const PUBLISHERS = 4;

/**
 * Publishes `scenario.publishes` messages to (cacheName, `metered`) in the scenario's shape and
 * waits until every delivery has arrived, its invocation has returned and the poller has
 * deleted its records. Meters that window when given a meter.
 */
export async function runWorkload(deps: WorkloadDeps, cacheName: string, scenario: MeterScenario, messageBytes: number): Promise<WorkloadRun> {
  const { ctx, invocations, meter } = deps;
  const tracker = new DeliveryTracker(scenario.webhooks);
  ctx.router.current = tracker;
  const roundTrips: number[] = [];
  const publishOne = async () => {
    const id = newMessageId();
    tracker.sent(id);
    roundTrips.push(await ctx.publisher.publish(cacheName, 'metered', benchMessage(id, messageBytes)));
  };
  // Invocations still record outcomes after their POSTs; then the poller deletes the records.
  const settled = async () => {
    for (let i = 0; i < 1000; i++) {
      const deliveryCalls = invocations.tallies.get(DELIVERY_FUNCTION)?.calls ?? 0;
      const deletes = meter ? (meter.sqs.get('DeleteMessageBatch')?.calls ?? 0) : deliveryCalls;
      if (invocations.inFlight === 0 && deletes >= deliveryCalls) return;
      await sleep(5);
    }
  };

  try {
    if (scenario.shape === 'fullBatches') {
      await deps.service.pauseDeliveries();
      // Long polls begun before the pause are still waiting, and the first message published
      // would wake them: one would hand over a batch of just that message. Once each has
      // returned empty, its worker stops at the pause, and after resuming every receive finds
      // the queue full.
      await sleep(deps.pollWaitMs + 250);
    }
    meter?.start();
    invocations.start();
    if (scenario.shape === 'fullBatches') {
      try {
        let next = 0;
        const publisher = async () => {
          while (next < scenario.publishes) {
            next++;
            await publishOne();
          }
        };
        await Promise.all(Array.from({ length: PUBLISHERS }, publisher));
      } finally {
        deps.service.resumeDeliveries();
      }
      await tracker.waitFor(scenario.publishes * scenario.webhooks, 120_000);
      await settled();
    } else {
      for (let i = 1; i <= scenario.publishes; i++) {
        await publishOne();
        await tracker.waitFor(i * scenario.webhooks, 60_000);
        await settled();
      }
    }
    // Untimed passes cannot see the deletes: give the last one a moment.
    if (!meter) await sleep(100);
    const counted = meter?.stop();
    invocations.stop();
    return {
      roundTrips,
      publishCalls: invocations.tallies.get('publish-message')?.calls ?? 0,
      deliveryDurationsMs: [...(invocations.tallies.get(DELIVERY_FUNCTION)?.durationsMs ?? [])],
      counted,
    };
  } finally {
    ctx.router.current = undefined;
  }
}
