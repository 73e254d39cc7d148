import * as z from 'zod';
import type { DeliveryTask } from './model.ts';

/**
 * The delivery queue's wire format, in one place: JSON with the message text base64-encoded,
 * so a queued body never grows past SQS's size limit whatever characters the text holds.
 */
const wireSchema = z.object({
  v: z.literal(1),
  cacheName: z.string(),
  topicName: z.string(),
  webhookName: z.string(),
  webhookId: z.string(),
  sequenceNumber: z.number().int().positive(),
  eventTimestamp: z.number().int(),
  tokenId: z.string(),
  textBase64: z.string(),
});

export function encodeDeliveryTask(task: DeliveryTask): string {
  const { text, ...rest } = task;
  return JSON.stringify({ v: 1, ...rest, textBase64: Buffer.from(text, 'utf8').toString('base64') });
}

/** Parses a queued task; throws on anything malformed (the caller reports it as a failure). */
export function decodeDeliveryTask(body: string): DeliveryTask {
  const { v: _v, textBase64, ...rest } = wireSchema.parse(JSON.parse(body));
  return { ...rest, text: Buffer.from(textBase64, 'base64').toString('utf8') };
}
