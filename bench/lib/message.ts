import { deliveryBody } from '#shared/delivery/delivery-body.ts';

/**
 * Benchmark messages: `bench:<id>:` and padding up to the configured size, so a receiver can
 * tell which publish a delivery belongs to without parsing the JSON.
 */
export function benchMessage(id: number, bytes: number): string {
  const head = `bench:${id}:`;
  return head + 'x'.repeat(Math.max(0, bytes - head.length));
}

/** A delivery body exactly as the delivery path builds it for a benchmark message (§3). */
export function sampleDeliveryBody(id: number, messageBytes: number, now = Date.now()): string {
  return deliveryBody({
    cache: 'bench-cache',
    topic: 'bench-topic',
    eventTimestamp: now,
    publishTimestamp: now,
    sequenceNumber: id + 1,
    tokenId: '',
    text: benchMessage(id, messageBytes),
  });
}
