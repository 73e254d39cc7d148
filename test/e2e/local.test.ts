import { afterAll, beforeAll, describe } from 'vitest';
import { startLocalService } from '#local/service.ts';
import { defineApiSuite, type E2eTarget } from './api.suite.ts';

/** The black-box suite of §2 against local mode, started by the test over real HTTP. */
const WEBHOOK_LIMIT = 5;
const MAX_MESSAGE_BYTES = 4096;

let service: Awaited<ReturnType<typeof startLocalService>>;
let target: E2eTarget;

beforeAll(async () => {
  service = await startLocalService({
    port: 0,
    quiet: true,
    env: { MAX_WEBHOOKS_PER_CACHE: String(WEBHOOK_LIMIT), MAX_MESSAGE_BYTES: String(MAX_MESSAGE_BYTES) },
  });
  target = { baseUrl: service.url, adminKey: service.apiKey, webhookLimit: WEBHOOK_LIMIT, maxMessageBytes: MAX_MESSAGE_BYTES };
});

afterAll(async () => {
  await service?.stop();
});

describe('local mode', () => {
  defineApiSuite(() => target);
});
