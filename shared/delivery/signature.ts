import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { WebhookRecord } from '../webhooks/model.ts';
import { deliveryBody, type DeliveryBodyFields } from './delivery-body.ts';
import type { DeliveryRequest } from './model.ts';

/** `momento-signature`: lowercase hex HMAC-SHA3-256 of the exact body bytes, keyed with the webhook's secret (docs/design.md#delivery-contract). */
export function signDeliveryBody(body: string | Uint8Array, secret: string): string {
  return createHmac('sha3-256', secret).update(body).digest('hex');
}

/**
 * The webhook's secret in Standard Webhooks' form: `whsec_` + base64 of its UTF-8 bytes, the
 * key that `webhook-signature` is made with (docs/design.md#standard-webhooks).
 */
export const standardWebhooksSecret = (secret: string): string => `whsec_${Buffer.from(secret, 'utf8').toString('base64')}`;

/** One `v1,` signature of Standard Webhooks: base64 HMAC-SHA256 of `id.timestamp.body`, keyed with `key` (a secret's UTF-8 bytes). */
export function standardWebhooksSignature(key: Uint8Array, id: string, timestamp: number, body: string): string {
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

/**
 * The `webhook-id` of one message to one webhook incarnation: the same for the same
 * (webhook, topic, number), different for any other. A test ping takes no number, so its id is
 * random. Base64url holds no `.`, the separator of the signed content.
 */
export function standardWebhooksMessageId(message?: { webhookId: string; topicName: string; sequenceNumber: number }): string {
  const digest = message
    ? createHash('sha256').update(JSON.stringify([message.webhookId, message.topicName, message.sequenceNumber])).digest()
    : randomBytes(18);
  return `msg_${digest.subarray(0, 18).toString('base64url')}`;
}

/**
 * The POST of one message to one webhook as it reads at delivery time: the body and its
 * signature headers. `momento-signature` always uses the current secret alone; with Standard
 * Webhooks on, `webhook-signature` also carries the previous secret's signature while its grace
 * window lasts (at the time of the POST), new first.
 */
export function signedDelivery(
  webhook: Pick<WebhookRecord, 'postUrl' | 'secret' | 'previousSecret' | 'standardWebhooks'>,
  fields: DeliveryBodyFields,
  messageId: () => string,
): DeliveryRequest {
  const body = deliveryBody(fields);
  const headers: Record<string, string> = { 'momento-signature': signDeliveryBody(body, webhook.secret) };
  if (webhook.standardWebhooks) {
    const id = messageId();
    const timestamp = Math.floor(fields.publishTimestamp / 1000);
    const secrets = [webhook.secret];
    if (webhook.previousSecret && webhook.previousSecret.until > fields.publishTimestamp) secrets.push(webhook.previousSecret.secret);
    headers['webhook-id'] = id;
    headers['webhook-timestamp'] = String(timestamp);
    headers['webhook-signature'] = secrets.map((s) => standardWebhooksSignature(Buffer.from(s, 'utf8'), id, timestamp, body)).join(' ');
  }
  return { url: webhook.postUrl, body, headers };
}
