import * as z from 'zod';

/**
 * One SQS message per (published message, webhook). It carries identifiers and the immutable
 * message, never mutable webhook state: delivery re-reads the webhook, so a rotate or delete
 * that has returned applies to messages already queued (§2). The text travels base64-encoded
 * so its JSON never grows past SQS's size limit whatever characters it holds.
 */
export const deliveryTaskSchema = z.object({
  v: z.literal(1),
  cacheName: z.string(),
  topicName: z.string(),
  webhookName: z.string(),
  /** The incarnation of the webhook at publish time: a re-created webhook is another one. */
  webhookId: z.string(),
  sequenceNumber: z.number().int().positive(),
  /** Epoch ms when publish accepted the message. */
  eventTimestamp: z.number().int(),
  tokenId: z.string(),
  textBase64: z.string(),
});
export type DeliveryTask = z.infer<typeof deliveryTaskSchema>;

export function encodeDeliveryTask(task: DeliveryTask): string {
  return JSON.stringify(task);
}

/** Parses a queued task; throws on anything malformed (the caller reports it as a failure). */
export function decodeDeliveryTask(body: string): DeliveryTask {
  return deliveryTaskSchema.parse(JSON.parse(body));
}
