import type { ServerResponse } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  CreateKey,
  TopicClient,
  TopicDiscontinuity,
  TopicItem,
  TopicPublish,
  TopicSubscribe,
  type ClientOptions,
  type Permission,
  type SubscribeCallOptions,
} from '@topic-webhooks/client';
import { settle } from '../helpers/receiver.ts';
import { clientsOf, startLocal, type LocalService } from './local.ts';
import { StubServer, closedPortUrl, json, type StubRequest } from './stub-server.ts';

/**
 * `TopicClient.subscribe` over the service's long-poll: against local mode for what the service
 * does (order, resumption, discontinuities, errors, text), and against a scripted loopback
 * server for what local mode cannot be made to do (5xx, resets, slow answers, odd bodies).
 */
const BAD_KEY = 'whk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

type Event = ['item', number, string] | ['discontinuity', number, number] | ['error', string] | ['heartbeat'];

/** Records what a subscription reports, in order. */
class Recorder {
  readonly events: Event[] = [];
  readonly items: TopicItem[] = [];
  readonly discontinuities: TopicDiscontinuity[] = [];
  readonly errors: { error: TopicSubscribe.Error; subscription: TopicSubscribe.Subscription }[] = [];
  readonly options: SubscribeCallOptions;

  constructor(extra: Partial<SubscribeCallOptions> = {}) {
    this.options = {
      onItem: (item) => {
        this.items.push(item);
        this.events.push(['item', item.topicSequenceNumber(), item.valueString()]);
      },
      onError: (error, subscription) => {
        this.errors.push({ error, subscription });
        this.events.push(['error', error.errorCode()]);
      },
      onDiscontinuity: (discontinuity) => {
        this.discontinuities.push(discontinuity);
        this.events.push(['discontinuity', discontinuity.lastTopicSequence(), discontinuity.newTopicSequence()]);
      },
      onHeartbeat: () => this.events.push(['heartbeat']),
      ...extra,
    };
  }

  /** The events but heartbeats, whose number depends on timing. */
  get significant(): Event[] {
    return this.events.filter((e) => e[0] !== 'heartbeat');
  }

  count(kind: Event[0]): number {
    return this.events.filter((e) => e[0] === kind).length;
  }

  /** Resolves once `done` holds; fails the test with what arrived when it does not within `timeoutMs`. */
  until(done: (r: Recorder) => boolean, timeoutMs = 15_000): Promise<void> {
    return until(() => done(this), timeoutMs, () => `events: ${JSON.stringify(this.events)}`);
  }
}

