import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RequestValidation, WebhookUtils, validateWebhookRequest } from '@topic-webhooks/client';

/** The receiver toolkit on its own: the signature test vector, tampering, and the age check. */

// Momento's signature test vector (docs/delivery.md).
const VECTOR = {
  signingSecret: '1234567890',
  body: '{"text":"some text", "another_field": "another field" }',
  signature: 'b43f72787eb66410ff110295b036ef828e5686af21b414ce092f02c05deea3da',
};

/** Signs independently of the code under test. */
const sign = (body: string | Buffer, secret: string) => createHmac('sha3-256', secret).update(body).digest('hex');

const SECRET = 'k7cV1d2b8Y3mZ0pQw9eR4tY6uI1oP5aS7dF2gH8jK0l';
const deliveryBody = (publishTimestamp: unknown) =>
  `{"cache":"c","topic":"t","event_timestamp":1700000000000,"publish_timestamp":${JSON.stringify(publishTimestamp)},"topic_sequence_number":1,"token_id":"","text":"hi"}`;

describe('the signature test vector', () => {
  it('is VALID as a string, a Buffer and a Uint8Array', () => {
    expect(WebhookUtils.validateWebhookRequest(VECTOR)).toBe(WebhookUtils.RequestValidation.VALID);
    expect(validateWebhookRequest({ ...VECTOR, body: Buffer.from(VECTOR.body) })).toBe('valid');
    expect(validateWebhookRequest({ ...VECTOR, body: new TextEncoder().encode(VECTOR.body) })).toBe('valid');
  });

  it('reads a Uint8Array view at its own offset', () => {
    const bytes = Buffer.from(`xxxx${VECTOR.body}yyyy`);
    const view = new Uint8Array(bytes.buffer, bytes.byteOffset + 4, Buffer.byteLength(VECTOR.body));
    expect(validateWebhookRequest({ ...VECTOR, body: view })).toBe(RequestValidation.VALID);
  });

  it('has Momento’s values, plus expired', () => {
    expect(RequestValidation).toEqual({ VALID: 'valid', INVALID: 'invalid', EXPIRED: 'expired' });
    expect(WebhookUtils.RequestValidation).toBe(RequestValidation);
  });
});

describe('tampering', () => {
  const flip = (hex: string, at: number) => hex.slice(0, at) + (hex[at] === '0' ? '1' : '0') + hex.slice(at + 1);

  it.each([
    ['one character of the body changed', { body: VECTOR.body.replace('some', 'same') }],
    ['a byte appended to the body', { body: `${VECTOR.body}\n` }],
    ['whitespace removed (a JSON re-serialisation)', { body: JSON.stringify(JSON.parse(VECTOR.body)) }],
    ['the first hex digit of the signature changed', { signature: flip(VECTOR.signature, 0) }],
    ['the last hex digit of the signature changed', { signature: flip(VECTOR.signature, 63) }],
    ['a truncated signature', { signature: VECTOR.signature.slice(0, 62) }],
    ['a signature with a byte appended', { signature: `${VECTOR.signature}00` }],
    ['a non-hex signature of the right length', { signature: `${VECTOR.signature.slice(0, 63)}g` }],
    ['a "sha3=" prefixed signature', { signature: `sha3=${VECTOR.signature}` }],
    ['an empty signature', { signature: '' }],
    ['a missing signature', { signature: undefined }],
    ['a repeated signature header', { signature: [VECTOR.signature, VECTOR.signature] }],
    ['the wrong secret', { signingSecret: '1234567891' }],
    ['an empty secret', { signingSecret: '' }],
    ['an HMAC-SHA256 signature', { signature: createHmac('sha256', VECTOR.signingSecret).update(VECTOR.body).digest('hex') }],
    ['a parsed body instead of the bytes', { body: JSON.parse(VECTOR.body) as string }],
  ])('is INVALID with %s', (_label, change) => {
    expect(validateWebhookRequest({ ...VECTOR, ...change })).toBe(RequestValidation.INVALID);
  });

  it('accepts the signature in upper case (same bytes)', () => {
    expect(validateWebhookRequest({ ...VECTOR, signature: VECTOR.signature.toUpperCase() })).toBe(RequestValidation.VALID);
  });

  it('is INVALID with an empty secret even when the signature matches that empty key', () => {
    const body = deliveryBody(1);
    expect(validateWebhookRequest({ body, signature: sign(body, ''), signingSecret: '' })).toBe(RequestValidation.INVALID);
  });
});

describe('maxAgeMs', () => {
  const publishedAt = 1_700_000_000_000;
  const body = deliveryBody(publishedAt);
  const signature = sign(body, SECRET);
  const check = (now: number, maxAgeMs = 60_000) =>
    validateWebhookRequest({ body, signature, signingSecret: SECRET, maxAgeMs, now });

  it('is VALID within the age, at its very edge, and for a timestamp ahead of the clock', () => {
    expect(check(publishedAt + 1000)).toBe(RequestValidation.VALID);
    expect(check(publishedAt + 60_000)).toBe(RequestValidation.VALID);
    expect(check(publishedAt - 5000)).toBe(RequestValidation.VALID);
  });

  it('is EXPIRED one millisecond past the age', () => {
    expect(check(publishedAt + 60_001)).toBe(RequestValidation.EXPIRED);
    expect(check(publishedAt + 1, 0)).toBe(RequestValidation.EXPIRED);
  });

  it('measures against the clock by default', () => {
    const fresh = deliveryBody(Date.now());
    expect(validateWebhookRequest({ body: fresh, signature: sign(fresh, SECRET), signingSecret: SECRET, maxAgeMs: 3_600_000 })).toBe(
      RequestValidation.VALID,
    );
    expect(validateWebhookRequest({ body, signature, signingSecret: SECRET, maxAgeMs: 60_000 })).toBe(RequestValidation.EXPIRED);
  });

  it('reports a forged old body as INVALID, not EXPIRED (the age of unsigned bytes means nothing)', () => {
    expect(validateWebhookRequest({ body, signature: sign(body, 'other'), signingSecret: SECRET, maxAgeMs: 60_000, now: publishedAt + 61_000 })).toBe(
      RequestValidation.INVALID,
    );
  });

  it.each([
    ['a body that is not JSON', 'not json'],
    ['a JSON array', '[1,2]'],
    ['no publish_timestamp', '{"text":"x"}'],
    ['a string publish_timestamp', deliveryBody('1700000000000')],
    ['a null publish_timestamp', deliveryBody(null)],
  ])('is INVALID for a signed body with %s', (_label, signedBody) => {
    expect(
      validateWebhookRequest({ body: signedBody, signature: sign(signedBody, SECRET), signingSecret: SECRET, maxAgeMs: 60_000, now: publishedAt }),
    ).toBe(RequestValidation.INVALID);
    // Without maxAgeMs the body is never parsed: the signature alone decides.
    expect(validateWebhookRequest({ body: signedBody, signature: sign(signedBody, SECRET), signingSecret: SECRET })).toBe(RequestValidation.VALID);
  });
});
