import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalService, type LocalService } from '#local/service.ts';
import type { WebhookRequestBody } from '@topic-webhooks/client';
import { apiClient, errorBody, webhookPath, type ApiCaller } from '../helpers/api-client.ts';
import { settle, TestReceiver } from '../helpers/receiver.ts';

/**
 * Topic subscriptions (Momento's HTTP long-poll) against local mode: real HTTP in, the message
 * log publish writes, and the in-process wake-up. Each block runs its own local service, since
 * retention and wait are configuration.
 */
type Item =
  | { item: { topic_sequence_number: number; sequence_page: number; value: { text: string }; token_id: string } }
  | { discontinuity: { last_topic_sequence: number; new_topic_sequence: number; new_sequence_page: number } };

function setup(env: Record<string, string>) {
  const ctx = {} as { service: LocalService; api: ApiCaller };
  beforeAll(async () => {
    ctx.service = await startLocalService({ port: 0, quiet: true, env });
    ctx.api = apiClient(ctx.service.url, ctx.service.apiKey);
  });
  afterAll(async () => {
    await ctx.service?.stop();
  });
  return ctx;
}

const topicPath = (cache: string, topic: string, query = '') => `/topics/${encodeURIComponent(cache)}/${encodeURIComponent(topic)}${query}`;

async function publish(api: ApiCaller, cache: string, topic: string, text: string, key?: string) {
  const res = await api('POST', topicPath(cache, topic), { raw: text, key });
  expect(res.status).toBe(204);
}

async function poll(api: ApiCaller, cache: string, topic: string, query = '', key?: string): Promise<Item[]> {
  const res = await api('GET', topicPath(cache, topic, query), { key });
  expect(res.status).toBe(200);
  return (res.json as { items: Item[] }).items;
}

const numbers = (items: Item[]) => items.map((i) => ('item' in i ? i.item.topic_sequence_number : `gap ${i.discontinuity.last_topic_sequence}→${i.discontinuity.new_topic_sequence}`));