/** Resolves once `done()` holds; rejects when it does not within `timeoutMs`. */
async function until(done: () => boolean, timeoutMs = 15_000, what = () => ''): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms; ${what()}`);
    await settle(10);
  }
}

const subscriptions: TopicSubscribe.Subscription[] = [];
afterEach(() => {
  while (subscriptions.length) subscriptions.pop()?.unsubscribe();
});

/** Subscribes, failing the test unless a subscription starts; it is unsubscribed after the test. */
async function subscribed(client: TopicClient, cache: string, topic: string, options: SubscribeCallOptions): Promise<TopicSubscribe.Subscription> {
  const result = await client.subscribe(cache, topic, options);
  if (!(result instanceof TopicSubscribe.Subscription)) throw new Error(`subscribe failed: ${String(result)}`);
  subscriptions.push(result);
  return result;
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('against local mode', () => {
  let service: LocalService;
  let admin: ReturnType<typeof clientsOf>;
  /** One line per HTTP request the service answered: `METHOD path status time`. */
  const accessLog: string[] = [];

  beforeAll(async () => {
    service = await startLocal({ SUBSCRIBE_WAIT_SECONDS: '1' }, { accessLog: (line) => accessLog.push(line) });
    admin = clientsOf(service);
  });
  afterAll(async () => {
    await service?.stop();
  });

  let counter = 0;
  const freshCache = () => `sub-${++counter}`;

  async function publish(cache: string, texts: string[], client = admin.topics, topic = 't'): Promise<void> {
    for (const text of texts) {
      const result = await client.publish(cache, topic, text);
      if (!(result instanceof TopicPublish.Success)) throw new Error(`publish failed: ${String(result)}`);
    }
  }

  /** The polls the service answered for the topic. */
  const polls = (cache: string, topic = 't') =>
    accessLog.filter((line) => line.startsWith(`GET /topics/${encodeURIComponent(cache)}/${encodeURIComponent(topic)} `));

  async function createKey(permissions: Permission[], caches = ['*'], tokenId?: string): Promise<string> {
    const created = await admin.keys.createKey({ permissions, caches, ...(tokenId === undefined ? {} : { tokenId }) });
    if (!(created instanceof CreateKey.Success)) throw new Error(`createKey failed: ${String(created)}`);
    return created.apiKey;
  }

  it('delivers every message once, in order, across several polls, each resuming after the last number seen', async () => {
    const cache = freshCache();
    // More than one answer holds (100): the first poll gets 1–100, the next 101–150.
    await publish(cache, range(1, 150).map((n) => `m${n}`));
    const recorder = new Recorder();
    await subscribed(admin.topics, cache, 't', { ...recorder.options, resumeAtTopicSequenceNumber: 1 });
    await recorder.until((r) => r.items.length >= 150);
    // Then messages published while it waits.
    await publish(cache, ['m151']);
    await recorder.until((r) => r.items.length >= 151);
    await publish(cache, ['m152', 'm153']);
    await recorder.until((r) => r.items.length >= 153);
    await settle(100);
    expect(recorder.significant).toEqual(range(1, 153).map((n) => ['item', n, `m${n}`]));
    expect(polls(cache).length).toBeGreaterThanOrEqual(4);
  });

  it('starts from the next message published when no number is given', async () => {
    const cache = freshCache();
    const published = ['before'];
    await publish(cache, ['before']);
    const recorder = new Recorder();
    await subscribed(admin.topics, cache, 't', recorder.options);
    // The first poll's moment decides where it starts: publish until something arrives.
    for (let i = 0; recorder.items.length === 0 && i < 100; i++) {
      published.push(`after ${i}`);
      await publish(cache, [`after ${i}`]);
      await settle(50);
    }
    published.push('last');
    await publish(cache, ['last']);
    await recorder.until((r) => r.items.some((item) => item.valueString() === 'last'));
    const numbers = recorder.items.map((item) => item.topicSequenceNumber());
    expect(numbers[0]).toBeGreaterThanOrEqual(2);
    expect(numbers).toEqual(range(numbers[0] as number, published.length));
    expect(recorder.items.map((item) => item.valueString())).toEqual(published.slice((numbers[0] as number) - 1));
    expect(recorder.count('error') + recorder.count('discontinuity')).toBe(0);
  });

  it('polls on across quiet waits, each a heartbeat, and delivers what comes later', async () => {
    const cache = freshCache();
    const recorder = new Recorder();
    await subscribed(admin.topics, cache, 't', { ...recorder.options, resumeAtTopicSequenceNumber: 1 });
    await recorder.until((r) => r.count('heartbeat') >= 2);
    await publish(cache, ['late']);
    await recorder.until((r) => r.items.length === 1);
    expect(recorder.significant).toEqual([['item', 1, 'late']]);
    expect(recorder.events.slice(0, 2)).toEqual([['heartbeat'], ['heartbeat']]);
    expect(polls(cache).length).toBeGreaterThanOrEqual(3);
  });

  it('unsubscribe() stops at once: no callback after it, not even for the rest of the same answer', async () => {
    const cache = freshCache();
    await publish(cache, ['a', 'b', 'c']);
    const started: { subscription?: TopicSubscribe.Subscription } = {};
    const seen: [number, boolean | undefined][] = [];
    const stopper = new Recorder({
      onItem: (item) => {
        seen.push([item.topicSequenceNumber(), started.subscription?.isSubscribed]);
        started.subscription?.unsubscribe();
      },
    });
    const subscription = await subscribed(admin.topics, cache, 't', { ...stopper.options, resumeAtTopicSequenceNumber: 1 });
    started.subscription = subscription;
    // Another subscriber sees everything, the message published after the unsubscribe included.
    const witness = new Recorder();
    await subscribed(admin.topics, cache, 't', { ...witness.options, resumeAtTopicSequenceNumber: 1 });
    await witness.until((r) => r.items.length === 3);
    await publish(cache, ['d']);
    await witness.until((r) => r.items.length === 4);
    await settle(200);
    expect(seen).toEqual([[1, true]]);
    expect(stopper.events).toEqual([]);
    expect(subscription.isSubscribed).toBe(false);
    subscription.unsubscribe(); // a second call does nothing
    expect(subscription.isSubscribed).toBe(false);
  });

  it('unsubscribe() ends the polling: no further poll, no item', async () => {
    const cache = freshCache();
    const recorder = new Recorder();
    const subscription = await subscribed(admin.topics, cache, 't', { ...recorder.options, resumeAtTopicSequenceNumber: 1 });
    await settle(100);
    subscription.unsubscribe();
    expect(subscription.isSubscribed).toBe(false);
    await publish(cache, ['after']);
    // Longer than the service's wait: a poll still running would have been answered by now.
    await settle(1500);
    expect(recorder.events).toEqual([]);
    expect(polls(cache).length).toBeLessThanOrEqual(1);
  });

  it('reports a wrong key to onError as AUTHENTICATION_ERROR, and ends the subscription', async () => {
    const cache = freshCache();
    await publish(cache, ['x']);
    const recorder = new Recorder();
    const outsider = clientsOf(service, BAD_KEY);
    const subscription = await subscribed(outsider.topics, cache, 't', { ...recorder.options, resumeAtTopicSequenceNumber: 1 });
    await recorder.until((r) => r.errors.length === 1);
    await settle(300);
    expect(recorder.events).toEqual([['error', 'AUTHENTICATION_ERROR']]);
    const { error, subscription: given } = recorder.errors[0] ?? {};
    expect(error).toBeInstanceOf(TopicSubscribe.Error);
    expect(error?.error.httpStatus).toBe(401);
    expect(error?.message()).toMatch(/.+/);
    expect(`${error?.message()} ${String(error)}`).not.toContain(BAD_KEY);
    expect(given).toBe(subscription);
    expect(subscription.isSubscribed).toBe(false);
    expect(polls(cache)).toHaveLength(1);
  });

  it('reports a key without topics:subscribe, or outside its caches, to onError as PERMISSION_ERROR', async () => {
    const cache = freshCache();
    await publish(cache, ['x']);
    for (const key of [await createKey(['topics:publish', 'webhooks:manage']), await createKey(['topics:subscribe'], ['elsewhere'])]) {
      const recorder = new Recorder();
      const subscription = await subscribed(clientsOf(service, key).topics, cache, 't', { ...recorder.options, resumeAtTopicSequenceNumber: 1 });
      await recorder.until((r) => r.errors.length === 1);
      expect(recorder.events).toEqual([['error', 'PERMISSION_ERROR']]);
      expect(recorder.errors[0]?.error.error.httpStatus).toBe(403);
      expect(subscription.isSubscribed).toBe(false);
    }
    // The same key on its own cache subscribes.
    const scoped = new Recorder();
    await subscribed(clientsOf(service, await createKey(['topics:subscribe'], [cache])).topics, cache, 't', { ...scoped.options, resumeAtTopicSequenceNumber: 1 });
    await scoped.until((r) => r.items.length === 1);
    expect(scoped.significant).toEqual([['item', 1, 'x']]);
  });

  it('carries emoji, CJK and combining text exactly, with the publisher\u2019s tokenId, under names that need encoding', async () => {
    const cache = `café 注文 #?%${++counter}`;
    const topic = 'p?q#r & 😀';
    const texts = ['注文 📦 ✓', '👩🏽‍💻 e\u0301 𝄞 \u{1F1EF}\u{1F1F5}', 'Ω≈ç√ 中文 日本語 한국어 العربية', '"quotes" \\ back\nslash\ttab'];
    const publisher = clientsOf(service, await createKey(['topics:publish'], ['*'], 'billing-😀'));
    await publish(cache, texts, publisher.topics, topic);
    await publish(cache, ['from the admin key'], admin.topics, topic);
    const recorder = new Recorder();
    await subscribed(admin.topics, cache, topic, { ...recorder.options, resumeAtTopicSequenceNumber: 1 });
    await recorder.until((r) => r.items.length === 5);
    const items = recorder.items;
    expect(items.map((i) => i.value())).toEqual([...texts, 'from the admin key']);
    expect(items.map((i) => i.valueString())).toEqual([...texts, 'from the admin key']);
    expect(items.map((i) => new TextDecoder('utf-8', { fatal: true }).decode(i.valueUint8Array()))).toEqual([...texts, 'from the admin key']);
    expect(Buffer.from(items[1]?.valueUint8Array() ?? [])).toEqual(Buffer.from(texts[1] ?? '', 'utf8'));
    expect(items.map((i) => i.tokenId())).toEqual(['billing-😀', 'billing-😀', 'billing-😀', 'billing-😀', undefined]);
    expect(items.map((i) => [i.topicSequenceNumber(), i.topicSequencePage()])).toEqual(range(1, 5).map((n) => [n, 0]));
    expect(items[0]).toBeInstanceOf(TopicItem);
    expect(items[0]).toBeInstanceOf(TopicSubscribe.Item);
    expect(String(items[0])).toBe(`TopicItem: ${texts[0]}`);
    expect(polls(cache, topic).length).toBeGreaterThanOrEqual(1);
  });

  it('reports an unreachable service to onError as SERVER_UNAVAILABLE and keeps trying, with backoff, until unsubscribed', async () => {
    const offline = clientsOf(service, service.apiKey, { endpoint: await closedPortUrl(), retry: { baseDelayMs: 1, maxDelayMs: 20 } });
    const recorder = new Recorder();
    const subscription = await subscribed(offline.topics, 'c', 't', recorder.options);
    await recorder.until((r) => r.errors.length >= 3);
    expect(new Set(recorder.events.map((e) => e.join(' ')))).toEqual(new Set(['error SERVER_UNAVAILABLE']));
    expect(recorder.errors.every((e) => e.subscription === subscription && e.error.error.httpStatus === undefined)).toBe(true);
    expect(subscription.isSubscribed).toBe(true);
    subscription.unsubscribe();
    const reported = recorder.errors.length;
    await settle(200);
    expect(recorder.errors).toHaveLength(reported);
  });

  it.each([
    ['an empty cache name', () => admin.topics.subscribe('', 't', {})],
    ['a topic name of ..', () => admin.topics.subscribe('c', '..', {})],
    ['no options', () => admin.topics.subscribe('c', 't', null as unknown as SubscribeCallOptions)],
    ['an onItem that is no function', () => admin.topics.subscribe('c', 't', { onItem: 'log' as unknown as () => void })],
    ['a negative number', () => admin.topics.subscribe('c', 't', { resumeAtTopicSequenceNumber: -1 })],
    ['a fractional number', () => admin.topics.subscribe('c', 't', { resumeAtTopicSequenceNumber: 1.5 })],
    ['a page that is not a number', () => admin.topics.subscribe('c', 't', { resumeAtTopicSequencePage: '0' as unknown as number })],
  ])('refuses %s before sending, as INVALID_ARGUMENT_ERROR', async (_label, call) => {
    const before = accessLog.length;
    const result = await call();
    expect(result).toBeInstanceOf(TopicSubscribe.Error);
    expect((result as TopicSubscribe.Error).errorCode()).toBe('INVALID_ARGUMENT_ERROR');
    expect((result as TopicSubscribe.Error).error.httpStatus).toBeUndefined();
    await settle(50);
    expect(accessLog.length).toBe(before);
  });
});

