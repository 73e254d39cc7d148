import { createHmac, timingSafeEqual } from 'node:crypto';
import * as z from 'zod/mini';
import { InvalidArgumentError, NotFoundError } from '../errors.ts';
import { parseInput } from '../validation.ts';
import type { WebhookIdentity, WebhookRepository } from '../webhooks/model.ts';
import type { Attempt, DeliveryLedger } from './model.ts';

/**
 * The delivery history of a webhook: its attempts, newest first, in pages. The cursor is
 * opaque to clients: the position reached, signed with the webhook's incarnation id (never
 * shown to clients), so an edited cursor, or one of another or a re-created webhook, is a 400.
 * See docs/design.md#delivery-history.
 */

/** One attempt as the history route shows it. */
export interface Delivery {
  topicSequenceNumber: number;
  eventTimestamp: number;
  attemptedAt: number;
  outcome: Attempt['outcome'];
  statusCode: number | null;
  latencyMs: number;
  test?: true;
}

export interface DeliveryPage {
  deliveries: Delivery[];
  nextCursor: string | null;
}

export const HISTORY_LIMITS = { default: 20, max: 100 } as const;

const LIMIT_MESSAGE = `limit must be an integer from 1 to ${HISTORY_LIMITS.max}`;
const limitSchema = z.pipe(
  z.string().check(z.regex(/^[1-9][0-9]{0,2}$/, { message: LIMIT_MESSAGE })),
  z.pipe(z.transform(Number), z.number().check(z.lte(HISTORY_LIMITS.max, { message: LIMIT_MESSAGE }))),
);

/** Where a page starts: an item of the ledger (its position) and how many of its attempts were shown already. */
const cursorSchema = z.object({ p: z.string().check(z.minLength(1), z.maxLength(200)), s: z.int().check(z.gte(0), z.lte(10_000)) });
type Cursor = z.infer<typeof cursorSchema>;

const sign = (payload: string, key: string) => createHmac('sha256', key).update(payload).digest('base64url');

export function encodeCursor(cursor: Cursor, key: string): string {
  const payload = Buffer.from(JSON.stringify(cursor)).toString('base64url');
  return `${payload}.${sign(payload, key)}`;
}

export function decodeCursor(text: string, key: string): Cursor {
  const invalid = new InvalidArgumentError('cursor is not a cursor this webhook issued');
  const [payload, mac, ...rest] = text.split('.');
  if (!payload || !mac || rest.length > 0 || text.length > 1000) throw invalid;
  const expected = Buffer.from(sign(payload, key));
  const given = Buffer.from(mac);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw invalid;
  try {
    return cursorSchema.parse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
  } catch {
    throw invalid;
  }
}

export interface HistoryQuery {
  limit?: string | undefined;
  cursor?: string | undefined;
}

interface Deps {
  webhooks: Pick<WebhookRepository, 'get'>;
  deliveries: Pick<DeliveryLedger, 'readHistory'>;
}

/** A page of the webhook's history; 404 for an unknown webhook, 400 for a bad limit or cursor. */
export async function listDeliveries(deps: Deps, id: WebhookIdentity, query: HistoryQuery): Promise<DeliveryPage> {
  const limit = query.limit === undefined ? HISTORY_LIMITS.default : parseInput(limitSchema, query.limit, 'limit');
  const webhook = await deps.webhooks.get(id);
  if (!webhook) throw new NotFoundError('the webhook does not exist');
  const from = query.cursor === undefined ? undefined : decodeCursor(query.cursor, webhook.webhookId);

  const deliveries: Delivery[] = [];
  for await (const item of deps.deliveries.readHistory(webhook.webhookId, from?.p)) {
    // Attempts of one item, newest first; skip those the previous page showed.
    const skip = from && item.position === from.p ? from.s : 0;
    const attempts = [...item.attempts].sort((a, b) => b.attemptedAt - a.attemptedAt);
    for (let i = skip; i < attempts.length; i++) {
      if (deliveries.length === limit) {
        return { deliveries, nextCursor: encodeCursor({ p: item.position, s: i }, webhook.webhookId) };
      }
      deliveries.push(toDelivery(attempts[i]!));
    }
  }
  return { deliveries, nextCursor: null };
}

function toDelivery(a: Attempt): Delivery {
  return {
    topicSequenceNumber: a.sequenceNumber,
    eventTimestamp: a.eventTimestamp,
    attemptedAt: a.attemptedAt,
    outcome: a.outcome,
    statusCode: a.statusCode,
    latencyMs: a.latencyMs,
    ...(a.test ? { test: true as const } : {}),
  };
}
