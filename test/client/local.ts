import { startLocalService, type LocalServiceOptions } from '#local/service.ts';
import { KeyClient, TopicClient, type ClientOptions } from '@topic-webhooks/client';

/** Local mode (docs/design.md#local-mode) on 127.0.0.1:0, for tests of the client against the real service. */
export type LocalService = Awaited<ReturnType<typeof startLocalService>>;

/** `options` adds what a test needs beyond configuration (an access log, the TTL sweep's interval). */
export function startLocal(
  env: Record<string, string> = {},
  options: Omit<LocalServiceOptions, 'port' | 'env' | 'quiet'> = {},
): Promise<LocalService> {
  return startLocalService({ ...options, port: 0, env, quiet: true });
}

/** Clients of `service` with `apiKey` (the admin key by default); retries kept quick. */
export function clientsOf(service: LocalService, apiKey = service.apiKey, options: Partial<ClientOptions> = {}) {
  const o: ClientOptions = { endpoint: service.url, apiKey, retry: { baseDelayMs: 1, maxDelayMs: 10 }, ...options };
  return { topics: new TopicClient(o), keys: new KeyClient(o) };
}

/** Resolves with the first value `next` is called with; rejects after `timeoutMs`. */
export function deferred<T>(timeoutMs = 15_000): { promise: Promise<T>; next: (value: T) => void } {
  let next!: (value: T) => void;
  const promise = new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`nothing arrived within ${timeoutMs} ms`)), timeoutMs);
    next = (value) => {
      clearTimeout(timer);
      resolve(value);
    };
  });
  return { promise, next };
}
