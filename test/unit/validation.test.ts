import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '#shared/errors.ts';
import {
  cacheNameSchema,
  createKeyBodySchema,
  parseInput,
  parseJsonBody,
  putWebhookBodySchema,
  topicNameSchema,
  webhookNameSchema,
} from '#shared/validation.ts';

const fourByte = '😀'; // U+1F600: one code point, two UTF-16 units, four UTF-8 bytes

describe.each([
  { field: 'cacheName', schema: cacheNameSchema, max: 255 },
  { field: 'topicName', schema: topicNameSchema, max: 255 },
  { field: 'webhookName', schema: webhookNameSchema, max: 128 },
])('$field', ({ field, schema, max }) => {
  it.each([
    ['plain', 'orders'],
    ['unicode', 'café-注文'],
    ['delimiters', 'a#b|c:d'],
    ['spaces inside', 'my cache'],
    ['percent', '100%'],
    ['max length in four-byte characters', fourByte.repeat(max)],
  ])('accepts %s', (_label, value) => {
    expect(parseInput(schema, value, field)).toBe(value);
  });

  it.each([
    ['empty', '', 'must not be blank'],
    ['blank', '  \t ', 'must not be blank'],
    ['too long', 'a'.repeat(max + 1), `must be at most ${max} characters`],
    ['too long in four-byte characters', fourByte.repeat(max + 1), `must be at most ${max} characters`],
    ['a slash', 'a/b', "must not contain '/'"],
    ['a dot segment', '.', "must not be '.' or '..'"],
    ['a double-dot segment', '..', "must not be '.' or '..'"],
    ['a control character', 'a\u0000b', 'must not contain control characters'],
    ['a newline', 'a\nb', 'must not contain control characters'],
    ['DEL', 'a\u007fb', 'must not contain control characters'],
    ['a C1 control', 'a\u0085b', 'must not contain control characters'],
  ])('rejects %s', (_label, value, message) => {
    expect(() => parseInput(schema, value, field)).toThrow(InvalidArgumentError);
    expect(() => parseInput(schema, value, field)).toThrow(`${field} ${message}`);
  });

  it('rejects a non-string', () => {
    expect(() => parseInput(schema, 42, field)).toThrow(`${field} must be a string`);
  });
});

describe('put webhook body', () => {
  const valid = { topicName: 't', destination: { postUrl: 'https://example.com/hook' } };

  it('accepts a valid body and ignores unknown fields', () => {
    expect(parseInput(putWebhookBodySchema, { ...valid, extra: 1 })).toEqual(valid);
  });

  it.each([
    ['an array', [], 'the body must be a JSON object'],
    ['null', null, 'the body must be a JSON object'],
    ['a string', 'x', 'the body must be a JSON object'],
    ['missing topicName', { destination: valid.destination }, 'topicName'],
    ['numeric topicName', { ...valid, topicName: 5 }, 'topicName must be a string'],
    ['missing destination', { topicName: 't' }, 'destination'],
    ['destination as a string', { topicName: 't', destination: 'https://x' }, 'destination must be an object'],
    ['numeric postUrl', { topicName: 't', destination: { postUrl: 1 } }, 'destination.postUrl must be a string'],
  ])('rejects %s', (_label, body, message) => {
    expect(() => parseInput(putWebhookBodySchema, body)).toThrow(message);
  });
});

describe('create key body', () => {
  it('accepts a full body', () => {
    const body = { permissions: ['topics:publish'], caches: ['a', 'b'], tokenId: 'svc', expiresInSeconds: 60 };
    expect(parseInput(createKeyBodySchema, body)).toEqual(body);
  });

  it.each([1, 2 ** 53 + 2, 1e300])('accepts the lifetime %d: any positive integer', (expiresInSeconds) => {
    expect(parseInput(createKeyBodySchema, { permissions: ['keys:manage'], caches: ['*'], expiresInSeconds }).expiresInSeconds).toBe(expiresInSeconds);
  });

  it.each([
    ['unknown permission', { permissions: ['root'], caches: ['*'] }, 'permissions.0'],
    ['empty permissions', { permissions: [], caches: ['*'] }, 'permissions must not be empty'],
    ['empty caches', { permissions: ['keys:manage'], caches: [] }, 'caches must not be empty'],
    ['bad cache name', { permissions: ['keys:manage'], caches: ['a/b'] }, 'caches.0'],
    ['long tokenId', { permissions: ['keys:manage'], caches: ['*'], tokenId: 'x'.repeat(65) }, 'tokenId must be at most 64'],
    ['zero expiry', { permissions: ['keys:manage'], caches: ['*'], expiresInSeconds: 0 }, 'positive integer'],
    ['fractional expiry', { permissions: ['keys:manage'], caches: ['*'], expiresInSeconds: 1.5 }, 'positive integer'],
    ['string expiry', { permissions: ['keys:manage'], caches: ['*'], expiresInSeconds: '60' }, 'must be a number'],
  ])('rejects %s', (_label, body, message) => {
    expect(() => parseInput(createKeyBodySchema, body)).toThrow(message);
  });
});

describe('parseJsonBody', () => {
  it('parses JSON whatever the content type', () => {
    expect(parseJsonBody('{"a":1}')).toEqual({ a: 1 });
  });
  it.each([
    ['missing', undefined, 'must be a JSON object'],
    ['empty', '', 'must be a JSON object'],
    ['malformed', '{"a":', 'not valid JSON'],
  ])('rejects a %s body with a 400', (_label, body, message) => {
    expect(() => parseJsonBody(body)).toThrow(InvalidArgumentError);
    expect(() => parseJsonBody(body)).toThrow(message);
  });
});
