import * as z from 'zod/mini';
import type { DeliveryGroup } from './model.ts';

/**
 * The delivery queue's wire format, in one place. JSON, in ASCII only: every non-ASCII code
 * unit is escaped as `\uXXXX`, so any name, `tokenId` or text is accepted by SQS (which
 * refuses U+FFFE and U+FFFF) and by its emulator (which refuses everything outside the Basic
 * Multilingual Plane). The text travels base64-encoded: its size grows by 4/3 at most, where
 * escaping could triple it.
 */
const wireSchema = z.object({
  v: z.literal(2),
  cacheName: z.string(),
  topicName: z.string(),
  sequenceNumber: z.int().check(z.positive()),
  eventTimestamp: z.int(),
  tokenId: z.string(),
  group: z.int().check(z.nonnegative()),
  webhooks: z.array(z.object({ webhookName: z.string(), webhookId: z.string() })).check(z.minLength(1)),
  textBase64: z.string(),
});

const NON_ASCII = /[\u0080-\uffff]/g;
const escape = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

export function encodeDeliveryGroup(group: DeliveryGroup): string {
  const { text, ...rest } = group;
  const wire = { v: 2, ...rest, textBase64: Buffer.from(text, 'utf8').toString('base64') };
  return JSON.stringify(wire).replace(NON_ASCII, escape);
}

/** Parses a queued group; throws on anything malformed (the caller reports it as a failure). */
export function decodeDeliveryGroup(body: string): DeliveryGroup {
  const { v: _v, textBase64, ...rest } = wireSchema.parse(JSON.parse(body));
  return { ...rest, text: Buffer.from(textBase64, 'base64').toString('utf8') };
}

/**
 * The largest queue message a configuration can produce, in bytes: the text at its maximum
 * (base64), names of maximal length in characters that escape to twelve bytes each (a
 * character outside the BMP is two `\uXXXX`), a full group, and the JSON around them.
 */
export function worstCaseMessageBytes(limits: { maxMessageBytes: number; groupSize: number }): number {
  const escaped = (codePoints: number) => codePoints * 12;
  const webhook = escaped(128) + 36 + 40; // name, a UUID, keys and punctuation
  const envelope = escaped(255) * 2 + escaped(64) + 200; // cache, topic, tokenId, the other fields
  return Math.ceil(limits.maxMessageBytes / 3) * 4 + limits.groupSize * webhook + envelope;
}
