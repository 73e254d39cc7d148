/**
 * A webhook receiver on Node's own `http` module: read the raw body bytes, verify them against
 * `momento-signature` before parsing anything, answer 2xx fast.
 *
 * Run it:  WEBHOOK_SIGNING_SECRET=... PORT=3000 npx tsx examples/node-http-receiver.ts
 * then register `http://127.0.0.1:3000/` as a webhook in local mode.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import { pathToFileURL } from 'node:url';
import { WebhookUtils, type WebhookRequestBody } from '@topic-webhooks/client';

/** Options of {@link webhookRequestListener}. */
export interface ReceiverOptions {
  /**
   * The webhook's secret. During a rotation give the new and the old one: a request signed
   * with any of them is accepted.
   */
  signingSecret: string | readonly string[];
  /**
   * Refuse deliveries made longer ago than this (replay defence). The service POSTs within
   * moments of publish; allow for clock skew between it and this host.
   * @default 300000 (five minutes)
   */
  maxAgeMs?: number;
  /**
   * Larger bodies are refused unread. The service's largest message is 180 KiB, its body a bit more.
   * @default 1048576
   */
  maxBodyBytes?: number;
  /** Called once per verified delivery. Keep it short: the service waits at most 5 s for the answer. */
  onMessage(message: WebhookRequestBody): void | Promise<void>;
}

/** A `node:http` request listener that verifies and hands over deliveries. */
export function webhookRequestListener(options: ReceiverOptions): RequestListener {
  const secrets = typeof options.signingSecret === 'string' ? [options.signingSecret] : [...options.signingSecret];
  const maxAgeMs = options.maxAgeMs ?? 5 * 60_000;
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;

  return (req, res) => {
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST' }).end();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('error', () => res.destroy());
    req.on('data', (chunk: Buffer) => {
      if (res.headersSent) return;
      size += chunk.length;
      if (size > maxBodyBytes) {
        res.writeHead(413, { connection: 'close' }).end();
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (res.headersSent) return;
      // The signature covers these exact bytes: verify them before any parsing.
      const body = Buffer.concat(chunks);
      const signature = req.headers['momento-signature'];
      const outcomes = secrets.map((signingSecret) =>
        WebhookUtils.validateWebhookRequest({ body, signature, signingSecret, maxAgeMs }),
      );
      if (!outcomes.includes(WebhookUtils.RequestValidation.VALID)) {
        // Expired or forged: 401 either way, with no detail for the sender.
        res.writeHead(401).end();
        return;
      }
      const message = JSON.parse(body.toString('utf8')) as WebhookRequestBody;
      Promise.resolve()
        .then(() => options.onMessage(message))
        .then(
          () => res.writeHead(204).end(),
          () => res.writeHead(500).end(),
        );
    });
  };
}

/** Starts the receiver; `port` 0 picks a free one. */
export async function startReceiver(options: ReceiverOptions & { port?: number; host?: string }): Promise<Server> {
  const server = createServer(webhookRequestListener(options));
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  return server;
}

// Run directly: a receiver that prints each message (never the secret).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const signingSecret = process.env.WEBHOOK_SIGNING_SECRET;
  if (!signingSecret) {
    console.error('set WEBHOOK_SIGNING_SECRET to the secret putWebhook returned');
    process.exit(1);
  }
  const server = await startReceiver({
    signingSecret,
    port: Number(process.env.PORT ?? 3000),
    host: process.env.HOST ?? '127.0.0.1',
    onMessage: (m) => console.log(`${m.cache}/${m.topic} #${m.topic_sequence_number}: ${m.text}`),
  });
  console.log('receiving on', server.address());
}
