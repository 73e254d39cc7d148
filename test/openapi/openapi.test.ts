import { describe, expect, expectTypeOf, it } from 'vitest';
import { HTTP_ROUTES } from '#functions/routes.ts';
import { PERMISSIONS } from '#shared/auth/model.ts';
import { OutcomeKind, type Permission } from '@topic-webhooks/client';
import { DOC, deref, openapi, operations, responseSchema, validator, type Operation, type Schema } from './document.ts';

/**
 * The lint of docs/openapi.yaml: it parses, it is OpenAPI 3.1, it documents exactly the routes
 * of functions/routes.ts with their parameters, every reference resolves, every schema compiles
 * in Ajv's strict mode (so the conformance test checks all it says), and each error status
 * carries its §2 code. `npm run lint:openapi` (Redocly) lints it against the OpenAPI rules.
 */

const ERROR_CODE_OF_STATUS: Record<string, string> = {
  '400': 'INVALID_ARGUMENT_ERROR',
  '401': 'AUTHENTICATION_ERROR',
  '403': 'PERMISSION_ERROR',
  '404': 'NOT_FOUND_ERROR',
  '413': 'LIMIT_EXCEEDED_ERROR',
  '429': 'LIMIT_EXCEEDED_ERROR',
  default: 'INTERNAL_SERVER_ERROR',
};

/** Every `$ref` in the document, with where it is. */
function refs(node: unknown, where = '#', out: [string, string][] = []): [string, string][] {
  if (Array.isArray(node)) node.forEach((n, i) => refs(n, `${where}/${i}`, out));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref') out.push([where, v as string]);
      else refs(v, `${where}/${k}`, out);
    }
  }
  return out;
}

const allOperations = operations();