describe('against local mode with a short retention', () => {
  const RETENTION_SECONDS = 2;
  let service: LocalService;
  let admin: ReturnType<typeof clientsOf>;

  beforeAll(async () => {
    // No sweep: the expired message stays in the log, as DynamoDB's TTL leaves it for a while.
    service = await startLocal(
      { SUBSCRIBE_WAIT_SECONDS: '1', MESSAGE_RETENTION_SECONDS: String(RETENTION_SECONDS) },
      { ttlSweepIntervalMs: 3_600_000 },
    );
    admin = clientsOf(service);
  });
  afterAll(async () => {
    await service?.stop();
  });

  it('announces expired messages as a discontinuity, then resumes after it', async () => {
    expect(await admin.topics.publish('gap', 't', 'old')).toBeInstanceOf(TopicPublish.Success);
    // Message 1 expires at most RETENTION_SECONDS later, on a whole second; message 2 lives at least a second.
    await settle((Math.floor(Date.now() / 1000) + RETENTION_SECONDS) * 1000 + 50 - Date.now());
    expect(await admin.topics.publish('gap', 't', 'new')).toBeInstanceOf(TopicPublish.Success);
    const recorder = new Recorder();
    await subscribed(admin.topics, 'gap', 't', { ...recorder.options, resumeAtTopicSequenceNumber: 1 });
    await recorder.until((r) => r.items.length === 1);
    expect(await admin.topics.publish('gap', 't', 'newer')).toBeInstanceOf(TopicPublish.Success);
    await recorder.until((r) => r.items.length === 2);
    await settle(100);
    expect(recorder.significant).toEqual([
      ['discontinuity', 0, 2],
      ['item', 2, 'new'],
      ['item', 3, 'newer'],
    ]);
    const [discontinuity] = recorder.discontinuities;
    expect(discontinuity).toBeInstanceOf(TopicDiscontinuity);
    expect(discontinuity?.newSequencePage()).toBe(0);
    expect(String(discontinuity)).toBe('TopicDiscontinuity: 0 -> 2');
  });
});

