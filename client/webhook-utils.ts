/* eslint-disable @typescript-eslint/no-namespace -- a types-only namespace merged with the `WebhookUtils` value. */
import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The receiver toolkit: checks that a request really comes from the service, the way
 * Momento's `WebhookUtils` did, plus an optional age check. It logs nothing.
 */

/** The outcome of {@link validateWebhookRequest}. The values are Momento's (`'valid'`, `'invalid'`) plus `'expired'`. */
export const RequestValidation = {
  VALID: 'valid',
  INVALID: 'invalid',
  EXPIRED: 'expired',
} as const;
/** One of {@link RequestValidation}. */
export type RequestValidation = (typeof RequestValidation)[keyof typeof RequestValidation];

/** What one delivery POST carries (docs/design.md#delivery-contract), keys in this order. */
export interface WebhookRequestBody {
  cache: string;
  topic: string;
  /** Epoch ms when publish accepted the message. */
  event_timestamp: number;
  /** Epoch ms when this POST was made. */
  publish_timestamp: number;
  /** Per (cache, topic): 1, 2, 3, ... */
  topic_sequence_number: number;
  /** The publishing key's `tokenId`, or `''`. */
  token_id: string;
  /** The published message. */
  text: string;
}

/** Input of {@link validateWebhookRequest}. */
export interface ValidateWebhookRequestProps {
  /**
   * The exact body bytes as received: a string, a Buffer or a Uint8Array. Never a parsed and
   * re-serialised object (`express.json()`): its bytes differ and the signature fails.
   */
  body: string | Uint8Array;
  /** The `momento-signature` header. Absent or repeated headers are INVALID. */
  signature: string | string[] | undefined | null;
  /** The webhook's secret (from `putWebhook` or `getWebhookSecret`). An empty secret never validates. */
  signingSecret: string;
  /**
   * When given, a validly signed body whose `publish_timestamp` is older than `now - maxAgeMs`
   * is EXPIRED, a defence against replays. A signed body without a numeric `publish_timestamp`
   * is then INVALID.
   */
  maxAgeMs?: number;
  /**
   * The time to measure the age against, in epoch ms.
   * @default Date.now()
   */
  now?: number;
}

const HEX_SHA3_256 = /^[0-9a-fA-F]{64}$/;

/**
 * Checks a delivery: the `momento-signature` header must be the lowercase-hex HMAC-SHA3-256 of
 * the exact body bytes keyed with the webhook's secret, compared in constant time. Only then,
 * and only with `maxAgeMs`, is the body parsed for its age. Never throws for bad input.
 */
export function validateWebhookRequest(props: ValidateWebhookRequestProps): RequestValidation {
  const { body, signature, signingSecret, maxAgeMs } = props;
  if (typeof signature !== 'string' || !HEX_SHA3_256.test(signature)) return RequestValidation.INVALID;
  if (typeof signingSecret !== 'string' || signingSecret === '') return RequestValidation.INVALID;
  if (typeof body !== 'string' && !(body instanceof Uint8Array)) return RequestValidation.INVALID;

  const expected = createHmac('sha3-256', signingSecret).update(body).digest();
  // Both are 32 bytes (the regex above fixes the length), as timingSafeEqual requires.
  const presented = Buffer.from(signature, 'hex');
  if (!timingSafeEqual(expected, presented)) return RequestValidation.INVALID;

  if (maxAgeMs === undefined) return RequestValidation.VALID;
  const publishedAt = publishTimestampOf(body);
  if (publishedAt === undefined || !Number.isFinite(maxAgeMs)) return RequestValidation.INVALID;
  const now = props.now ?? Date.now();
  return publishedAt < now - maxAgeMs ? RequestValidation.EXPIRED : RequestValidation.VALID;
}

function publishTimestampOf(body: string | Uint8Array): number | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const value = (parsed as { publish_timestamp?: unknown }).publish_timestamp;
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** The toolkit under the name Momento's SDK exported it: `WebhookUtils.validateWebhookRequest(...)`. */
export const WebhookUtils = { validateWebhookRequest, RequestValidation } as const;
type RequestValidationType = RequestValidation;
type PropsType = ValidateWebhookRequestProps;
type BodyType = WebhookRequestBody;
export declare namespace WebhookUtils {
  type RequestValidation = RequestValidationType;
  type ValidateWebhookRequestProps = PropsType;
  type WebhookRequestBody = BodyType;
}
