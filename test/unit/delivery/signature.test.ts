import { describe, expect, it } from 'vitest';
import { signDeliveryBody } from '#shared/delivery/signature.ts';
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
