import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBClient, paginateScan } from '@aws-sdk/client-dynamodb';
import { EMULATOR_SIGNER } from '#local/emulators.ts';
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

// Runs after the suite's own afterAll: what the suite created is gone from the table.
describe('local mode, after the suite', () => {
  it('leaves no key and no webhook behind', async () => {
    const dynamo = new DynamoDBClient({
      endpoint: service.dynamoEndpoint,
      region: 'local',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      signer: EMULATOR_SIGNER,
    });
    const left: string[] = [];
    for await (const page of paginateScan({ client: dynamo }, { TableName: service.tableName, ProjectionExpression: 'pk, sk' })) {
      for (const item of page.Items ?? []) {
        const pk = item.pk?.S ?? '';
        const sk = item.sk?.S ?? '';
        if (pk.startsWith('APIKEY#') || sk.startsWith('WEBHOOK#')) left.push(`${pk} ${sk}`);
      }
    }
    dynamo.destroy();
    expect(left).toEqual([]);
  });
});
