import { describe, expect, it } from 'vitest';
import { publishMessage } from '#shared/publish/operations.ts';
import type { DeliveryGroup } from '#shared/delivery/model.ts';
import type { DeliveryQueue, SequenceCounter } from '#shared/publish/model.ts';
import type { LoggedMessage, MessageLog } from '#shared/subscriptions/model.ts';
import { InvalidArgumentError, PayloadTooLargeError } from '#shared/errors.ts';
import { FakeWebhooks, fakeClock, principal, webhookRecord } from '../../helpers/fakes.ts';

class FakeSequences implements SequenceCounter {
  private readonly counters = new Map<string, number>();
  async next(cacheName: string, topicName: string) {
    const key = JSON.stringify([cacheName, topicName]);
    const n = (this.counters.get(key) ?? 0) + 1;
    this.counters.set(key, n);
    return n;
  }
  async current(cacheName: string, topicName: string) {
    return this.counters.get(JSON.stringify([cacheName, topicName])) ?? 0;
  }
}

class FakeLog implements MessageLog {
  readonly appended: { cacheName: string; topicName: string; message: LoggedMessage; expiresAt: number }[] = [];
  async append(cacheName: string, topicName: string, message: LoggedMessage, expiresAt: number) {
    this.appended.push({ cacheName, topicName, message, expiresAt });
  }
  async read() {
    return [];
  }
}

class FakeQueue implements DeliveryQueue {
  readonly sent: DeliveryGroup[] = [];
  fail = false;
  async sendAll(groups: readonly DeliveryGroup[]) {
    if (this.fail) throw new Error('queue down');
    this.sent.push(...groups);
  }
}

function setup(deliveryGroupSize = 10, messageRetentionSeconds = 60) {
  const clock = fakeClock();
  const webhooks = new FakeWebhooks();
  const queue = new FakeQueue();
  const log = new FakeLog();
  const notified: string[] = [];
  const signal = { notify: (cacheName: string, topicName: string) => void notified.push(`${cacheName}/${topicName}`) };
  const deps = {
    webhooks,
    sequences: new FakeSequences(),
    queue,
    log,
    signal,
    config: { maxMessageBytes: 16, deliveryGroupSize, messageRetentionSeconds },
    now: clock.now,
  };
  return { deps, webhooks, queue, clock, log, notified };
}

const request = (message: string | Buffer, topicName = 't') => ({ cacheName: 'c', topicName, message: Buffer.from(message) });

describe('publishMessage', () => {
  it.each([
    [1, 7, [1, 1, 1, 1, 1, 1, 1]],
    [3, 7, [3, 3, 1]],
    [10, 7, [7]],
    [10, 23, [10, 10, 3]],
  ])('with groups of %i, queues %i webhooks as groups of %j, every webhook once', async (size, n, sizes) => {
    const { deps, webhooks, queue, clock } = setup(size);
    for (let i = 0; i < n; i++) webhooks.add(webhookRecord({ webhookName: `w${i}` }));
    webhooks.add(webhookRecord({ webhookName: 'other-topic', topicName: 'u' }));
    const result = await publishMessage(deps, principal({ tokenId: 'svc' }), request('hi ✓'));
    expect(result).toEqual({ sequenceNumber: 1, webhookCount: n });
    expect(queue.sent.map((g) => g.webhooks.length)).toEqual(sizes);
    expect(queue.sent.map((g) => g.group)).toEqual(sizes.map((_, i) => i));
    expect(queue.sent.flatMap((g) => g.webhooks.map((w) => w.webhookName)).sort()).toEqual(
      Array.from({ length: n }, (_, i) => `w${i}`).sort(),
    );
    for (const group of queue.sent) {
      expect(group).toMatchObject({ cacheName: 'c', topicName: 't', sequenceNumber: 1, eventTimestamp: clock.now(), tokenId: 'svc', text: 'hi ✓' });
    }
  });

  it('numbers messages per topic, and takes a number with no webhooks', async () => {
    const { deps, queue } = setup();
    expect((await publishMessage(deps, principal(), request('a'))).sequenceNumber).toBe(1);
    expect((await publishMessage(deps, principal(), request('b'))).sequenceNumber).toBe(2);
    expect((await publishMessage(deps, principal(), request('c', 'other'))).sequenceNumber).toBe(1);
    expect(queue.sent).toEqual([]);
  });

  it('keeps the message unchanged, a leading byte-order mark included', async () => {
    const { deps, webhooks, queue } = setup();
    webhooks.add(webhookRecord());
    await publishMessage(deps, principal(), request(Buffer.from([0xef, 0xbb, 0xbf, 0x68, 0x69])));
    expect(queue.sent[0]!.text).toBe('\ufeffhi');
  });

  it('carries an empty token_id for a key without tokenId', async () => {
    const { deps, webhooks, queue } = setup();
    webhooks.add(webhookRecord());
    await publishMessage(deps, principal({ tokenId: null }), request('a'));
    expect(queue.sent[0]!.tokenId).toBe('');
  });

  it.each([
    ['empty', Buffer.alloc(0), InvalidArgumentError],
    ['invalid UTF-8', Buffer.from([0xc3, 0x28]), InvalidArgumentError],
    ['over the maximum', Buffer.alloc(17, 'x'), PayloadTooLargeError],
  ])('refuses a message that is %s, taking no number', async (_what, message, error) => {
    const { deps, webhooks, queue } = setup();
    webhooks.add(webhookRecord());
    await expect(publishMessage(deps, principal(), request(message))).rejects.toThrow(error);
    expect(queue.sent).toEqual([]);
    expect((await publishMessage(deps, principal(), request('ok'))).sequenceNumber).toBe(1);
  });

  it('appends each message to its topic log with the same number, expiring after the retention, and wakes subscribers', async () => {
    const { deps, webhooks, log, notified, clock } = setup();
    webhooks.add(webhookRecord());
    await publishMessage(deps, principal({ tokenId: 'svc' }), request('one'));
    await publishMessage(deps, principal(), request('two', 'other'));
    expect(log.appended).toEqual([
      { cacheName: 'c', topicName: 't', message: { sequenceNumber: 1, eventTimestamp: clock.now(), tokenId: 'svc', text: 'one' }, expiresAt: Math.floor(clock.now() / 1000) + 60 },
      { cacheName: 'c', topicName: 'other', message: { sequenceNumber: 1, eventTimestamp: clock.now(), tokenId: '', text: 'two' }, expiresAt: Math.floor(clock.now() / 1000) + 60 },
    ]);
    expect(notified).toEqual(['c/t', 'c/other']);
  });

  it('keeps no log with a retention of 0', async () => {
    const { deps, log, notified } = setup(10, 0);
    await publishMessage(deps, principal(), request('one'));
    expect(log.appended).toEqual([]);
    expect(notified).toEqual([]);
  });

  it('fails when the queue does', async () => {
    const { deps, webhooks, queue } = setup();
    webhooks.add(webhookRecord());
    queue.fail = true;
    await expect(publishMessage(deps, principal(), request('a'))).rejects.toThrow('queue down');
  });
});
