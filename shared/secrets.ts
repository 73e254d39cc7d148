import { randomBytes } from 'node:crypto';

/** A webhook signing secret: 256 bits from the CSPRNG as an opaque ASCII string (docs/design.md#http-api). */
export function generateWebhookSecret(): string {
  return randomBytes(32).toString('base64url');
}
