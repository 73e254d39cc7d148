/** What one delivery POST carries (docs/design.md#delivery-contract). */
export interface DeliveryBodyFields {
  cache: string;
  topic: string;
  /** Epoch ms when publish accepted the message. */
  eventTimestamp: number;
  /** Epoch ms when this POST is made. */
  publishTimestamp: number;
  sequenceNumber: number;
  tokenId: string;
  text: string;
}

/**
 * The delivery body: compact JSON with exactly these keys in exactly this order, as Momento
 * sent it, so receivers written for Momento verify and parse it unchanged.
 */
export function deliveryBody(f: DeliveryBodyFields): string {
  return JSON.stringify({
    cache: f.cache,
    topic: f.topic,
    event_timestamp: f.eventTimestamp,
    publish_timestamp: f.publishTimestamp,
    topic_sequence_number: f.sequenceNumber,
    token_id: f.tokenId,
    text: f.text,
  });
}
