import { describe, expect, it } from 'vitest';
import { deliverBatch, type GroupResult } from '#shared/delivery/deliver-batch.ts';
import { encodeDeliveryGroup } from '#shared/delivery/queue-message.ts';
import { signDeliveryBody } from '#shared/delivery/signature.ts';
import type { DeliveryGroup } from '#shared/delivery/model.ts';
import type { WebhookRecord } from '#shared/webhooks/model.ts';
import { FakeLedger, FakeRateLimiter, FakeSender, FakeWebhooks, fakeClock, webhookRecord } from '../../helpers/fakes.ts';

function setup(concurrency = 50) {
  const clock = fakeClock();
  const webhooks = new FakeWebhooks();
  const deliveries = new FakeLedger();
  const sender = new FakeSender(clock);
  const rateLimits = new FakeRateLimiter();
  const deps = { webhooks, deliveries, sender, rateLimits, config: { deliveryPostConcurrency: concurrency }, now: clock.now };
  return { clock, webhooks, deliveries, sender, rateLimits, deps };
}

const groupOf = (records: WebhookRecord[], overrides: Partial<DeliveryGroup> = {}): DeliveryGroup => ({
  cacheName: 'c',
  topicName: 't',
  sequenceNumber: 1,
  eventTimestamp: Date.UTC(2025, 11, 31),
  tokenId: 'tok',
  text: 'hello ✓',
  group: 0,
  webhooks: records.map((r) => ({ webhookName: r.webhookName, webhookId: r.webhookId })),
  ...overrides,
});

const record = (recordId: string, group: DeliveryGroup) => ({ recordId, body: encodeDeliveryGroup(group) });
const stages = (results: GroupResult[]) => Object.fromEntries(results.map((r) => [r.recordId, r.stage]));

