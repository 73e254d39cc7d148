import { describe, expect, it } from 'vitest';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import {
  signDeliveryBody,
  signedDelivery,
  standardWebhooksMessageId,
  standardWebhooksSecret,
  standardWebhooksSignature,
} from '#shared/delivery/signature.ts';
import { deliveryBody } from '#shared/delivery/delivery-body.ts';

describe('delivery signature', () => {
  it('matches the §3 test vector', () => {
    const body = '{"text":"some text", "another_field": "another field" }';
    expect(signDeliveryBody(body, '1234567890')).toBe(
      'b43f72787eb66410ff110295b036ef828e5686af21b414ce092f02c05deea3da',
    );
  });

  it('signs bytes and their string alike, and changes with the secret', () => {
    const body = deliveryBody({
      cache: 'c', topic: 't', eventTimestamp: 1, publishTimestamp: 2, sequenceNumber: 3, tokenId: '', text: 'é',
    });
    expect(signDeliveryBody(Buffer.from(body, 'utf8'), 's')).toBe(signDeliveryBody(body, 's'));
    expect(signDeliveryBody(body, 's')).not.toBe(signDeliveryBody(body, 's2'));
  });
});

describe('delivery body', () => {
  it('is compact JSON with the keys in the §3 order', () => {
    const body = deliveryBody({
      cache: 'my-cache',
      topic: 'my-topic',
      eventTimestamp: 1700000000000,
      publishTimestamp: 1700000000123,
      sequenceNumber: 42,
      tokenId: 'svc',
      text: 'hello "world"\n😀',
    });
    expect(body).toBe(
      '{"cache":"my-cache","topic":"my-topic","event_timestamp":1700000000000,' +
        '"publish_timestamp":1700000000123,"topic_sequence_number":42,"token_id":"svc",' +
        '"text":"hello \\"world\\"\\n😀"}',
    );
  });
});

describe('Standard Webhooks signature', () => {
  it('matches the reference test vector of Standard Webhooks', () => {
    const key = Buffer.from('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'base64');
    expect(standardWebhooksSignature(key, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}')).toBe(
      'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    );
  });

  it('keys with the secret\'s UTF-8 bytes, which whsec_ carries in base64, as the reference library reads it', () => {
    const secret = 'K9wQ-secret_with~ASCII';
    const fields = { cache: 'c', topic: 't', eventTimestamp: 1, publishTimestamp: 1_700_000_000_999, sequenceNumber: 3, tokenId: '', text: 'é' };
    const webhook = { postUrl: 'https://e.example/', secret, standardWebhooks: true };
    const { body, headers } = signedDelivery(webhook, fields, () => 'msg_fixed');
    expect(standardWebhooksSecret(secret)).toBe(`whsec_${Buffer.from(secret).toString('base64')}`);
    expect(headers['webhook-timestamp']).toBe('1700000000');
    const signedAt = new StandardWebhook(standardWebhooksSecret(secret)).sign('msg_fixed', new Date(1_700_000_000_000), body);
    expect(headers['webhook-signature']).toBe(signedAt);
  });

  it('derives one id per (webhook incarnation, topic, number), and a random one for a ping', () => {
    const id = (webhookId: string, topicName: string, sequenceNumber: number) => standardWebhooksMessageId({ webhookId, topicName, sequenceNumber });
    expect(id('w1', 't', 1)).toBe(id('w1', 't', 1));
    expect(new Set([id('w1', 't', 1), id('w1', 't', 2), id('w2', 't', 1), id('w1', 'u', 1)]).size).toBe(4);
    expect(standardWebhooksMessageId()).not.toBe(standardWebhooksMessageId());
    expect(id('w1', 't', 1)).toMatch(/^msg_[A-Za-z0-9_-]{24}$/);
  });

  it('adds the previous secret\'s signature only while its grace lasts at the time of the POST', () => {
    const fields = { cache: 'c', topic: 't', eventTimestamp: 1, publishTimestamp: 10_000, sequenceNumber: 3, tokenId: '', text: 'x' };
    const webhook = (until: number) => ({ postUrl: 'https://e.example/', secret: 'new', previousSecret: { secret: 'old', until }, standardWebhooks: true });
    const signatures = (until: number) => signedDelivery(webhook(until), fields, () => 'msg_x').headers['webhook-signature']!.split(' ');
    expect(signatures(10_001)).toHaveLength(2);
    expect(signatures(10_000)).toHaveLength(1);
    expect(signedDelivery(webhook(10_001), fields, () => 'msg_x').headers['momento-signature']).toBe(
      signDeliveryBody(signedDelivery(webhook(10_001), fields, () => 'msg_x').body, 'new'),
    );
  });
});
