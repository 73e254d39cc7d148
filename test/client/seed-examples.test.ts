import { afterAll, afterEach, beforeAll, describe, expect, it, vi, type MockInstance } from 'vitest';
import {
  DeleteWebhook,
  GetWebhookSecret,
  ListWebhooks,
  PostUrlWebhookDestination,
  PutWebhook,
  RotateWebhookSecret,
  WebhookClient,
  type WebhookId,
} from '@topic-webhooks/client';
import { startLocal, type LocalService } from './local.ts';

/**
 * The five examples of the original API reference (../shared/seed/webhook-api-reference.ja.txt),
 * each pasted as written between the markers; only the construction of `webhookClient` is ours.
 * They run against local mode in the order a user would run them: put, list, get secret,
 * rotate, delete. Their console output is the assertion.
 */
let service: LocalService;
let webhookClient: WebhookClient;
let log: MockInstance<typeof console.log>;
let error: MockInstance<typeof console.error>;

beforeAll(async () => {
  service = await startLocal();
  // --- construction: the only part that differs from Momento ---
  webhookClient = new WebhookClient({ endpoint: service.url, apiKey: service.apiKey });
});
afterAll(async () => {
  await service?.stop();
});
afterEach(() => {
  vi.restoreAllMocks();
});

function captureConsole() {
  log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
}

describe('the API reference examples, unchanged', () => {
  let secret: string;

  it('Put Webhook', async () => {
    captureConsole();
    // --- seed example: Put Webhook API ---
    const webhookId: WebhookId = {
      cacheName: 'exampleCache',
      webhookName: 'exampleWebhook',
    };

    const result = await webhookClient.putWebhook(webhookId.cacheName, webhookId.webhookName, {
      destination: new PostUrlWebhookDestination('https://example.com/webhook'),
      topicName: 'exampleTopic',
    });
    if (result instanceof PutWebhook.Success) {
      console.log('Webhook created successfully. Secret:', result.secret);
    } else {
      console.error('Error creating webhook:', result.error.message);
    }
    // --- end of seed example ---
    expect(error).not.toHaveBeenCalled();
    expect(log).toHaveBeenCalledTimes(1);
    const [text, logged] = log.mock.calls[0] as [string, string];
    expect(text).toBe('Webhook created successfully. Secret:');
    expect(logged).toMatch(/^[\x21-\x7e]{43,}$/);
    secret = logged;
  });

  it('List Webhook', async () => {
    captureConsole();
    // --- seed example: List Webhook API ---
    const cacheName: string = 'exampleCache';

    const result = await webhookClient.listWebhooks(cacheName);
    if (result instanceof ListWebhooks.Success) {
      console.log('Webhooks retrieved successfully:', result.webhooks);
    } else {
      console.error('Error retrieving webhooks:', result.error.message);
    }
    // --- end of seed example ---
    expect(error).not.toHaveBeenCalled();
    expect(log.mock.calls).toEqual([
      [
        'Webhooks retrieved successfully:',
        [
          {
            id: { cacheName: 'exampleCache', webhookName: 'exampleWebhook' },
            topicName: 'exampleTopic',
            destination: new PostUrlWebhookDestination('https://example.com/webhook'),
          },
        ],
      ],
    ]);
  });

  it('Get Webhook Secret', async () => {
    captureConsole();
    // --- seed example: Get Webhook Secret API ---
    const webhookId: WebhookId = {
      cacheName: 'exampleCache',
      webhookName: 'exampleWebhook',
    };

    const result = await webhookClient.getWebhookSecret(webhookId.cacheName, webhookId.webhookName);
    if (result instanceof GetWebhookSecret.Success) {
      console.log('Webhook secret retrieved successfully:', result.secret);
    } else {
      console.error('Error retrieving webhook secret:', result.error.message);
    }
    // --- end of seed example ---
    expect(error).not.toHaveBeenCalled();
    expect(log.mock.calls).toEqual([['Webhook secret retrieved successfully:', secret]]);
  });

  it('Rotate Webhook Secret', async () => {
    captureConsole();
    // --- seed example: Rotate Webhook Secret API ---
    const webhookId: WebhookId = {
      cacheName: 'exampleCache',
      webhookName: 'exampleWebhook',
    };

    const result = await webhookClient.rotateWebhookSecret(webhookId.cacheName, webhookId.webhookName);
    if (result instanceof RotateWebhookSecret.Success) {
      console.log('Webhook secret rotated successfully:', result.secret);
    } else {
      console.error('Error rotating webhook secret:', result.error.message);
    }
    // --- end of seed example ---
    expect(error).not.toHaveBeenCalled();
    expect(log).toHaveBeenCalledTimes(1);
    const [text, rotated] = log.mock.calls[0] as [string, string];
    expect(text).toBe('Webhook secret rotated successfully:');
    expect(rotated).toMatch(/^[\x21-\x7e]{43,}$/);
    expect(rotated).not.toBe(secret);
  });

  it('Delete Webhook', async () => {
    captureConsole();
    // --- seed example: Delete Webhook API ---
    const webhookId: WebhookId = {
      cacheName: 'exampleCache',
      webhookName: 'exampleWebhook',
    };

    const result = await webhookClient.deleteWebhook(webhookId.cacheName, webhookId.webhookName);
    if (result instanceof DeleteWebhook.Success) {
      console.log('Webhook deleted successfully');
    } else {
      console.error('Error deleting webhook:', result.error.message);
    }
    // --- end of seed example ---
    expect(error).not.toHaveBeenCalled();
    expect(log.mock.calls).toEqual([['Webhook deleted successfully']]);
  });

  it('takes the error branch with a message when the webhook is gone (the same example, run again)', async () => {
    captureConsole();
    const webhookId: WebhookId = {
      cacheName: 'exampleCache',
      webhookName: 'exampleWebhook',
    };

    const result = await webhookClient.deleteWebhook(webhookId.cacheName, webhookId.webhookName);
    if (result instanceof DeleteWebhook.Success) {
      console.log('Webhook deleted successfully');
    } else {
      console.error('Error deleting webhook:', result.error.message);
    }
    expect(log).not.toHaveBeenCalled();
    expect(error.mock.calls).toEqual([['Error deleting webhook:', 'the webhook does not exist']]);
  });
});
