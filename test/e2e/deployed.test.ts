import { readFileSync } from 'node:fs';
import { describe } from 'vitest';
import { defineApiSuite, type E2eTarget } from './api.suite.ts';

/**
 * The same black-box suite against a deployed stack (`npm run test:e2e`), chosen by environment:
 *   E2E_BASE_URL   the API's base URL (AWS: the ApiUrl output), or
 *   E2E_OUTPUTS_FILE  a `cdk deploy --outputs-file` JSON; with E2E_TARGET=localstack the URL is
 *                  built from RestApiId and StageName (LocalStack's execute-api path);
 *   E2E_API_KEY    an admin key (`npm run keys -- create`);
 *   E2E_WEBHOOK_LIMIT, E2E_MAX_MESSAGE_BYTES  the deployment's limits (defaults 100, 131072).
 */
function deployedTarget(): E2eTarget {
  const apiKey = process.env.E2E_API_KEY;
  if (!apiKey) throw new Error('E2E_API_KEY is required (an admin key from `npm run keys -- create`)');
  let baseUrl = process.env.E2E_BASE_URL;
  if (!baseUrl) {
    const file = process.env.E2E_OUTPUTS_FILE ?? 'cdk-outputs.json';
    const outputs = Object.values(JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, string>>)[0] ?? {};
    if (process.env.E2E_TARGET === 'localstack') {
      const endpoint = process.env.AWS_ENDPOINT_URL ?? 'http://localhost:4566';
      baseUrl = `${endpoint}/_aws/execute-api/${outputs.RestApiId}/${outputs.StageName}`;
    } else {
      baseUrl = outputs.ApiUrl;
    }
  }
  if (!baseUrl) throw new Error('no API URL: set E2E_BASE_URL or E2E_OUTPUTS_FILE');
  return {
    baseUrl,
    adminKey: apiKey,
    webhookLimit: Number(process.env.E2E_WEBHOOK_LIMIT ?? 100),
    maxMessageBytes: Number(process.env.E2E_MAX_MESSAGE_BYTES ?? 131072),
    gatewayResponseBodies: process.env.E2E_TARGET !== 'localstack',
  };
}

describe('deployed stack', () => {
  defineApiSuite(deployedTarget);
});