describe('subscribing to a topic', () => {
  const ctx = setup({ SUBSCRIBE_WAIT_SECONDS: '4' });

  it('resumes from a number, with every retained message from it on, in order, in Momento shape', async () => {
    for (const text of ['one', 'two', 'three']) await publish(ctx.api, 'sub', 'resume', text);
    const items = await poll(ctx.api, 'sub', 'resume', '?sequence_number=2');
    expect(items).toEqual([
      { item: { topic_sequence_number: 2, sequence_page: 0, value: { text: 'two' }, token_id: '' } },
      { item: { topic_sequence_number: 3, sequence_page: 0, value: { text: 'three' }, token_id: '' } },
    ]);
    expect(numbers(await poll(ctx.api, 'sub', 'resume', '?sequence_number=1&limit=2'))).toEqual([1, 2]);
    expect(numbers(await poll(ctx.api, 'sub', 'resume', '?sequence_number=1&sequence_page=0'))).toEqual([1, 2, 3]);
  });

  it('waits for the next message with sequence_number 0 (or none), and wakes as soon as it is published', async () => {
    await publish(ctx.api, 'sub', 'next', 'before');
    const waiting = poll(ctx.api, 'sub', 'next');
    await settle(300);
    const published = Date.now();
    await publish(ctx.api, 'sub', 'next', 'after');
    const items = await waiting;
    expect(items).toEqual([{ item: expect.objectContaining({ topic_sequence_number: 2, value: { text: 'after' } }) }]);
    // Woke well before the 4 s wait ran out.
    expect(Date.now() - published).toBeLessThan(3_500);
  });

  it('answers an empty list when nothing arrives within the wait', async () => {
    const started = Date.now();
    expect(await poll(ctx.api, 'sub', 'quiet', '?sequence_number=0')).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(3_900);
  });

  it('gives subscribers the same numbers the webhooks get, and the publishing key tokenId', async () => {
    const receiver = await TestReceiver.start();
    try {
      const put = await ctx.api('PUT', webhookPath('sub', 'same'), { body: { topicName: 'same', destination: { postUrl: receiver.url('/same') } } });
      expect(put.status).toBe(200);
      const key = await ctx.api('POST', '/keys', { body: { permissions: ['topics:publish'], caches: ['sub'], tokenId: 'svc 🎉' } });
      const publisher = (key.json as { apiKey: string }).apiKey;
      const texts = ['α', '東京 🎉', 'plain'];
      for (const text of texts) await publish(ctx.api, 'sub', 'same', text, publisher);
      const delivered = (await receiver.waitFor(3)).map((r) => JSON.parse(r.body.toString('utf8')) as WebhookRequestBody);
      const items = await poll(ctx.api, 'sub', 'same', '?sequence_number=1');
      const fromLog = items.map((i) => ('item' in i ? [i.item.topic_sequence_number, i.item.value.text, i.item.token_id] : []));
      const fromWebhook = delivered.map((d) => [d.topic_sequence_number, d.text, d.token_id]).sort((a, b) => Number(a[0]) - Number(b[0]));
      expect(fromLog).toEqual(fromWebhook);
      expect(fromLog).toEqual(texts.map((t, i) => [i + 1, t, 'svc 🎉']));
    } finally {
      await receiver.close();
    }
  });

  it('takes the key as ?token=, refuses both at once, and needs topics:subscribe on the cache', async () => {
    await publish(ctx.api, 'sub', 'auth', 'x');
    const key = async (permissions: string[], caches: string[]) =>
      ((await ctx.api('POST', '/keys', { body: { permissions, caches } })).json as { apiKey: string }).apiKey;
    const subscriber = await key(['topics:subscribe'], ['sub']);
    const viaToken = await ctx.api('GET', topicPath('sub', 'auth', `?sequence_number=1&token=${encodeURIComponent(subscriber)}`), { key: null });
    expect(viaToken.status).toBe(200);
    const both = await ctx.api('GET', topicPath('sub', 'auth', `?token=${encodeURIComponent(subscriber)}`), { key: subscriber });
    expect(both.status).toBe(400);
    const publisherOnly = await ctx.api('GET', topicPath('sub', 'auth', '?sequence_number=1'), { key: await key(['topics:publish'], ['sub']) });
    expect(publisherOnly.status).toBe(403);
    expect(publisherOnly.json).toEqual(errorBody('PERMISSION_ERROR'));
    const otherCache = await ctx.api('GET', topicPath('sub', 'auth', '?sequence_number=1'), { key: await key(['topics:subscribe'], ['other']) });
    expect(otherCache.status).toBe(403);
    expect((await ctx.api('GET', topicPath('sub', 'auth'), { key: 'whk_nope' })).status).toBe(401);
  });

  it.each(['-1', '1.5', 'abc', '', '99999999999999999'])('refuses sequence_number=%j with a 400', async (value) => {
    const res = await ctx.api('GET', topicPath('sub', 'bad', `?sequence_number=${encodeURIComponent(value)}`));
    expect(res.status).toBe(400);
    expect(res.json).toEqual(errorBody('INVALID_ARGUMENT_ERROR'));
  });

  it.each(['0', '101', 'x'])('refuses limit=%j with a 400', async (value) => {
    expect((await ctx.api('GET', topicPath('sub', 'bad', `?limit=${value}`))).status).toBe(400);
  });
});

describe('after retention', () => {
  const ctx = setup({ SUBSCRIBE_WAIT_SECONDS: '1', MESSAGE_RETENTION_SECONDS: '1' });

  it('starts with a discontinuity when the requested number is older than the oldest retained message', async () => {
    await publish(ctx.api, 'ret', 't', 'gone 1');
    await publish(ctx.api, 'ret', 't', 'gone 2');
    // Expired once a whole second past the expiry second has passed.
    await settle(2_100);
    await publish(ctx.api, 'ret', 't', 'kept');
    expect(await poll(ctx.api, 'ret', 't', '?sequence_number=1')).toEqual([
      { discontinuity: { last_topic_sequence: 0, new_topic_sequence: 3, new_sequence_page: 0 } },
      { item: { topic_sequence_number: 3, sequence_page: 0, value: { text: 'kept' }, token_id: '' } },
    ]);
  });
});

describe('with retention 0', () => {
  const ctx = setup({ MESSAGE_RETENTION_SECONDS: '0' });

  it('keeps no log: subscribing answers 404, publishing still works', async () => {
    await publish(ctx.api, 'off', 't', 'x');
    const res = await ctx.api('GET', topicPath('off', 't'));
    expect(res.status).toBe(404);
    expect(res.json).toEqual(errorBody('NOT_FOUND_ERROR'));
  });
});
