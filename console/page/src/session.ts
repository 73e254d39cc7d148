/**
 * The signed-in cache: its key and the client package's `TopicClient` (client/clients.ts, the
 * same code a Node program uses: path encoding, error mapping, retries, the subscription loop).
 * Only the client's browser-safe modules are imported here; client/index.ts also exports the
 * receiver toolkit, which needs `node:crypto`.
 */
import { TopicClient } from '../../../client/clients.ts';
import type { SdkError } from '../../../client/errors.ts';

/** Where the cache and key live: this tab's session storage only (never a URL, a cookie or localStorage). */
const STORAGE_KEY = 'topic-webhooks-console';

export interface Credentials {
  cacheName: string;
  apiKey: string;
}

/** A result of the client: a `Success` (or a running subscription), or an `Error` carrying its `SdkError`. */
interface ClientResult {
  type: string;
}
type Succeeded<R> = Exclude<R, { type: 'Error' }>;

/** Thrown by {@link Session.call} for an answer that arrives after its session ended: it is dropped, not shown. */
export class SessionEnded extends Error {
  override readonly name = 'SessionEnded';
}

/**
 * The API's base path for a page at `pathname`: the page is `<base>/console`, where `<base>`
 * is empty in local mode and the stage (`/prod`) on API Gateway.
 */
export function apiBaseOf(pathname: string): string {
  return pathname.replace(/\/console\/?$/, '');
}

/** The cache and key kept in this tab by an earlier sign-in, if any. */
export function storedCredentials(): Credentials | null {
  try {
    const stored = JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? 'null') as Partial<Credentials> | null;
    return stored && typeof stored.cacheName === 'string' && typeof stored.apiKey === 'string'
      ? { cacheName: stored.cacheName, apiKey: stored.apiKey }
      : null;
  } catch {
    return null;
  }
}

export class Session {
  readonly cacheName: string;
  readonly client: TopicClient;
  #ended = false;

  /** Throws a `TypeError` (the client's) for a key it refuses before sending, such as a blank one. */
  constructor(readonly credentials: Credentials) {
    this.cacheName = credentials.cacheName;
    this.client = new TopicClient({ endpoint: location.origin + apiBaseOf(location.pathname), apiKey: credentials.apiKey });
  }

  save(): void {
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify(this.credentials));
  }

  /** Forgets the key; answers still on their way are dropped by {@link call}. */
  end(): void {
    this.#ended = true;
    sessionStorage.removeItem(STORAGE_KEY);
  }

  /**
   * The success of a client call, or its error thrown for the page to show. An answer that
   * arrives after sign-out throws {@link SessionEnded}, so nothing of this cache shows after
   * signing in to another.
   */
  async call<R extends ClientResult>(request: Promise<R>): Promise<Succeeded<R>> {
    const result = await request;
    if (this.#ended) throw new SessionEnded('signed out while the call was answered');
    if (result.type === 'Error') throw (result as unknown as { innerException(): SdkError }).innerException();
    return result as Succeeded<R>;
  }
}
