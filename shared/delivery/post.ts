import { logger } from '../logger.ts';
import type { WebhookRecord } from '../webhooks/model.ts';
import type { DeliveryOutcome, DeliveryRequest, RateLimiter, WebhookSender } from './model.ts';

type LimitedWebhook = Pick<WebhookRecord, 'webhookId' | 'webhookName' | 'rateLimitPerSecond'>;

/** Counter writes one POST may wait for: each more than one means a write straddled a second's turn. */
const MAX_WRITES_PER_TAKE = 3;

/** What one second's slots of one webhook look like to the invocation that took them. */
interface HeldSlots {
  second: number;
  /** Taken and not used yet. */
  unused: number;
  /** The table gave fewer than asked: the second's limit is used up. */
  exhausted: boolean;
}

/**
 * The rate-limit slots one invocation (a delivery batch, a ping) holds, per webhook and second
 * of the clock (docs/design.md#rate-limits). The first POST to a limited webhook in a second
 * takes, in one write, a slot for every POST the invocation still has to make to it; the
 * following POSTs of that second use those. A slot is used only in the second it was taken
 * for: when the clock has moved on, the unused ones are left and the next POST takes anew.
 * So every POST holds a slot of its own second, and a full batch costs one counter write per
 * webhook, not one per POST.
 */
export class RateLimitSlots {
  /** POSTs still to make, per limited webhook: how many slots the next write asks for. */
  private readonly pending = new Map<string, number>();
  private readonly held = new Map<string, HeldSlots>();
  /** One take at a time per webhook, so that concurrent POSTs share one write. */
  private readonly turns = new Map<string, Promise<boolean>>();

  constructor(
    private readonly deps: { rateLimits: RateLimiter; now: () => number },
    posts: Iterable<LimitedWebhook>,
  ) {
    for (const webhook of posts) {
      if (webhook.rateLimitPerSecond !== null) this.pending.set(webhook.webhookId, (this.pending.get(webhook.webhookId) ?? 0) + 1);
    }
  }

  /** A slot for one POST to `webhook` now; false when its second's limit is used up. A webhook without a limit needs none. */
  take(webhook: LimitedWebhook): Promise<boolean> {
    const limit = webhook.rateLimitPerSecond;
    if (limit === null) return Promise.resolve(true);
    const previous = this.turns.get(webhook.webhookId) ?? Promise.resolve(true);
    const turn = previous.then(() => this.takeNow(webhook, limit));
    this.turns.set(webhook.webhookId, turn);
    return turn;
  }

  private async takeNow(webhook: LimitedWebhook, limit: number): Promise<boolean> {
    const id = webhook.webhookId;
    const wanted = Math.max(1, this.pending.get(id) ?? 1);
    this.pending.set(id, wanted - 1);
    for (let write = 0; write < MAX_WRITES_PER_TAKE; write++) {
      const now = this.deps.now();
      const second = Math.floor(now / 1000);
      const held = this.held.get(id);
      if (held?.second === second) {
        if (held.unused > 0) {
          held.unused--;
          return true;
        }
        if (held.exhausted) return false;
      }
      let granted: number;
      try {
        granted = await this.deps.rateLimits.acquire(id, limit, now, wanted);
      } catch (err) {
        // Not sent: the group is already claimed, so it cannot go back to the queue, and the
        // limit is a promise to the receiver. The next POST tries the table again.
        logger.warn('rate limit counter unavailable; delivery not sent', { webhookName: webhook.webhookName, error: (err as Error).name });
        return false;
      }
      this.held.set(id, { second, unused: Math.max(0, granted - 1), exhausted: granted < wanted });
      // The POST follows at once, so it falls in the second of its slot, unless the write
      // itself straddled the turn of a second: then the slots are of the second before, and
      // the next round takes the new second's.
      if (Math.floor(this.deps.now() / 1000) === second) return granted > 0;
    }
    return false;
  }
}

/**
 * One POST of a delivery or a test ping, within the webhook's rate limit: over the limit it is
 * not sent and ends `rate_limited`, with no status and no latency.
 */
export async function postWithinRateLimit(
  deps: { sender: WebhookSender; now: () => number },
  slots: RateLimitSlots,
  webhook: LimitedWebhook,
  request: DeliveryRequest,
): Promise<DeliveryOutcome> {
  if (!(await slots.take(webhook))) {
    return { kind: 'rate_limited', latencyMs: 0, attemptedAt: deps.now() };
  }
  return deps.sender.send(request);
}
