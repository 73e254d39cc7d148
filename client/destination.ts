/** The only kind of destination: an HTTP POST to a URL. Named as in Momento's SDK. */
export const WebhookDestinationType = {
  PostUrl: 'post_url',
} as const;
/** One of {@link WebhookDestinationType}. */
export type WebhookDestinationType = (typeof WebhookDestinationType)[keyof typeof WebhookDestinationType];

/**
 * Where a webhook's deliveries are POSTed. Shaped for both readers: the API reference's
 * `destination.postUrl`, and Momento's SDK `destination.url()` / `getType()`. Serialises to
 * the wire form `{"postUrl": "..."}`.
 */
export class PostUrlWebhookDestination {
  /** The absolute URL deliveries are POSTed to. */
  readonly postUrl: string;
  readonly type = WebhookDestinationType.PostUrl;

  constructor(url: string) {
    this.postUrl = url;
  }

  /** The URL, as Momento's SDK exposes it. */
  url(): string {
    return this.postUrl;
  }

  getType(): typeof WebhookDestinationType.PostUrl {
    return this.type;
  }

  toJSON(): { postUrl: string } {
    return { postUrl: this.postUrl };
  }
}

/**
 * What `putWebhook` accepts as a destination: the class, a plain URL string (as Momento's SDK
 * accepts), or the API reference's `{ postUrl }` object.
 */
export type WebhookDestination = PostUrlWebhookDestination | { postUrl: string } | string;

/** The URL of a destination, or undefined when the value is none of the accepted shapes. */
export function postUrlOf(destination: unknown): string | undefined {
  if (typeof destination === 'string') return destination;
  if (destination instanceof PostUrlWebhookDestination) return destination.postUrl;
  if (typeof destination === 'object' && destination !== null) {
    const postUrl = (destination as { postUrl?: unknown }).postUrl;
    if (typeof postUrl === 'string') return postUrl;
  }
  return undefined;
}

/** The unique identifier of a webhook. */
export interface WebhookId {
  cacheName: string;
  webhookName: string;
}

/** The optional settings of a webhook, beyond Momento's (docs/design.md, webhook settings). */
export interface WebhookSettings {
  /** Add the Standard Webhooks headers (`webhook-id`, `webhook-timestamp`, `webhook-signature`) to every POST. Default false. */
  standardWebhooks?: boolean;
  /** At most this many POSTs to the webhook in each second (an integer, 1 to 1000); null for no limit, the default. */
  rateLimitPerSecond?: number | null;
}

/** A webhook as `listWebhooks` returns it; never with its secret. A setting is present when the service reports it. */
export interface Webhook extends WebhookSettings {
  id: WebhookId;
  topicName: string;
  destination: PostUrlWebhookDestination;
}
