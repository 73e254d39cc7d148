import { createHmac } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateKey,
  PutWebhook,
  RequestValidation,
  RotateWebhookSecret,
  TopicPublish,
  WebhookUtils,
  type WebhookRequestBody,
} from '@topic-webhooks/client';
import { TestReceiver } from '../helpers/receiver.ts';
import { startReceiver } from '../../examples/node-http-receiver.ts';
import { momentoWebhookHandler } from '../../examples/express-style-receiver.ts';
import { clientsOf, deferred, startLocal, type LocalService } from './local.ts';

/**
 * The receiver toolkit and the example receivers against real deliveries from local mode:
 * a webhook on 127.0.0.1:0, a publish, and the signed POST that arrives.
 */
let service: LocalService;
let admin: ReturnType<typeof clientsOf>;
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  service = await startLocal();
  admin = clientsOf(service);
});
afterEach(async () => {
  while (closers.length) await closers.pop()?.();
});
afterAll(async () => {
  await service?.stop();
});

async function put(cacheName: string, webhookName: string, topicName: string, url: string): Promise<string> {
  const result = await admin.topics.putWebhook(cacheName, webhookName, { topicName, destination: url });
  if (!(result instanceof PutWebhook.Success)) throw new Error(`putWebhook failed: ${String(result)}`);
  return result.secret;
}

async function publish(cacheName: string, topicName: string, text: string, client = admin): Promise<void> {
  const result = await client.topics.publish(cacheName, topicName, text);
  if (!(result instanceof TopicPublish.Success)) throw new Error(`publish failed: ${String(result)}`);
}

const sign = (body: string, secret: string) => createHmac('sha3-256', secret).update(body).digest('hex');

const closeServer = (server: Server) => async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
};

describe('WebhookUtils on real deliveries', () => {
  it('validates the exact bytes local mode POSTs, and nothing tampered', async () => {
    const receiver = await TestReceiver.start();
    closers.push(() => receiver.close());
    const secret = await put('shop', 'raw', 'orders', receiver.url());
    await publish('shop', 'orders', 'order #1 ✓ {"qty":2}');
    const [delivery] = await receiver.waitFor(1);
    if (!delivery) throw new Error('no delivery');
    const signature = delivery.headers['momento-signature'];
    const text = delivery.body.toString('utf8');

    expect(WebhookUtils.validateWebhookRequest({ body: delivery.body, signature, signingSecret: secret })).toBe(RequestValidation.VALID);
    expect(WebhookUtils.validateWebhookRequest({ body: text, signature, signingSecret: secret })).toBe(RequestValidation.VALID);
    expect(WebhookUtils.validateWebhookRequest({ body: new Uint8Array(delivery.body), signature, signingSecret: secret })).toBe(
      RequestValidation.VALID,
    );

    const body = JSON.parse(text) as WebhookRequestBody;
    expect(Object.keys(body)).toEqual(['cache', 'topic', 'event_timestamp', 'publish_timestamp', 'topic_sequence_number', 'token_id', 'text']);
    expect(body).toMatchObject({ cache: 'shop', topic: 'orders', topic_sequence_number: 1, token_id: '', text: 'order #1 ✓ {"qty":2}' });

    // The age check against the delivery's own timestamp.
    const at = body.publish_timestamp;
    const aged = (now: number) => WebhookUtils.validateWebhookRequest({ body: text, signature, signingSecret: secret, maxAgeMs: 60_000, now });
    expect(aged(at + 60_000)).toBe(RequestValidation.VALID);
    expect(aged(at + 60_001)).toBe(RequestValidation.EXPIRED);

    // Tampered copies of the real delivery.
    const tampered = text.replace('order #1', 'order #2');
    expect(WebhookUtils.validateWebhookRequest({ body: tampered, signature, signingSecret: secret })).toBe(RequestValidation.INVALID);
    const otherSignature = String(signature).replace(/^./, (c) => (c === '0' ? '1' : '0'));
    expect(WebhookUtils.validateWebhookRequest({ body: text, signature: otherSignature, signingSecret: secret })).toBe(RequestValidation.INVALID);
    expect(WebhookUtils.validateWebhookRequest({ body: text, signature, signingSecret: `${secret}x` })).toBe(RequestValidation.INVALID);
  });

  it('validates with the new secret only, once a rotation has returned', async () => {
    const receiver = await TestReceiver.start();
    closers.push(() => receiver.close());
    const oldSecret = await put('shop', 'rotating', 'rotations', receiver.url());
    const rotated = await admin.topics.rotateWebhookSecret('shop', 'rotating');
    if (!(rotated instanceof RotateWebhookSecret.Success)) throw new Error(String(rotated));
    await publish('shop', 'rotations', 'after rotation');
    const [delivery] = await receiver.waitFor(1);
    const signature = delivery?.headers['momento-signature'];
    const body = delivery?.body ?? Buffer.alloc(0);
    expect(WebhookUtils.validateWebhookRequest({ body, signature, signingSecret: rotated.secret })).toBe(RequestValidation.VALID);
    expect(WebhookUtils.validateWebhookRequest({ body, signature, signingSecret: oldSecret })).toBe(RequestValidation.INVALID);
  });

  it('carries the publishing key’s tokenId as token_id, under the same signature scheme', async () => {
    const receiver = await TestReceiver.start();
    closers.push(() => receiver.close());
    const secret = await put('shop', 'tokens', 'tokened', receiver.url());
    const created = await admin.keys.createKey({ permissions: ['topics:publish'], caches: ['shop'], tokenId: 'svc-7' });
    if (!(created instanceof CreateKey.Success)) throw new Error(String(created));
    await publish('shop', 'tokened', 'from svc-7', clientsOf(service, created.apiKey));
    const [delivery] = await receiver.waitFor(1);
    const body = delivery?.body ?? Buffer.alloc(0);
    expect(JSON.parse(body.toString()).token_id).toBe('svc-7');
    expect(WebhookUtils.validateWebhookRequest({ body, signature: delivery?.headers['momento-signature'], signingSecret: secret })).toBe(
      RequestValidation.VALID,
    );
  });
});

