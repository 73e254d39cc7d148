/**
 * The console's client of the HTTP API (docs/design.md#http-api). Everything goes to the page's
 * own origin and stage, with the key in `Authorization` (never in a URL), names URL-encoded
 * into paths.
 */

export interface Webhook {
  id: { cacheName: string; webhookName: string };
  topicName: string;
  destination: { postUrl: string };
  standardWebhooks?: boolean;
  rateLimitPerSecond?: number | null;
}

/** The optional settings of a put; a field left out keeps the webhook's current value. */
export interface WebhookSettingsInput {
  standardWebhooks?: boolean;
  rateLimitPerSecond?: number | null;
}

export interface WebhookSecret {
  secret: string;
  webhookName: string;
  cacheName: string;
  standardWebhooksSecret?: string;
}

export interface Delivery {
  topicSequenceNumber: number;
  eventTimestamp: number;
  attemptedAt: number;
  outcome: string;
  statusCode: number | null;
  latencyMs: number;
  test?: true;
}

export interface DeliveryPage {
  deliveries: Delivery[];
  nextCursor: string | null;
}

export interface TestOutcome {
  outcome: string;
  statusCode: number | null;
  latencyMs: number;
}

export type SubscriptionItem =
  | { item: { topic_sequence_number: number; sequence_page: number; value: { text?: string }; token_id: string } }
  | { discontinuity: { last_topic_sequence: number; new_topic_sequence: number; new_sequence_page: number } };

/** An error answer of the service, or a request that got no answer at all (`status` 0). */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The API's base path for a page at `pathname`: the page is `<base>/console`, where `<base>`
 * is empty in local mode and the stage (`/prod`) on API Gateway.
 */
export function apiBaseOf(pathname: string): string {
  return pathname.replace(/\/console\/?$/, '');
}

const segment = encodeURIComponent;

export class ConsoleApi {
  constructor(
    private readonly base: string,
    private readonly apiKey: string,
  ) {}

  listWebhooks(cacheName: string): Promise<{ webhooks: Webhook[] }> {
    return this.call('GET', `/webhooks/${segment(cacheName)}`);
  }

  putWebhook(cacheName: string, webhookName: string, topicName: string, postUrl: string, settings: WebhookSettingsInput): Promise<{ secret: string }> {
    return this.call('PUT', this.webhookPath(cacheName, webhookName), {
      json: { topicName, destination: { postUrl }, ...settings },
    });
  }

  deleteWebhook(cacheName: string, webhookName: string): Promise<void> {
    return this.call('DELETE', this.webhookPath(cacheName, webhookName));
  }

  getSecret(cacheName: string, webhookName: string): Promise<WebhookSecret> {
    return this.call('GET', `${this.webhookPath(cacheName, webhookName)}/secret`);
  }

  /** `graceSeconds` is sent only when given: servers without the setting take no body. */
  rotateSecret(cacheName: string, webhookName: string, graceSeconds?: number): Promise<WebhookSecret> {
    return this.call('POST', `${this.webhookPath(cacheName, webhookName)}/secret/rotate`, {
      json: graceSeconds === undefined ? undefined : { graceSeconds },
    });
  }

  testWebhook(cacheName: string, webhookName: string, text: string): Promise<TestOutcome> {
    return this.call('POST', `${this.webhookPath(cacheName, webhookName)}/test`, { text: text || undefined });
  }

  listDeliveries(cacheName: string, webhookName: string, limit: number, cursor: string | null): Promise<DeliveryPage> {
    const query = new URLSearchParams({ limit: String(limit) });
    if (cursor) query.set('cursor', cursor);
    return this.call('GET', `${this.webhookPath(cacheName, webhookName)}/deliveries?${query}`);
  }

  publish(cacheName: string, topicName: string, text: string): Promise<void> {
    return this.call('POST', this.topicPath(cacheName, topicName), { text });
  }

  /** One long-poll (docs/design.md#topic-subscriptions): 0 means "from the next message published". */
  subscribe(cacheName: string, topicName: string, sequenceNumber: number, signal: AbortSignal): Promise<{ items: SubscriptionItem[] }> {
    return this.call('GET', `${this.topicPath(cacheName, topicName)}?sequence_number=${sequenceNumber}`, { signal });
  }

  private webhookPath(cacheName: string, webhookName: string): string {
    return `/webhooks/${segment(cacheName)}/${segment(webhookName)}`;
  }

  private topicPath(cacheName: string, topicName: string): string {
    return `/topics/${segment(cacheName)}/${segment(topicName)}`;
  }

  private async call<T>(method: string, path: string, options: { json?: unknown; text?: string; signal?: AbortSignal } = {}): Promise<T> {
    const headers: Record<string, string> = { authorization: this.apiKey };
    let body: string | undefined;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    } else if (options.text !== undefined) {
      headers['content-type'] = 'text/plain; charset=utf-8';
      body = options.text;
    }
    let response: Response;
    try {
      response = await fetch(this.base + path, { method, headers, body, signal: options.signal, credentials: 'omit', cache: 'no-store' });
    } catch (error) {
      if (options.signal?.aborted) throw error;
      throw new ApiError(0, 'NETWORK_ERROR', 'the service could not be reached');
    }
    if (response.status === 204) return undefined as T;
    const answer: unknown = await response.json().catch(() => undefined);
    if (!response.ok) throw errorOf(response.status, answer);
    return answer as T;
  }
}

/** The service's `{"error":{"code","message"}}`, or a stand-in when the answer is something else. */
function errorOf(status: number, answer: unknown): ApiError {
  const error = (answer as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  if (error && typeof error.message === 'string') {
    return new ApiError(status, typeof error.code === 'string' ? error.code : 'UNKNOWN', error.message);
  }
  return new ApiError(status, 'UNKNOWN', `the service answered HTTP ${status}`);
}
