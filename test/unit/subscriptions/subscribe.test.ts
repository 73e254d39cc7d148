import { describe, expect, it } from 'vitest';
import { GAP_SETTLE_MS, subscribe } from '#shared/subscriptions/subscribe.ts';
import type { MessageLog, StoredMessage, TopicSignal } from '#shared/subscriptions/model.ts';
import { InProcessTopicSignal } from '#shared/subscriptions/topic-signal.ts';
import { InvalidArgumentError, NotFoundError } from '#shared/errors.ts';
import { fakeClock } from '../../helpers/fakes.ts';

/** A log in an array; `reads` counts the reads a wait makes. */
class FakeLog implements MessageLog {
  readonly messages: StoredMessage[] = [];
  reads = 0;
  async append() {}
  async read(_c: string, _t: string, from: number, limit: number) {
    this.reads++;
    return this.messages.filter((m) => m.sequenceNumber >= from).slice(0, limit);
  }
}

function setup(options: { retention?: number; wait?: number; current?: number } = {}) {
  const clock = fakeClock(Date.UTC(2026, 5, 1));
  const log = new FakeLog();
  // Waiting moves the fake clock on instead of sleeping.
  const signal: TopicSignal = { notify: () => undefined, wait: async (_c, _t, ms) => void clock.advance(ms) };
  const deps = {
    log,
    sequences: { current: async () => options.current ?? 0 },
    signal,
    config: { messageRetentionSeconds: options.retention ?? 3600, subscribeWaitSeconds: options.wait ?? 20 },
    now: clock.now,
  };
  const add = (sequenceNumber: number, ageMs = 60_000, expired = false) =>
    log.messages.push({
      sequenceNumber,
      eventTimestamp: clock.now() - ageMs,
      tokenId: 't',
      text: `m${sequenceNumber}`,
      expiresAt: Math.floor(clock.now() / 1000) + (expired ? -1 : 3600),
    });
  return { deps, log, clock, add };
}

const topic = { cacheName: 'c', topicName: 't' };
const numbers = (items: Awaited<ReturnType<typeof subscribe>>['items']) =>
  items.map((i) => ('item' in i ? i.item.topic_sequence_number : `gap ${i.discontinuity.last_topic_sequence}→${i.discontinuity.new_topic_sequence}`));

describe('subscribe', () => {
  it('returns the run from the requested number, up to the limit, stopping at a hole', async () => {
    const { deps, add } = setup();
    for (const n of [3, 4, 5, 7, 8]) add(n);
    expect(numbers((await subscribe(deps, topic, { sequence_number: '3' })).items)).toEqual([3, 4, 5]);
    expect(numbers((await subscribe(deps, topic, { sequence_number: '3', limit: '2' })).items)).toEqual([3, 4]);
  });

  it('announces a settled hole as a discontinuity, and waits on one that may still fill', async () => {
    const { deps, add, log } = setup({ wait: 2 });
    add(5, GAP_SETTLE_MS + 1);
    expect((await subscribe(deps, topic, { sequence_number: '3' })).items).toEqual([
      { discontinuity: { last_topic_sequence: 2, new_topic_sequence: 5, new_sequence_page: 0 } },
      { item: { topic_sequence_number: 5, sequence_page: 0, value: { text: 'm5' }, token_id: 't' } },
    ]);
    log.messages.length = 0;
    add(9, 1_000);
    // Number 8 may belong to a publish still writing: no discontinuity yet, an empty answer after the wait.
    expect((await subscribe(deps, topic, { sequence_number: '8' })).items).toEqual([]);
  });

  it('reads past expired messages at once and announces the hole they leave', async () => {
    const { deps, add } = setup();
    for (const n of [1, 2, 3]) add(n, 5_000_000, true);
    add(4, 10);
    expect(numbers((await subscribe(deps, topic, { sequence_number: '1', limit: '2' })).items)).toEqual(['gap 0→4', 4]);
  });

  it('with sequence_number 0 or none waits for the next message after the current one', async () => {
    const { deps, add } = setup({ current: 6, wait: 1 });
    add(6);
    expect((await subscribe(deps, topic, {})).items).toEqual([]);
    add(7);
    expect(numbers((await subscribe(deps, topic, { sequence_number: '0' })).items)).toEqual([7]);
  });

  it('polls with a backoff while it waits: a bounded number of reads', async () => {
    const { deps, log } = setup({ wait: 20 });
    expect((await subscribe(deps, topic, { sequence_number: '1' })).items).toEqual([]);
    // 100, 200, 400, 800 ms, then once a second: 24 reads in 20 s.
    expect(log.reads).toBe(24);
  });

  it('is off with a retention of 0, and refuses malformed numbers', async () => {
    await expect(subscribe(setup({ retention: 0 }).deps, topic, {})).rejects.toThrow(NotFoundError);
    const { deps } = setup();
    for (const query of [{ sequence_number: '-1' }, { sequence_number: '01' }, { limit: '0' }, { limit: '101' }, { sequence_page: 'x' }]) {
      await expect(subscribe(deps, topic, query)).rejects.toThrow(InvalidArgumentError);
    }
  });
});

describe('InProcessTopicSignal', () => {
  it('wakes a waiter of the notified topic only', async () => {
    const signal = new InProcessTopicSignal();
    let woke = '';
    const a = signal.wait('c', 'a', 60_000).then(() => (woke += 'a'));
    const b = signal.wait('c', 'b', 50).then(() => (woke += 'b'));
    signal.notify('c', 'a');
    await a;
    expect(woke).toBe('a');
    await b;
    expect(woke).toBe('ab');
  });
});
