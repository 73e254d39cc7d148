import { DELIVERY_FUNCTION, HTTP_FUNCTIONS } from '#functions/routes.ts';
import { median, round } from './stats.ts';

/** Calls of one function's handler and their durations (ms) within a metered window. */
export interface InvocationTally {
  calls: number;
  durationsMs: number[];
}

interface MiddyRequest {
  event: unknown;
}
interface MiddyLike {
  use(middleware: {
    before?: (request: MiddyRequest) => void;
    after?: (request: MiddyRequest) => void;
    onError?: (request: MiddyRequest) => void;
  }): unknown;
}

/**
 * Counts Lambda invocations by adding a middy middleware to the handlers the functions export:
 * the same module instances local mode loads in this process, so every call local mode makes
 * is seen. The time is measured from this middleware's `before` to its `after`: it leaves out
 * the middlewares registered before it (for the API functions that includes authentication),
 * which is why publish is also timed by its HTTP round trip.
 */
export class InvocationMeter {
  tallies = new Map<string, InvocationTally>();
  inFlight = 0;
  private active = false;

  private constructor() {}

  static async attach(): Promise<InvocationMeter> {
    const meter = new InvocationMeter();
    for (const name of [...HTTP_FUNCTIONS, DELIVERY_FUNCTION]) {
      const module = (await import(`../../functions/${name}.ts`)) as { handler: MiddyLike };
      const started = new WeakMap<MiddyRequest, number>();
      const end = (request: MiddyRequest) => {
        const t = started.get(request);
        if (t === undefined) return;
        started.delete(request);
        meter.inFlight--;
        const tally = meter.tallyOf(name);
        tally.calls++;
        tally.durationsMs.push(performance.now() - t);
      };
      module.handler.use({
        before: (request) => {
          if (!meter.active) return;
          meter.inFlight++;
          started.set(request, performance.now());
        },
        after: end,
        onError: end,
      });
    }
    return meter;
  }

  private tallyOf(name: string): InvocationTally {
    let t = this.tallies.get(name);
    if (!t) this.tallies.set(name, (t = { calls: 0, durationsMs: [] }));
    return t;
  }

  start(): void {
    this.tallies = new Map();
    this.active = true;
  }

  stop(): void {
    this.active = false;
  }

  summary(name: string): { calls: number; medianMs: number; totalMs: number } {
    const t = this.tallies.get(name) ?? { calls: 0, durationsMs: [] };
    return {
      calls: t.calls,
      medianMs: round(median(t.durationsMs)),
      totalMs: round(t.durationsMs.reduce((a, b) => a + b, 0)),
    };
  }
}