describe('examples/node-http-receiver.ts', () => {
  it('hands over a real delivery, and refuses forged, expired and non-POST requests', async () => {
    // Put first for the secret (a placeholder URL), then point the webhook at the receiver: a put keeps the secret.
    const secret = await put('shop', 'node-http', 'node', 'http://127.0.0.1:9/placeholder');
    const received: WebhookRequestBody[] = [];
    const first = deferred<WebhookRequestBody>();
    const server = await startReceiver({
      signingSecret: secret,
      onMessage: (m) => {
        received.push(m);
        first.next(m);
      },
    });
    closers.push(closeServer(server));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    expect(await put('shop', 'node-http', 'node', url)).toBe(secret);

    await publish('shop', 'node', 'hello node');
    const message = await first.promise;
    expect(message).toMatchObject({ cache: 'shop', topic: 'node', text: 'hello node', token_id: '', topic_sequence_number: 1 });

    const forged = JSON.stringify({ ...message, text: 'forged' });
    const expired = JSON.stringify({ ...message, publish_timestamp: Date.now() - 3_600_000 });
    const post = (body: string, signature: string) =>
      fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', 'momento-signature': signature } });
    expect((await post(forged, sign(forged, 'not the secret'))).status).toBe(401);
    expect((await post(forged, sign(JSON.stringify(message), secret))).status).toBe(401);
    expect((await post(expired, sign(expired, secret))).status).toBe(401);
    expect((await fetch(url)).status).toBe(405);
    const fresh = JSON.stringify({ ...message, text: 'signed by a test', publish_timestamp: Date.now() });
    expect((await post(fresh, sign(fresh, secret))).status).toBe(204);
    expect(received.map((m) => m.text)).toEqual(['hello node', 'signed by a test']);
  });

  it('accepts the old and the new secret during a rotation', async () => {
    const oldSecret = await put('shop', 'node-rotate', 'node-rotate', 'http://127.0.0.1:9/placeholder');
    const rotated = await admin.topics.rotateWebhookSecret('shop', 'node-rotate');
    if (!(rotated instanceof RotateWebhookSecret.Success)) throw new Error(String(rotated));
    const arrived = deferred<WebhookRequestBody>();
    const server = await startReceiver({ signingSecret: [rotated.secret, oldSecret], onMessage: arrived.next });
    closers.push(closeServer(server));
    await put('shop', 'node-rotate', 'node-rotate', `http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    await publish('shop', 'node-rotate', 'rotated');
    expect((await arrived.promise).text).toBe('rotated');
  });
});

describe('examples/express-style-receiver.ts', () => {
  /**
   * What Express does around the handler, minimally: `express.raw({ type: 'application/json' })`
   * puts the body in a Buffer when the content-type matches and leaves `{}` otherwise, and the
   * response has `sendStatus`.
   */
  async function expressLikeServer(handler: ReturnType<typeof momentoWebhookHandler>): Promise<string> {
    const receiver = await TestReceiver.start({
      respond: (received, res) => {
        const raw = /^application\/json\b/i.test(received.headers['content-type'] ?? '');
        const request = { body: raw ? received.body : {}, headers: received.headers };
        const response = { sendStatus: (code: number) => res.writeHead(code).end() };
        void handler(request, response);
      },
    });
    closers.push(() => receiver.close());
    return receiver.url('/webhooks/orders');
  }

  it('hands over a real delivery, and refuses bad signatures and bodies express.raw did not read', async () => {
    const secret = await put('shop', 'express', 'express', 'http://127.0.0.1:9/placeholder');
    const received: WebhookRequestBody[] = [];
    const first = deferred<WebhookRequestBody>();
    const url = await expressLikeServer(
      momentoWebhookHandler({
        signingSecret: secret,
        onMessage: (m) => {
          received.push(m);
          first.next(m);
        },
      }),
    );
    await put('shop', 'express', 'express', url);

    await publish('shop', 'express', 'hello express');
    expect(await first.promise).toMatchObject({ cache: 'shop', topic: 'express', text: 'hello express' });

    const body = JSON.stringify({ cache: 'shop', topic: 'express', text: 'signed by a test', publish_timestamp: Date.now() });
    const post = (contentType: string, signature: string) =>
      fetch(url, { method: 'POST', body, headers: { 'content-type': contentType, 'momento-signature': signature } });
    expect((await post('application/json', sign(body, 'wrong'))).status).toBe(401);
    expect((await post('text/plain', sign(body, secret))).status).toBe(400);
    expect((await post('application/json', sign(body, secret))).status).toBe(204);
    expect(received.map((m) => m.text)).toEqual(['hello express', 'signed by a test']);
  });

  it('answers 500 when the message handler fails', async () => {
    const secret = 'a-test-secret';
    const url = await expressLikeServer(
      momentoWebhookHandler({
        signingSecret: secret,
        onMessage: () => {
          throw new Error('downstream unavailable');
        },
      }),
    );
    const body = JSON.stringify({ text: 'x', publish_timestamp: Date.now() });
    const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', 'momento-signature': sign(body, secret) } });
    expect(res.status).toBe(500);
  });
});