describe('against local mode without subscriptions', () => {
  let service: LocalService;
  const accessLog: string[] = [];
  beforeAll(async () => {
    service = await startLocal({ MESSAGE_RETENTION_SECONDS: '0' }, { accessLog: (line) => accessLog.push(line) });
  });
  afterAll(async () => {
    await service?.stop();
  });

  it('reports NOT_FOUND_ERROR to onError and ends the subscription', async () => {
    const { topics } = clientsOf(service);
    expect(await topics.publish('c', 't', 'published, kept nowhere')).toBeInstanceOf(TopicPublish.Success);
    const recorder = new Recorder();
    const subscription = await subscribed(topics, 'c', 't', { ...recorder.options, resumeAtTopicSequenceNumber: 1 });
    await recorder.until((r) => r.errors.length === 1);
    await settle(200);
    expect(recorder.events).toEqual([['error', 'NOT_FOUND_ERROR']]);
    expect(recorder.errors[0]?.error.error.httpStatus).toBe(404);
    expect(subscription.isSubscribed).toBe(false);
    expect(accessLog.filter((line) => line.startsWith('GET /topics/c/t '))).toHaveLength(1);
  });
});

describe('against a scripted server', () => {
  const API_KEY = 'whk_test-key-that-must-never-leak';
  let stub: StubServer;
  /** The requests of the test's own cache (a poll of an earlier test may still come in), and when each arrived. */
  const requests: StubRequest[] = [];
  const arrivals: number[] = [];

  beforeAll(async () => {
    stub = await StubServer.start();
  });
  afterAll(async () => {
    await stub.close();
  });
  afterEach(() => {
    vi.restoreAllMocks();
    requests.length = 0;
    arrivals.length = 0;
  });

  const client = (options: Partial<ClientOptions> = {}) =>
    new TopicClient({ endpoint: stub.url, apiKey: API_KEY, retry: { baseDelayMs: 1, maxDelayMs: 5 }, ...options });
  const item = (n: number, text = `m${n}`) => ({ item: { topic_sequence_number: n, sequence_page: 0, value: { text }, token_id: '' } });
  const queryOf = (req: StubRequest | undefined) => Object.fromEntries(new URL(req?.url ?? '/', 'http://stub').searchParams);
  let caches = 0;
  /**
   * Scripts the answers to polls of a cache of the test's own, in order, and returns its name;
   * polls past the script, and of any other cache, hang until their subscription aborts them.
   */
  const script = (answers: ((res: ServerResponse) => void)[], cache = `stub-${++caches}`) => {
    const prefix = `/topics/${encodeURIComponent(cache)}/`;
    stub.handler = (res, _index, req) => {
      if (!req.url.startsWith(prefix)) return;
      requests.push(req);
      arrivals.push(Date.now());
      answers[requests.length - 1]?.(res);
    };
    return cache;
  };

  it('retries transient failures with full-jitter exponential backoff, reporting each to onError, and resumes at the same number', async () => {
    // Math.random() = 0.5: the waits are half of 100, 200, 400 ms, and half of 100 again once a poll succeeded.
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    const cache = script([
      (res) => res.writeHead(503).end(),
      (res) => res.destroy(),
      (res) => json(res, 500, { error: { code: 'INTERNAL_SERVER_ERROR', message: 'the service failed' } }),
      (res) => json(res, 200, { items: [item(7), item(8)] }),
      (res) => res.writeHead(502).end(),
    ]);
    const recorder = new Recorder();
    await subscribed(client({ retry: { baseDelayMs: 100, maxDelayMs: 1000 } }), cache, 't', { ...recorder.options, resumeAtTopicSequenceNumber: 7 });
    await until(() => requests.length >= 6);
    expect(recorder.events).toEqual([
      ['error', 'SERVER_UNAVAILABLE'],
      ['error', 'SERVER_UNAVAILABLE'],
      ['error', 'INTERNAL_SERVER_ERROR'],
      ['item', 7, 'm7'],
      ['item', 8, 'm8'],
      ['error', 'SERVER_UNAVAILABLE'],
    ]);
    expect(requests.map((r) => queryOf(r).sequence_number)).toEqual(['7', '7', '7', '7', '9', '9']);
    const gaps = arrivals.slice(1).map((t, i) => t - (arrivals[i] as number));
    // Waits of 50, 100, 200 ms, none after the success, then 50 again: not 400.
    expect(gaps[0]).toBeGreaterThanOrEqual(45);
    expect(gaps[1]).toBeGreaterThanOrEqual(95);
    expect(gaps[2]).toBeGreaterThanOrEqual(195);
    expect(gaps[3]).toBeLessThan(45);
    expect(gaps[4]).toBeGreaterThanOrEqual(45);
    expect(gaps[4]).toBeLessThan(300);
  });

  it('sends the key in Authorization, the number and page in the query, and the names encoded', async () => {
    script([(res) => json(res, 200, { items: [] })], 'café #1');
    await subscribed(client(), 'café #1', 'a/b?', { resumeAtTopicSequenceNumber: 12, resumeAtTopicSequencePage: 0 });
    await until(() => requests.length >= 2);
    const [first] = requests;
    expect(first?.method).toBe('GET');
    expect(first?.url.split('?')[0]).toBe(`/topics/${encodeURIComponent('café #1')}/${encodeURIComponent('a/b?')}`);
    expect(queryOf(first)).toEqual({ sequence_number: '12', sequence_page: '0' });
    expect(first?.headers.authorization).toBe(API_KEY);
    expect(first?.url).not.toContain(API_KEY);
    // An empty answer asks again for the same number.
    expect(queryOf(requests[1]).sequence_number).toBe('12');
  });

  it('lets a poll outlast requestTimeoutMs: the service holds it for its wait', async () => {
    const cache = script([(res) => setTimeout(() => json(res, 200, { items: [item(1)] }), 400)]);
    const recorder = new Recorder();
    await subscribed(client({ requestTimeoutMs: 100 }), cache, 't', { ...recorder.options, resumeAtTopicSequenceNumber: 1 });
    await recorder.until((r) => r.items.length === 1);
    expect(recorder.events).toEqual([['item', 1, 'm1']]);
  });

  it('unsubscribe() aborts the poll in flight', async () => {
    let held: ServerResponse | undefined;
    const cache = script([
      (res) => {
        held = res;
      },
    ]);
    const recorder = new Recorder();
    const subscription = await subscribed(client(), cache, 't', recorder.options);
    await until(() => held !== undefined);
    const closed = new Promise<void>((resolve) => held?.on('close', () => resolve()));
    subscription.unsubscribe();
    await Promise.race([closed, settle(2000).then(() => Promise.reject(new Error('the poll was not aborted')))]);
    expect(held?.writableEnded).toBe(false);
    await settle(100);
    expect(requests).toHaveLength(1);
    expect(recorder.events).toEqual([]);
  });

  it('skips entries of kinds it does not know, and numbers already seen', async () => {
    const cache = script([(res) => json(res, 200, { items: [{ heartbeat: {} }, item(1), item(1), item(2), { future: { x: 1 } }] })]);
    const recorder = new Recorder();
    await subscribed(client(), cache, 't', { ...recorder.options, resumeAtTopicSequenceNumber: 1 });
    await until(() => requests.length >= 2);
    expect(recorder.events).toEqual([
      ['item', 1, 'm1'],
      ['item', 2, 'm2'],
    ]);
    expect(queryOf(requests[1]).sequence_number).toBe('3');
  });

  it.each([
    ['a body without items', { foo: 1 }],
    ['an item without its number', { items: [{ item: { sequence_page: 0, value: { text: 'x' }, token_id: '' } }] }],
    ['a discontinuity with a string number', { items: [{ discontinuity: { last_topic_sequence: '0', new_topic_sequence: 2, new_sequence_page: 0 } }] }],
  ])('ends with UNKNOWN_SERVICE_ERROR for %s', async (_label, body) => {
    const cache = script([(res) => json(res, 200, body)]);
    const recorder = new Recorder();
    const subscription = await subscribed(client(), cache, 't', { ...recorder.options, resumeAtTopicSequenceNumber: 1 });
    await recorder.until((r) => r.errors.length === 1);
    await settle(100);
    expect(recorder.events).toEqual([['error', 'UNKNOWN_SERVICE_ERROR']]);
    expect(subscription.isSubscribed).toBe(false);
    expect(requests).toHaveLength(1);
  });
});