describe('deliverBatch', () => {
  it('claims each group once, POSTs every current webhook signed with its secret, and writes one history item per webhook', async () => {
    const { deps, webhooks, deliveries, sender } = setup();
    const a = webhooks.add(webhookRecord({ webhookName: 'a', secret: 'sa', postUrl: 'https://a.example/' }));
    const b = webhooks.add(webhookRecord({ webhookName: 'b', secret: 'sb', postUrl: 'https://b.example/' }));
    const report = await deliverBatch(
      deps,
      [record('m1', groupOf([a, b], { sequenceNumber: 1 })), record('m2', groupOf([a, b], { sequenceNumber: 2 }))],
      'inv-1',
    );
    expect(stages(report.results)).toEqual({ m1: 'claimed', m2: 'claimed' });
    expect(report.failedRecordIds).toEqual([]);
    expect(report.historyRecorded).toBe(true);
    expect(deliveries.claims.size).toBe(2);
    // One batched read for both groups.
    expect(webhooks.reads).toHaveLength(1);

    expect(sender.requests).toHaveLength(4);
    for (const request of sender.requests) {
      const body = JSON.parse(request.body) as Record<string, unknown>;
      expect(Object.keys(body)).toEqual(['cache', 'topic', 'event_timestamp', 'publish_timestamp', 'topic_sequence_number', 'token_id', 'text']);
      expect(body).toMatchObject({ cache: 'c', topic: 't', token_id: 'tok', text: 'hello ✓' });
      const secret = request.url === a.postUrl ? 'sa' : 'sb';
      expect(request.headers['momento-signature']).toBe(signDeliveryBody(request.body, secret));
    }
    expect(deliveries.history.map((h) => [h.webhookId, h.invocationId, h.attempts.map((t) => t.sequenceNumber).sort()])).toEqual(
      expect.arrayContaining([
        [a.webhookId, 'inv-1', [1, 2]],
        [b.webhookId, 'inv-1', [1, 2]],
      ]),
    );
    expect(deliveries.history).toHaveLength(2);
    expect(deliveries.history[0]!.attempts[0]).toMatchObject({ outcome: 'delivered', statusCode: 204, latencyMs: 3 });
  });

  it('reports a malformed record as a failure and still delivers the rest', async () => {
    const { deps, webhooks, sender } = setup();
    const a = webhooks.add(webhookRecord());
    const report = await deliverBatch(deps, [{ recordId: 'bad', body: '{"v":2}' }, { recordId: 'junk', body: 'not json' }, record('ok', groupOf([a]))], 'i');
    expect(stages(report.results)).toEqual({ bad: 'failed', junk: 'failed', ok: 'claimed' });
    expect(report.results.find((r) => r.recordId === 'bad')).toMatchObject({ reason: 'malformed_task' });
    expect(report.failedRecordIds.sort()).toEqual(['bad', 'junk']);
    expect(sender.requests).toHaveLength(1);
  });

  it('returns every record when the webhook read fails, before any claim or POST', async () => {
    const { deps, webhooks, deliveries, sender } = setup();
    const a = webhooks.add(webhookRecord());
    webhooks.failReads = true;
    const report = await deliverBatch(deps, [record('m1', groupOf([a])), record('m2', groupOf([a], { sequenceNumber: 2 }))], 'i');
    expect(report.results.map((r) => r.stage === 'failed' && r.reason)).toEqual(['webhook_read_failed', 'webhook_read_failed']);
    expect(report.failedRecordIds).toEqual(['m1', 'm2']);
    expect(deliveries.claims.size).toBe(0);
    expect(sender.requests).toHaveLength(0);
  });

  it('decides per webhook inside a group: deleted, re-created and moved webhooks get nothing, the others are sent', async () => {
    const { deps, webhooks, sender } = setup();
    const kept = webhooks.add(webhookRecord({ webhookName: 'kept' }));
    const deleted = webhookRecord({ webhookName: 'deleted' });
    const replacedBefore = webhookRecord({ webhookName: 'replaced' });
    webhooks.add(webhookRecord({ webhookName: 'replaced' }));
    const moved = webhooks.add(webhookRecord({ webhookName: 'moved', topicName: 'elsewhere' }));
    const report = await deliverBatch(deps, [record('m', groupOf([kept, deleted, replacedBefore, moved]))], 'i');
    const [result] = report.results;
    expect(result!.stage).toBe('claimed');
    const byName = Object.fromEntries((result as Extract<GroupResult, { stage: 'claimed' }>).webhooks.map((w) => [w.webhookName, w.stage === 'dropped' ? w.reason : w.stage]));
    expect(byName).toEqual({ kept: 'sent', deleted: 'webhook_deleted', replaced: 'webhook_replaced', moved: 'topic_changed' });
    expect(sender.requests.map((r) => r.url)).toEqual([kept.postUrl]);
  });

  it('drops a group with no current webhook without claiming it', async () => {
    const { deps, deliveries, sender } = setup();
    const report = await deliverBatch(deps, [record('m', groupOf([webhookRecord({ webhookName: 'gone' })]))], 'i');
    expect(report.results[0]).toMatchObject({ stage: 'dropped', webhooks: [{ webhookName: 'gone', stage: 'dropped', reason: 'webhook_deleted' }] });
    expect(report.failedRecordIds).toEqual([]);
    expect(deliveries.claims.size).toBe(0);
    expect(sender.requests).toHaveLength(0);
  });

  it('skips a group claimed before (a redelivery, or a crash after the claim): no second POST', async () => {
    const { deps, webhooks, sender } = setup();
    const a = webhooks.add(webhookRecord());
    const group = groupOf([a]);
    await deliverBatch(deps, [record('m', group)], 'first');
    const again = await deliverBatch(deps, [record('m', group), record('m-dup', group)], 'second');
    expect(stages(again.results)).toEqual({ m: 'already_claimed', 'm-dup': 'already_claimed' });
    expect(again.failedRecordIds).toEqual([]);
    expect(sender.requests).toHaveLength(1);
  });

  it('claims the same message twice in one batch only once', async () => {
    const { deps, webhooks, sender } = setup();
    const a = webhooks.add(webhookRecord());
    const report = await deliverBatch(deps, [record('m', groupOf([a])), record('m-again', groupOf([a]))], 'i');
    expect(Object.values(stages(report.results)).sort()).toEqual(['already_claimed', 'claimed']);
    expect(sender.requests).toHaveLength(1);
  });

  it('returns a group whose claim failed, so it is retried, and sends nothing for it', async () => {
    const { deps, webhooks, deliveries, sender } = setup();
    const a = webhooks.add(webhookRecord());
    deliveries.failClaims = true;
    const report = await deliverBatch(deps, [record('m', groupOf([a]))], 'i');
    expect(report.results[0]).toMatchObject({ stage: 'failed', reason: 'claim_failed' });
    expect(report.failedRecordIds).toEqual(['m']);
    expect(sender.requests).toHaveLength(0);
  });

  it('keeps a claimed group done when its history cannot be written, and says so', async () => {
    const { deps, webhooks, deliveries, sender } = setup();
    const a = webhooks.add(webhookRecord());
    deliveries.failHistory = true;
    const report = await deliverBatch(deps, [record('m', groupOf([a]))], 'i');
    expect(report.results[0]!.stage).toBe('claimed');
    expect(report.failedRecordIds).toEqual([]);
    expect(report.historyRecorded).toBe(false);
    expect(sender.requests).toHaveLength(1);
  });

  it('records a failed POST as its outcome, never as a retry', async () => {
    const { deps, webhooks, deliveries, sender } = setup();
    const a = webhooks.add(webhookRecord());
    sender.outcome = { kind: 'timeout', latencyMs: 5000 };
    const report = await deliverBatch(deps, [record('m', groupOf([a]))], 'i');
    expect(report.failedRecordIds).toEqual([]);
    expect(deliveries.history[0]!.attempts).toEqual([expect.objectContaining({ outcome: 'timeout', statusCode: null, latencyMs: 5000 })]);
  });

  it('keeps at most deliveryPostConcurrency POSTs in flight across all groups', async () => {
    const { deps, webhooks, sender } = setup(3);
    const records = Array.from({ length: 12 }, (_, i) => webhooks.add(webhookRecord({ webhookName: `w${i}` })));
    await deliverBatch(deps, [record('m1', groupOf(records.slice(0, 6))), record('m2', groupOf(records.slice(6), { group: 1 }))], 'i');
    expect(sender.requests).toHaveLength(12);
    expect(sender.maxInFlight).toBe(3);
  });

  it('never dates a POST before its message (publish_timestamp ≥ event_timestamp)', async () => {
    const { deps, webhooks, sender, clock } = setup();
    const a = webhooks.add(webhookRecord());
    await deliverBatch(deps, [record('m', groupOf([a], { eventTimestamp: clock.now() + 60_000 }))], 'i');
    const body = JSON.parse(sender.requests[0]!.body) as { event_timestamp: number; publish_timestamp: number };
    expect(body.publish_timestamp).toBe(body.event_timestamp);
  });

  it('sends nothing over a webhook\'s rate limit, records it rate_limited, and takes no slot for webhooks without a limit', async () => {
    const { deps, webhooks, deliveries, sender, rateLimits } = setup();
    const limited = webhooks.add(webhookRecord({ webhookName: 'limited', postUrl: 'https://limited.example/', rateLimitPerSecond: 2 }));
    const free = webhooks.add(webhookRecord({ webhookName: 'free', postUrl: 'https://free.example/' }));
    const groups = Array.from({ length: 5 }, (_, i) => record(`m${i}`, groupOf([limited, free], { sequenceNumber: i + 1 })));
    const report = await deliverBatch(deps, groups, 'i');
    expect(report.failedRecordIds).toEqual([]);
    expect(sender.requests.filter((r) => r.url === limited.postUrl)).toHaveLength(2);
    expect(sender.requests.filter((r) => r.url === free.postUrl)).toHaveLength(5);
    const outcomes = (webhookId: string) => deliveries.history.find((h) => h.webhookId === webhookId)!.attempts.map((a) => a.outcome).sort();
    expect(outcomes(limited.webhookId)).toEqual(['delivered', 'delivered', 'rate_limited', 'rate_limited', 'rate_limited']);
    expect(deliveries.history.find((h) => h.webhookId === limited.webhookId)!.attempts.filter((a) => a.outcome === 'rate_limited')).toEqual(
      Array.from({ length: 3 }, () => expect.objectContaining({ statusCode: null, latencyMs: 0 })),
    );
    // One counter write for the batch's five POSTs to the limited webhook, none for the other.
    expect(rateLimits.calls).toEqual([{ webhookId: limited.webhookId, wanted: 5 }]);
  });

  it('sends nothing when the rate-limit counter cannot be written: the claim stands, so the limit wins', async () => {
    const { deps, webhooks, deliveries, sender, rateLimits } = setup();
    const limited = webhooks.add(webhookRecord({ rateLimitPerSecond: 100 }));
    rateLimits.failing = true;
    const report = await deliverBatch(deps, [record('m', groupOf([limited]))], 'i');
    expect(stages(report.results)).toEqual({ m: 'claimed' });
    expect(report.failedRecordIds).toEqual([]);
    expect(sender.requests).toEqual([]);
    expect(deliveries.history[0]!.attempts).toEqual([expect.objectContaining({ outcome: 'rate_limited', statusCode: null })]);
  });

  it('adds the Standard Webhooks headers only to webhooks that have the setting, with one id per (message, webhook)', async () => {
    const { deps, webhooks, sender } = setup();
    const standard = webhooks.add(webhookRecord({ webhookName: 's', postUrl: 'https://s.example/', standardWebhooks: true }));
    const plain = webhooks.add(webhookRecord({ webhookName: 'p', postUrl: 'https://p.example/' }));
    await deliverBatch(deps, [record('m1', groupOf([standard, plain])), record('m2', groupOf([standard, plain], { sequenceNumber: 2 }))], 'i');
    const headersAt = (url: string) => sender.requests.filter((r) => r.url === url).map((r) => r.headers);
    expect(headersAt(plain.postUrl).map((h) => Object.keys(h))).toEqual([['momento-signature'], ['momento-signature']]);
    const ids = headersAt(standard.postUrl).map((h) => h['webhook-id']);
    expect(new Set(ids).size).toBe(2);
    for (const h of headersAt(standard.postUrl)) expect(Object.keys(h).sort()).toEqual(['momento-signature', 'webhook-id', 'webhook-signature', 'webhook-timestamp']);
  });
});
