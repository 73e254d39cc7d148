import * as z from 'zod/mini';
import { NotFoundError } from '../errors.ts';
import { parseInput } from '../validation.ts';
import type { SequenceCounter } from '../publish/model.ts';
import type { MessageLog, StoredMessage, TopicSignal } from './model.ts';

/**
 * Momento's HTTP long-poll over the topic's message log: every retained message from the
 * requested number on, as soon as there is one, else an empty answer after the wait.
 * See docs/design.md#topic-subscriptions.
 */

/** Sequence numbers never reset, so the page is one fixed value for every topic. */
export const SEQUENCE_PAGE = 0;

/**
 * How old the first message after a hole must be before the hole is announced as a
 * discontinuity: longer than a publish may take (its function's 20 s timeout), so a number
 * taken by a publish still writing its log entry is waited for, not skipped.
 */
export const GAP_SETTLE_MS = 30_000;

/** Reads of the log while waiting: at 100 ms, then doubling to once a second. */
const FIRST_POLL_MS = 100;
const MAX_POLL_MS = 1000;

export type SubscriptionItem =
  | { item: { topic_sequence_number: number; sequence_page: number; value: { text: string }; token_id: string } }
  | { discontinuity: { last_topic_sequence: number; new_topic_sequence: number; new_sequence_page: number } };

export interface SubscribeQuery {
  sequence_number?: string | undefined;
  sequence_page?: string | undefined;
  limit?: string | undefined;
}

interface Deps {
  log: MessageLog;
  sequences: Pick<SequenceCounter, 'current'>;
  signal: TopicSignal;
  config: { messageRetentionSeconds: number; subscribeWaitSeconds: number };
  now: () => number;
}

const wholeNumber = (field: string, max: number) =>
  z.pipe(
    z.string().check(z.regex(/^(0|[1-9][0-9]{0,15})$/, { message: `${field} must be a whole number` })),
    z.pipe(z.transform(Number), z.number().check(z.lte(max, { message: `${field} must be at most ${max}` }))),
  );
const querySchema = z.object({
  sequence_number: z.optional(wholeNumber('sequence_number', Number.MAX_SAFE_INTEGER)),
  sequence_page: z.optional(wholeNumber('sequence_page', Number.MAX_SAFE_INTEGER)),
  limit: z.optional(
    z.pipe(wholeNumber('limit', 100), z.number().check(z.gte(1, { message: 'limit must be at least 1' }))),
  ),
});

/** Waits for and returns the topic's messages from `sequence_number` on (0 or absent: the next one published). */
export async function subscribe(
  deps: Deps,
  topic: { cacheName: string; topicName: string },
  query: SubscribeQuery,
): Promise<{ items: SubscriptionItem[] }> {
  if (deps.config.messageRetentionSeconds === 0) {
    throw new NotFoundError('topic subscriptions are off: this deployment keeps no message log');
  }
  const { sequence_number: requested = 0, limit = 100 } = parseInput(querySchema, query);
  const { cacheName, topicName } = topic;
  const next = requested > 0 ? requested : (await deps.sequences.current(cacheName, topicName)) + 1;
  const deadline = deps.now() + deps.config.subscribeWaitSeconds * 1000;

  // From `from` on, past messages that have expired (retention dropped them: a settled hole).
  let from = next;
  let expiredSkipped = false;
  for (let pollMs = FIRST_POLL_MS; ; ) {
    const read = await deps.log.read(cacheName, topicName, from, limit);
    const nowSeconds = deps.now() / 1000;
    const live = read.filter((m) => m.expiresAt > nowSeconds);
    const lastExpired = read.findLast((m) => m.expiresAt <= nowSeconds);
    const items = itemsFrom(next, live, deps.now(), expiredSkipped || lastExpired !== undefined);
    if (items.length > 0) return { items };
    if (lastExpired && live.length === 0) {
      // A whole read of expired messages: read on past them at once.
      from = lastExpired.sequenceNumber + 1;
      expiredSkipped = true;
      continue;
    }
    const left = deadline - deps.now();
    if (left <= 0) return { items: [] };
    await deps.signal.wait(cacheName, topicName, Math.min(pollMs, left));
    pollMs = Math.min(pollMs * 2, MAX_POLL_MS);
  }
}

/**
 * The answer for retained messages read from `next` on: a run without holes, led by a
 * discontinuity when the first retained message comes after `next` and that hole is settled
 * (retention dropped what was before, or a publish failed after taking its number).
 */
function itemsFrom(next: number, messages: readonly StoredMessage[], now: number, expiredBefore: boolean): SubscriptionItem[] {
  const [first] = messages;
  if (!first) return [];
  const items: SubscriptionItem[] = [];
  if (first.sequenceNumber > next) {
    if (!expiredBefore && now - first.eventTimestamp < GAP_SETTLE_MS) return [];
    items.push({
      discontinuity: { last_topic_sequence: next - 1, new_topic_sequence: first.sequenceNumber, new_sequence_page: SEQUENCE_PAGE },
    });
  }
  let expected = first.sequenceNumber;
  for (const message of messages) {
    // A hole inside the run: stop before it; the next call starts there.
    if (message.sequenceNumber !== expected) break;
    items.push({
      item: {
        topic_sequence_number: message.sequenceNumber,
        sequence_page: SEQUENCE_PAGE,
        value: { text: message.text },
        token_id: message.tokenId,
      },
    });
    expected++;
  }
  return items;
}
