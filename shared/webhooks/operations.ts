import { randomUUID } from 'node:crypto';
import { LimitExceededError, NotFoundError } from '../errors.ts';
import { validatePostUrl } from '../destination.ts';
import { generateWebhookSecret } from '../secrets.ts';
import { parseInput, putWebhookBodySchema, rotateSecretBodySchema } from '../validation.ts';
import { standardWebhooksSecret } from '../delivery/signature.ts';
import type { DestinationPolicy } from '../destination.ts';
import { DEFAULT_WEBHOOK_SETTINGS } from './model.ts';
import type { Webhook, WebhookIdentity, WebhookRecord, WebhookRepository, WebhookSecret, WebhookSummary } from './model.ts';

interface Deps {
  webhooks: WebhookRepository;
  config: { maxWebhooksPerCache: number };
  destinationPolicy: DestinationPolicy;
  now: () => number;
}

/**
 * Creates or updates a webhook. An existing webhook keeps its secret and every setting the
 * body leaves out; a new one gets a fresh secret and the default settings, within the
 * per-cache limit. `body` is the parsed JSON request body.
 */
export async function putWebhook(deps: Deps, id: WebhookIdentity, body: unknown): Promise<{ secret: string }> {
  const input = parseInput(putWebhookBodySchema, body);
  const postUrl = validatePostUrl(input.destination.postUrl, deps.destinationPolicy);
  const change = {
    topicName: input.topicName,
    postUrl,
    now: deps.now(),
    ...(input.standardWebhooks === undefined ? {} : { standardWebhooks: input.standardWebhooks }),
    ...(input.rateLimitPerSecond === undefined ? {} : { rateLimitPerSecond: input.rateLimitPerSecond }),
  };

  // Update first: the common case for an existing webhook is one conditional write.
  // If a concurrent put creates it between our two attempts, the loop updates it instead.
  for (;;) {
    const updated = await deps.webhooks.updateExisting(id, change);
    if (updated) return { secret: updated.secret };

    const record: WebhookRecord = {
      ...id,
      webhookId: randomUUID(),
      topicName: input.topicName,
      postUrl,
      secret: generateWebhookSecret(),
      standardWebhooks: change.standardWebhooks ?? DEFAULT_WEBHOOK_SETTINGS.standardWebhooks,
      rateLimitPerSecond: change.rateLimitPerSecond ?? DEFAULT_WEBHOOK_SETTINGS.rateLimitPerSecond,
      createdAt: change.now,
      updatedAt: change.now,
    };
    const created = await deps.webhooks.create(record, { maxWebhooksPerCache: deps.config.maxWebhooksPerCache, now: change.now });
    if (created.created) return { secret: record.secret };
    if (created.reason === 'limit') {
      throw new LimitExceededError(
        `the cache already has ${created.count} webhooks, the limit is ${deps.config.maxWebhooksPerCache}`,
      );
    }
  }
}

export async function listWebhooks(deps: Pick<Deps, 'webhooks'>, cacheName: string): Promise<{ webhooks: Webhook[] }> {
  const records = await deps.webhooks.listByCache(cacheName);
  return { webhooks: records.map(toWebhook) };
}

export async function deleteWebhook(deps: Pick<Deps, 'webhooks' | 'now'>, id: WebhookIdentity): Promise<void> {
  if (!(await deps.webhooks.delete(id, deps.now()))) throw notFound(id);
}

export async function getWebhookSecret(deps: Pick<Deps, 'webhooks'>, id: WebhookIdentity): Promise<WebhookSecret> {
  const record = await deps.webhooks.get(id);
  if (!record) throw notFound(id);
  return toWebhookSecret(record);
}

/**
 * Replaces the secret at once for `momento-signature` (Momento's rule). With `graceSeconds`
 * in the body, the Standard Webhooks header also carries the replaced secret's signature for
 * that long. `body` is the parsed JSON request body (an empty one is `{}`).
 */
export async function rotateWebhookSecret(
  deps: Pick<Deps, 'webhooks' | 'now'>,
  id: WebhookIdentity,
  body: unknown,
): Promise<WebhookSecret> {
  const { graceSeconds = 0 } = parseInput(rotateSecretBodySchema, body);
  const now = deps.now();
  const record = await deps.webhooks.replaceSecret(id, {
    secret: generateWebhookSecret(),
    now,
    previousUntil: now + graceSeconds * 1000,
  });
  if (!record) throw notFound(id);
  return toWebhookSecret(record);
}

function toWebhookSecret(record: WebhookRecord): WebhookSecret {
  return {
    secret: record.secret,
    webhookName: record.webhookName,
    cacheName: record.cacheName,
    ...(record.standardWebhooks ? { standardWebhooksSecret: standardWebhooksSecret(record.secret) } : {}),
  };
}

/** Settings at their defaults are left out, so a Momento client sees exactly Momento's shape. */
function toWebhook(record: WebhookSummary): Webhook {
  return {
    id: { cacheName: record.cacheName, webhookName: record.webhookName },
    topicName: record.topicName,
    destination: { postUrl: record.postUrl },
    ...(record.standardWebhooks ? { standardWebhooks: true } : {}),
    ...(record.rateLimitPerSecond === null ? {} : { rateLimitPerSecond: record.rateLimitPerSecond }),
  };
}

const notFound = (_id: WebhookIdentity) => new NotFoundError('the webhook does not exist');
