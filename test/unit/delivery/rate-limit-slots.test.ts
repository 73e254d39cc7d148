import { describe, expect, it } from 'vitest';
import { RateLimitSlots } from '#shared/delivery/post.ts';
import { FakeRateLimiter, fakeClock, webhookRecord } from '../../helpers/fakes.ts';

/** The slots one invocation takes: one counter write per (webhook, second), never a slot used outside its second. */
function setup(limit: number, posts: number) {
  const clock = fakeClock(Date.UTC(2026, 11, 1, 12, 0, 0));
  const rateLimits = new FakeRateLimiter();
  const webhook = { ...webhookRecord(), rateLimitPerSecond: limit };
  const slots = new RateLimitSlots({ rateLimits, now: clock.now }, Array.from({ length: posts }, () => webhook));
  return { clock, rateLimits, webhook, slots };
}

describe('RateLimitSlots', () => {
  it('takes a slot for every POST of the invocation in one write, and shares it between concurrent POSTs', async () => {
    const { rateLimits, webhook, slots } = setup(100, 10);
    const taken = await Promise.all(Array.from({ length: 10 }, () => slots.take(webhook)));
    expect(taken).toEqual(Array(10).fill(true));
    expect(rateLimits.calls).toEqual([{ webhookId: webhook.webhookId, wanted: 10 }]);
  });

  it('gives what the second has left and refuses the rest of that second without asking again', async () => {
    const { rateLimits, webhook, slots } = setup(3, 10);
    const taken = await Promise.all(Array.from({ length: 10 }, () => slots.take(webhook)));
    expect(taken.filter(Boolean)).toHaveLength(3);
    expect(rateLimits.calls).toHaveLength(1);
  });

  it('never uses a slot outside its second: when the clock moves on, the next POST takes anew for the POSTs left', async () => {
    const { clock, rateLimits, webhook, slots } = setup(5, 8);
    expect(await slots.take(webhook)).toBe(true);
    expect(await slots.take(webhook)).toBe(true);
    clock.advance(1000);
    // 6 POSTs are left: the new second's write asks for them all, and gets its limit.
    const rest = await Promise.all(Array.from({ length: 6 }, () => slots.take(webhook)));
    expect(rest.filter(Boolean)).toHaveLength(5);
    expect(rateLimits.calls.map((c) => c.wanted)).toEqual([8, 6]);
    // What the table counted per second never exceeds the limit.
    expect([...rateLimits.taken.values()].every((n) => n <= 5)).toBe(true);
  });

  it('refuses a POST when the counter cannot be written, and tries the table again for the next one', async () => {
    const { rateLimits, webhook, slots } = setup(10, 2);
    rateLimits.failing = true;
    expect(await slots.take(webhook)).toBe(false);
    rateLimits.failing = false;
    expect(await slots.take(webhook)).toBe(true);
    expect(rateLimits.calls.map((c) => c.wanted)).toEqual([2, 1]);
  });
});

describe('RateLimitSlots, when a counter write straddles the turn of a second', () => {
  it('leaves the slots of the second before and takes the new second\'s before the POST', async () => {
    const { clock, rateLimits, webhook, slots } = setup(2, 4);
    clock.advance(999);
    const acquire = rateLimits.acquire.bind(rateLimits);
    // The first write is answered 2 ms later, in the next second.
    rateLimits.acquire = async (...args) => {
      const granted = await acquire(...args);
      if (rateLimits.calls.length === 1) clock.advance(2);
      return granted;
    };
    expect(await slots.take(webhook)).toBe(true);
    expect(rateLimits.calls.map((c) => c.wanted)).toEqual([4, 4]);
    // The new second's two slots: this POST's and one more; the next POSTs of that second get nothing.
    expect(await slots.take(webhook)).toBe(true);
    expect(await slots.take(webhook)).toBe(false);
    expect([...rateLimits.taken.values()]).toEqual([2, 2]);
  });
});
