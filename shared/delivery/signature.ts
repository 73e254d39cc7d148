import { createHmac } from 'node:crypto';

/** `momento-signature`: lowercase hex HMAC-SHA3-256 of the exact body bytes, keyed with the webhook's secret (docs/design.md#delivery-contract). */
export function signDeliveryBody(body: string | Uint8Array, secret: string): string {
  return createHmac('sha3-256', secret).update(body).digest('hex');
}
