/**
 * A webhook receiver for Express (or any framework with Express's request and response
 * shapes). Mount it behind `express.raw`, never `express.json`: the signature covers the exact
 * body bytes, which a parse-and-reserialise round trip does not keep.
 *
 * ```ts
 * import express from 'express';
 * import { momentoWebhookHandler } from './express-style-receiver.ts';
 *
 * const app = express();
 * app.post(
 *   '/webhooks/orders',
 *   express.raw({ type: 'application/json' }),
 *   momentoWebhookHandler({ signingSecret: process.env.WEBHOOK_SIGNING_SECRET!, onMessage: handleOrder }),
 * );
 * ```
 *
 * Express itself is not a dependency of this project: the handler is typed against the few
 * members it uses, which Express's `Request` and `Response` have.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { WebhookUtils, type WebhookRequestBody } from '@topic-webhooks/client';

/** The members of Express's `Request` the handler reads; `body` is a Buffer under `express.raw`. */
export interface RawBodyRequest {
  body: unknown;
  headers: IncomingHttpHeaders;
}

/** The member of Express's `Response` the handler calls. */
export interface StatusResponse {
  sendStatus(code: number): unknown;
}

/** Options of {@link momentoWebhookHandler}. */
export interface HandlerOptions {
  /** The webhook's secret; during a rotation, the new and the old one. */
  signingSecret: string | readonly string[];
  /**
   * Refuse deliveries made longer ago than this.
   * @default 300000 (five minutes)
   */
  maxAgeMs?: number;
  /** Called once per verified delivery; answer within 5 s, so hand long work off. */
  onMessage(message: WebhookRequestBody): void | Promise<void>;
}

/** An Express-style route handler that verifies and hands over deliveries. */
export function momentoWebhookHandler(options: HandlerOptions) {
  const secrets = typeof options.signingSecret === 'string' ? [options.signingSecret] : [...options.signingSecret];
  const maxAgeMs = options.maxAgeMs ?? 5 * 60_000;

  return async function handleMomentoWebhook(req: RawBodyRequest, res: StatusResponse): Promise<void> {
    // express.raw leaves `{}` when the content-type did not match: there are no bytes to verify.
    if (!(req.body instanceof Uint8Array)) {
      res.sendStatus(400);
      return;
    }
    const body = req.body;
    const signature = req.headers['momento-signature'];
    const valid = secrets.some(
      (signingSecret) =>
        WebhookUtils.validateWebhookRequest({ body, signature, signingSecret, maxAgeMs }) ===
        WebhookUtils.RequestValidation.VALID,
    );
    if (!valid) {
      res.sendStatus(401);
      return;
    }
    const message = JSON.parse(Buffer.from(body).toString('utf8')) as WebhookRequestBody;
    try {
      await options.onMessage(message);
      res.sendStatus(204);
    } catch {
      res.sendStatus(500);
    }
  };
}
