import type { ReceiptListener } from './receiver.ts';

/**
 * Follows publishes to their deliveries: when each message was published (this process's
 * clock), how many deliveries it still expects, and every publish-to-receipt latency.
 */
export class DeliveryTracker {
  readonly latencies: number[] = [];
  received = 0;
  unexpected = 0;
  firstSendAt = Number.POSITIVE_INFINITY;
  lastReceiptAt = 0;
  private readonly sentAt = new Map<number, number>();
  private readonly pending = new Map<number, number>();
  private waiter: { total: number; resolve: () => void } | undefined;

  constructor(private readonly deliveriesPerMessage: number) {}

  /** Call just before the publish request is sent. */
  sent(messageId: number, at = performance.now()): void {
    this.sentAt.set(messageId, at);
    this.pending.set(messageId, this.deliveriesPerMessage);
    if (at < this.firstSendAt) this.firstSendAt = at;
  }

  readonly onReceipt: ReceiptListener = ({ messageId, at }) => {
    const left = this.pending.get(messageId);
    if (left === undefined || left <= 0) {
      this.unexpected++;
      return;
    }
    this.pending.set(messageId, left - 1);
    this.received++;
    this.latencies.push(at - this.sentAt.get(messageId)!);
    if (at > this.lastReceiptAt) this.lastReceiptAt = at;
    if (this.waiter && this.received >= this.waiter.total) this.waiter.resolve();
  };

  /**
   * For deliveries still missing at `at`: how long each has waited so far (a lower bound of
   * its latency), one entry per missing delivery.
   */
  waitingSince(at: number): number[] {
    const out: number[] = [];
    for (const [id, left] of this.pending) {
      for (let i = 0; i < left; i++) out.push(at - this.sentAt.get(id)!);
    }
    return out;
  }

  /** Resolves when `total` deliveries have arrived; rejects after `timeoutMs` saying how many did. */
  waitFor(total: number, timeoutMs: number): Promise<void> {
    if (this.received >= total) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error(`only ${this.received} of ${total} deliveries arrived within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiter = {
        total,
        resolve: () => {
          clearTimeout(timer);
          this.waiter = undefined;
          resolve();
        },
      };
    });
  }
}

/** Routes receipts from long-lived receivers to whichever tracker the current phase uses. */
export class ReceiptRouter {
  current: DeliveryTracker | undefined;
  stray = 0;
  readonly listener: ReceiptListener = (receipt) => {
    if (this.current) this.current.onReceipt(receipt);
    else this.stray++;
  };
}
