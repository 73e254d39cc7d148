/**
 * Progress on stderr while the benchmark runs (stdout carries only the final table): one line
 * per step, and for long steps a status line refreshed in place on a terminal or printed every
 * few seconds otherwise (CI logs).
 */
const started = performance.now();
const tty = process.stderr.isTTY === true;
let lastTick = 0;
let pendingStatus = false;

const stamp = () => `[${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s]`;

/** A step or result worth keeping in the log. */
export function step(message: string): void {
  if (pendingStatus) process.stderr.write('\r\x1b[K');
  pendingStatus = false;
  process.stderr.write(`${stamp()} ${message}\n`);
}

/** A transient status ("412/10000 deliveries"); rate-limited when not on a terminal. */
export function status(message: string): void {
  const now = performance.now();
  if (tty) {
    process.stderr.write(`\r\x1b[K${stamp()}   ${message}`);
    pendingStatus = true;
  } else if (now - lastTick >= 5000) {
    lastTick = now;
    process.stderr.write(`${stamp()}   ${message}\n`);
  }
}

/** Calls `report` every `ms` until the returned function is called. */
export function ticker(report: () => string, ms = 500): () => void {
  const timer = setInterval(() => status(report()), ms);
  timer.unref();
  return () => clearInterval(timer);
}

/** Seconds since the benchmark started. */
export const elapsedSeconds = (): number => (performance.now() - started) / 1000;
