import { SdkError, UnknownServiceError } from './errors.js';
import { TopicDiscontinuity, TopicHeartbeat, TopicItem, TopicSubscribe } from './responses.js';
import type { Transport } from './transport.js';

/** Options of `subscribe`, as in Momento's SDK. */
export interface SubscribeCallOptions {
  /** Each message, in sequence order, once. */
  onItem?: (item: TopicItem) => void;
  /**
   * A failed poll. After `AUTHENTICATION_ERROR`, `PERMISSION_ERROR`, `NOT_FOUND_ERROR`,
   * `INVALID_ARGUMENT_ERROR` or an answer this client does not understand the subscription has
   * ended (`subscription.isSubscribed` is false); after a transient failure (network,
   * `TIMEOUT_ERROR`, a 5xx, a gateway's 429) it polls again after a backoff, unless
   * `subscription.unsubscribe()` is called here.
   */
  onError?: (error: TopicSubscribe.Error, subscription: TopicSubscribe.Subscription) => void;
  /** Messages skipped because they expired or were never written; the next item is `newTopicSequence()`. */
  onDiscontinuity?: (discontinuity: TopicDiscontinuity) => void;
  /** A poll that waited its whole time (`SUBSCRIBE_WAIT_SECONDS`) without a message. */
  onHeartbeat?: (heartbeat: TopicHeartbeat) => void;
  /**
   * The first number wanted: every retained message from it on is delivered. 0 or absent: from
   * the next message published.
   * @default 0
   */
  resumeAtTopicSequenceNumber?: number;
  /** Accepted for Momento's sake; numbers never restart here, so the page is always 0. */
  resumeAtTopicSequencePage?: number;
}

/**
 * Longest the service waits before answering a poll (`SUBSCRIBE_WAIT_SECONDS` is at most 25,
 * within API Gateway's 29 s): a poll is allowed that long plus `requestTimeoutMs`.
 */
export const MAX_SUBSCRIBE_WAIT_MS = 25_000;

type Entry = TopicItem | TopicDiscontinuity;

/**
 * Polls `GET {path}` from `resumeAtTopicSequenceNumber` on, each poll resuming after the last
 * number seen, until unsubscribed or ended by an error that polling again cannot cure.
 * Transient failures are retried with the client's full-jitter exponential backoff
 * (`retry.baseDelayMs` doubling up to `retry.maxDelayMs`, reset by a successful poll),
 * without an attempt limit.
 */
export function startSubscription(transport: Transport, path: string, options: SubscribeCallOptions): TopicSubscribe.Subscription {
  const controller = new AbortController();
  let subscribed = true;
  const stop = () => {
    if (!subscribed) return;
    subscribed = false;
    controller.abort();
  };
  const subscription = new TopicSubscribe.Subscription({ unsubscribe: stop, isSubscribed: () => subscribed });
  const timeoutMs = MAX_SUBSCRIBE_WAIT_MS + transport.requestTimeoutMs;

  /** Runs a callback unless unsubscribed; an exception it throws is rethrown outside the subscription, which goes on. */
  const call = (callback: () => void) => {
    if (!subscribed) return;
    try {
      callback();
    } catch (error) {
      queueMicrotask(() => {
        throw error;
      });
    }
  };

  async function run(): Promise<void> {
    let next = options.resumeAtTopicSequenceNumber ?? 0;
    let page = options.resumeAtTopicSequencePage ?? 0;
    let failures = 0;
    while (subscribed) {
      const query = new URLSearchParams({ sequence_number: String(next), sequence_page: String(page) });
      const { outcome, transient } = await transport.sendOnce(
        { method: 'GET', path: `${path}?${query.toString()}`, idempotent: true },
        { signal: controller.signal, timeoutMs },
      );
      if (!subscribed) return;
      const entries = outcome.ok ? parseEntries(outcome.body) : outcome.error;
      if (entries instanceof SdkError) {
        const retry = !outcome.ok && transient;
        const error = new TopicSubscribe.Error(entries);
        if (!retry) {
          // Ended before the callback runs, so that it sees `isSubscribed` false; then one last call.
          subscribed = false;
          controller.abort();
          try {
            options.onError?.(error, subscription);
          } catch (thrown) {
            queueMicrotask(() => {
              throw thrown;
            });
          }
          return;
        }
        call(() => options.onError?.(error, subscription));
        await pause(transport.backoffMs(++failures), controller.signal);
        continue;
      }
      failures = 0;
      if (entries.length === 0) {
        call(() => options.onHeartbeat?.(new TopicHeartbeat()));
        continue;
      }
      for (const entry of entries) {
        if (!subscribed) return;
        if (entry instanceof TopicDiscontinuity) {
          next = entry.newTopicSequence();
          page = entry.newSequencePage();
          call(() => options.onDiscontinuity?.(entry));
        } else {
          // Never the same number twice, whatever the answer holds.
          if (next > 0 && entry.topicSequenceNumber() < next) continue;
          next = entry.topicSequenceNumber() + 1;
          page = entry.topicSequencePage();
          call(() => options.onItem?.(entry));
        }
      }
    }
  }

  void run().catch((error: unknown) => {
    // A fault of this client, not of the service: end, and let it surface.
    stop();
    queueMicrotask(() => {
      throw error;
    });
  });
  return subscription;
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/**
 * The entries of `{"items": [...]}`, in order. An entry of a kind this client does not know is
 * skipped (the service may add kinds); a known kind with a field missing or mistyped makes the
 * whole answer unexpected.
 */
function parseEntries(body: unknown): Entry[] | SdkError {
  const unexpected = new UnknownServiceError('the service answered with an unexpected subscribe body');
  if (!isObject(body) || !Array.isArray(body.items)) return unexpected;
  const entries: Entry[] = [];
  for (const entry of body.items as unknown[]) {
    if (!isObject(entry)) return unexpected;
    if ('item' in entry) {
      const item = entry.item;
      if (!isObject(item) || !isCount(item.topic_sequence_number) || !isCount(item.sequence_page) || !isObject(item.value)) return unexpected;
      if (typeof item.value.text !== 'string' || typeof item.token_id !== 'string') return unexpected;
      entries.push(
        new TopicItem({
          text: item.value.text,
          tokenId: item.token_id,
          topicSequenceNumber: item.topic_sequence_number,
          topicSequencePage: item.sequence_page,
        }),
      );
    } else if ('discontinuity' in entry) {
      const d = entry.discontinuity;
      if (!isObject(d) || !isCount(d.last_topic_sequence) || !isCount(d.new_topic_sequence) || !isCount(d.new_sequence_page)) return unexpected;
      entries.push(
        new TopicDiscontinuity({ lastTopicSequence: d.last_topic_sequence, newTopicSequence: d.new_topic_sequence, newSequencePage: d.new_sequence_page }),
      );
    }
  }
  return entries;
}