describe('docs/openapi.yaml', () => {
  it('is OpenAPI 3.1 with a title, a version and the API key scheme required by default', () => {
    expect(openapi.openapi).toBe('3.1.0');
    expect(openapi.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    expect(openapi.security).toEqual([{ apiKey: [] }]);
    expect(deref((openapi.components.securitySchemes as Record<string, unknown>).apiKey)).toEqual({
      type: 'apiKey',
      in: 'header',
      name: 'Authorization',
      description: expect.any(String),
    });
  });

  it('documents exactly the routes of functions/routes.ts', () => {
    const documented = allOperations.map(([method, path]) => `${method} ${path}`).sort();
    const served = HTTP_ROUTES.map((r) => `${r.method} ${r.path}`).sort();
    expect(documented).toEqual(served);
  });

  it('gives every operation a unique operationId', () => {
    const ids = allOperations.map(([, , op]) => op.operationId);
    expect(ids.every((id) => typeof id === 'string' && id.length > 0)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it.each(allOperations)('%s %s declares each path parameter once, required', (_method, path, op) => {
    const inTemplate = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
    const declared = [...(openapi.paths[path]?.parameters ?? []), ...(op.parameters ?? [])]
      .map((p) => deref(p))
      .filter((p) => p.in === 'path');
    expect(declared.map((p) => p.name).sort()).toEqual(inTemplate);
    for (const p of declared) expect(p.required).toBe(true);
  });

  it.each(allOperations)('%s %s documents its responses with §2 codes, and a 500 as default', (_method, path, op) => {
    const statuses = Object.keys(op.responses);
    const numeric = statuses.filter((s) => /^\d{3}$/.test(s));
    expect(numeric.length).toBeGreaterThan(0);
    expect(statuses.filter((s) => !/^\d{3}$/.test(s))).toEqual(path === '/health' ? [] : ['default']);
    expect(numeric.filter((s) => Number(s) >= 200 && Number(s) < 300)).toHaveLength(1);
    for (const status of statuses) {
      const response = deref(op.responses[status]);
      expect(typeof response.description).toBe('string');
      const schema = responseSchema(op, status);
      if (status === '204') {
        expect(schema).toBeNull();
        continue;
      }
      expect(schema).not.toBeNull();
      const code = ERROR_CODE_OF_STATUS[status];
      if (code) {
        const sample = { error: { code, message: 'a sentence' } };
        expect(validator.validate(sample, schema as Schema)).toEqual([]);
        // Any other code is refused: the document ties each status to its code.
        const wrong = { error: { code: code === 'NOT_FOUND_ERROR' ? 'PERMISSION_ERROR' : 'NOT_FOUND_ERROR', message: 'x' } };
        expect(validator.validate(wrong, schema as Schema)).not.toEqual([]);
      }
    }
  });

  it('requires the API key on every route but /health and the console, and accepts ?token= on publish and subscribe only', () => {
    const withToken: string[] = [];
    for (const [method, path, op] of allOperations) {
      const security = op.security ?? openapi.security;
      const tokenParameter = (op.parameters ?? []).map((p) => deref(p)).find((p) => p.in === 'query' && p.name === 'token');
      if (path === '/health' || path.startsWith('/console')) expect(security).toEqual([]);
      else if (path === '/topics/{cacheName}/{topicName}') {
        expect(security, `${method} ${path}`).toEqual([{ apiKey: [] }, { tokenQuery: [] }]);
        expect(tokenParameter, `${method} ${path}`).toMatchObject({ required: false, schema: { type: 'string' } });
        withToken.push(method);
      } else {
        expect(security, `${method} ${path}`).toEqual([{ apiKey: [] }]);
        expect(tokenParameter, `${method} ${path}`).toBeUndefined();
      }
    }
    expect(withToken.sort()).toEqual(['GET', 'POST']);
  });

  it('lists exactly the service\'s permissions, as the client\'s Permission type does', () => {
    expect(deref<{ enum: string[] }>({ $ref: '#/components/schemas/Permission' }).enum).toEqual([...PERMISSIONS]);
    expect(PERMISSIONS).toContain('topics:subscribe');
    expectTypeOf<Permission>().toEqualTypeOf<(typeof PERMISSIONS)[number]>();
  });

  it('resolves every reference', () => {
    const all = refs(openapi);
    expect(all.length).toBeGreaterThan(50);
    for (const [, ref] of all) expect(() => validator.resolve(ref), ref).not.toThrow();
  });

  it('has only schemas Ajv compiles in strict mode: no keyword or format it would skip', () => {
    const schemas = openapi.components.schemas as Record<string, Schema>;
    for (const [name, schema] of Object.entries(schemas)) expect(() => validator.compile(schema), name).not.toThrow();
    for (const [, , op] of allOperations) {
      for (const status of Object.keys(op.responses)) {
        const schema = responseSchema(op, status);
        if (schema) validator.compile(schema);
      }
    }
  });

  it('is checked by a validator that refuses keywords and formats it does not check', () => {
    // What makes the test above mean something: OpenAPI 3.0's `nullable` is no keyword in 3.1.
    expect(() => validator.compile({ type: 'object', nullable: true })).toThrow(/unknown keyword/);
    expect(() => validator.compile({ type: 'string', format: 'phone' })).toThrow(/unknown format/);
  });

  it('describes the delivery of §3 as an OpenAPI webhook', () => {
    const delivery = openapi.webhooks?.message?.post as Operation;
    expect(delivery).toBeDefined();
    const body = deref(deref(delivery.requestBody).content as Record<string, unknown>);
    const schema = (body['application/json'] as { schema: Schema }).schema;
    expect(deref<{ required: string[] }>(schema).required).toEqual([
      'cache',
      'topic',
      'event_timestamp',
      'publish_timestamp',
      'topic_sequence_number',
      'token_id',
      'text',
    ]);
    expect((delivery.parameters ?? []).map((p) => [p.name, p.in, p.required])).toEqual([
      ['momento-signature', 'header', true],
      ['webhook-id', 'header', false],
      ['webhook-timestamp', 'header', false],
      ['webhook-signature', 'header', false],
      ['user-agent', 'header', true],
    ]);
  });

  it('has schemas that refuse what the service never sends', () => {
    const schema = (name: string): Schema => ({ $ref: `${DOC}#/components/schemas/${name}` });
    expect(validator.validate({ secret: 'short' }, schema('PutWebhookResponse'))).not.toEqual([]);
    expect(validator.validate({ secret: 'x'.repeat(43), extra: 1 }, schema('PutWebhookResponse'))).not.toEqual([]);
    expect(validator.validate({ webhooks: [{ id: { cacheName: 'c', webhookName: 'w' }, topicName: 't' }] }, schema('ListWebhooksResponse'))).not.toEqual([]);
    expect(validator.validate({ keys: [{ keyId: 'k', permissions: [], caches: [], tokenId: null, expiresAt: null }] }, schema('ListKeysResponse'))).not.toEqual([]);
    expect(validator.validate({ apiKey: 'k', keyId: 'a'.repeat(24), expiresAt: '2030-01-01' }, schema('CreatedKey'))).not.toEqual([]);
    expect(validator.validate('a/b', schema('CacheName'))).not.toEqual([]);
    expect(validator.validate('   ', schema('CacheName'))).not.toEqual([]);
    expect(validator.validate('a\u0085b', schema('CacheName'))).not.toEqual([]);
    expect(validator.validate('😀'.repeat(255), schema('CacheName'))).toEqual([]);
    expect(validator.validate('😀'.repeat(256), schema('CacheName'))).not.toEqual([]);
    expect(validator.validate(' 注文 #?% ', schema('WebhookName'))).toEqual([]);

    const delivery = { topicSequenceNumber: 1, eventTimestamp: 1, attemptedAt: 2, outcome: 'delivered', statusCode: 200, latencyMs: 0 };
    expect(validator.validate(delivery, schema('Delivery'))).toEqual([]);
    expect(validator.validate({ ...delivery, topicSequenceNumber: 0, test: true }, schema('Delivery'))).toEqual([]);
    expect(validator.validate({ ...delivery, outcome: 'timeout', statusCode: null }, schema('Delivery'))).toEqual([]);
    expect(validator.validate({ ...delivery, test: false }, schema('Delivery'))).not.toEqual([]);
    expect(validator.validate({ ...delivery, outcome: 'ok' }, schema('Delivery'))).not.toEqual([]);
    expect(validator.validate({ ...delivery, statusCode: '200' }, schema('Delivery'))).not.toEqual([]);
    expect(validator.validate({ ...delivery, latencyMs: -1 }, schema('Delivery'))).not.toEqual([]);
    for (const leak of ['postUrl', 'url', 'body', 'text', 'secret', 'responseBody']) {
      expect(validator.validate({ ...delivery, [leak]: 'x' }, schema('Delivery')), leak).not.toEqual([]);
    }
    const { statusCode: _omitted, ...withoutStatus } = delivery;
    expect(validator.validate(withoutStatus, schema('Delivery'))).not.toEqual([]);
    expect(validator.validate({ deliveries: [delivery], nextCursor: null }, schema('ListDeliveriesResponse'))).toEqual([]);
    expect(validator.validate({ deliveries: [delivery] }, schema('ListDeliveriesResponse'))).not.toEqual([]);
    expect(validator.validate({ deliveries: [], nextCursor: '' }, schema('ListDeliveriesResponse'))).not.toEqual([]);
    expect(validator.validate({ outcome: 'dns_error', statusCode: null, latencyMs: 3 }, schema('TestWebhookResponse'))).toEqual([]);
    expect(validator.validate({ outcome: 'dns_error', latencyMs: 3 }, schema('TestWebhookResponse'))).not.toEqual([]);
    expect(validator.validate({ outcome: 'delivered', statusCode: 204, latencyMs: 3, test: true }, schema('TestWebhookResponse'))).not.toEqual([]);

    const item = { item: { topic_sequence_number: 3, sequence_page: 0, value: { text: 'hi' }, token_id: '' } };
    const discontinuity = { discontinuity: { last_topic_sequence: 0, new_topic_sequence: 3, new_sequence_page: 0 } };
    expect(validator.validate({ items: [discontinuity, item] }, schema('SubscribeResponse'))).toEqual([]);
    expect(validator.validate({ items: [] }, schema('SubscribeResponse'))).toEqual([]);
    expect(validator.validate({}, schema('SubscribeResponse'))).not.toEqual([]);
    expect(validator.validate({ items: [{ ...item, ...discontinuity }] }, schema('SubscribeResponse'))).not.toEqual([]);
    expect(validator.validate({ item: { ...item.item, sequence_page: 1 } }, schema('SubscriptionItem'))).not.toEqual([]);
    expect(validator.validate({ item: { ...item.item, topic_sequence_number: 0 } }, schema('SubscriptionItem'))).not.toEqual([]);
    expect(validator.validate({ item: { ...item.item, value: 'hi' } }, schema('SubscriptionItem'))).not.toEqual([]);
    expect(validator.validate({ item: { ...item.item, publisher_id: 'x' } }, schema('SubscriptionItem'))).not.toEqual([]);
    const { token_id: _omitted2, ...withoutToken } = item.item;
    expect(validator.validate({ item: withoutToken }, schema('SubscriptionItem'))).not.toEqual([]);
    expect(validator.validate({ discontinuity: { ...discontinuity.discontinuity, new_sequence_page: 2 } }, schema('SubscriptionItem'))).not.toEqual([]);
    expect(validator.validate({ heartbeat: {} }, schema('SubscriptionItem'))).not.toEqual([]);
  });

  it('names the outcome kinds once, in OutcomeKind, as the client does, and refers to it wherever an outcome is', () => {
    const outcomeKind = deref<{ enum: string[] }>({ $ref: '#/components/schemas/OutcomeKind' });
    expect(outcomeKind.enum).toEqual(Object.values(OutcomeKind));
    // No other copy of the list: every enum naming an outcome is OutcomeKind itself.
    const enums: unknown[] = [];
    (function walk(node: unknown): void {
      if (!node || typeof node !== 'object') return;
      if (Array.isArray((node as { enum?: unknown }).enum) && ((node as { enum: unknown[] }).enum).includes('delivered')) enums.push(node);
      Object.values(node).forEach(walk);
    })(openapi);
    expect(enums).toEqual([outcomeKind]);
    const outcomeOf = (name: string) => (deref<{ properties: Record<string, unknown> }>({ $ref: `#/components/schemas/${name}` })).properties.outcome;
    expect(outcomeOf('Delivery')).toEqual({ $ref: '#/components/schemas/OutcomeKind' });
    expect(outcomeOf('TestWebhookResponse')).toEqual({ $ref: '#/components/schemas/OutcomeKind' });
  });
});
