import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  AuthenticationError,
  CredentialProvider,
  DeleteWebhookResponse,
  GetWebhookSecret,
  InternalServerError,
  InvalidArgumentError,
  LimitExceededError,
  ListWebhooks,
  MomentoErrorCode,
  NotFoundError,
  PermissionError,
  PutWebhookResponse,
  RotateWebhookSecret,
  SdkError,
  ServerUnavailableError,
  TimeoutError,
  TopicClient,
  TopicConfigurations,
  TopicPublishResponse,
  TopicSubscribe,
  TopicSubscribeResponse,
  UnknownServiceError,
  type ClientOptions,
} from '@topic-webhooks/client';
import { StubServer, closedPortUrl, json } from './stub-server.ts';

/**
 * Momento's construction, discriminants and error classes, and the wire form of the optional
 * webhook settings, against a scripted loopback server (what is sent is the assertion).
 */
const API_KEY = 'whk_test-key-that-must-never-leak';

let stub: StubServer;
beforeAll(async () => {
  stub = await StubServer.start();
});
afterAll(async () => {
  await stub.close();
});
afterEach(() => {
  stub.requests.length = 0;
  stub.handler = (res) => json(res, 200, {});
  vi.unstubAllEnvs();
});

const client = (options: Partial<ClientOptions> = {}) =>
  new TopicClient({ endpoint: stub.url, apiKey: API_KEY, retry: { maxAttempts: 1 }, ...options });
const sentJson = (index = 0) => JSON.parse(stub.requests[index]?.body.toString() || 'null') as unknown;

describe("Momento's construction", () => {
  it('takes the key from CredentialProvider.fromString and the endpoint from endpointOverrides', async () => {
    const topicClient = new TopicClient({
      configuration: TopicConfigurations.Default.latest(),
      credentialProvider: CredentialProvider.fromString({ apiKey: API_KEY, endpointOverrides: { baseEndpoint: stub.url } }),
    });
    await topicClient.publish('c', 't', 'hello');
    expect(stub.requests).toEqual([expect.objectContaining({ method: 'POST', url: '/topics/c/t' })]);
    expect(stub.requests[0]?.headers.authorization).toBe(API_KEY);
  });

  it('takes the key from an environment variable and the endpoint from TOPIC_WEBHOOKS_ENDPOINT when the code names none', async () => {
    vi.stubEnv('MY_KEY', API_KEY);
    vi.stubEnv('TOPIC_WEBHOOKS_ENDPOINT', stub.url);
    for (const credentialProvider of [
      CredentialProvider.fromEnvironmentVariable({ environmentVariableName: 'MY_KEY' }),
      CredentialProvider.fromEnvironmentVariable('MY_KEY'),
    ]) {
      await new TopicClient({ configuration: TopicConfigurations.Default.v1(), credentialProvider }).listWebhooks('c');
    }
    expect(stub.requests.map((r) => [r.url, r.headers.authorization])).toEqual([
      ['/webhooks/c', API_KEY],
      ['/webhooks/c', API_KEY],
    ]);
  });

  it('refuses, with a TypeError that shows no key, what is missing or given twice', () => {
    vi.stubEnv('TOPIC_WEBHOOKS_ENDPOINT', '');
    vi.stubEnv('EMPTY_KEY', '');
    const provider = CredentialProvider.fromString(API_KEY);
    const refusals: [string, () => unknown][] = [
      ['an unset variable', () => CredentialProvider.fromEnvironmentVariable('EMPTY_KEY')],
      ['no endpoint', () => new TopicClient({ credentialProvider: provider })],
      ['a key two ways', () => new TopicClient({ endpoint: stub.url, apiKey: API_KEY, credentialProvider: provider })],
      [
        'an endpoint two ways',
        () => new TopicClient({ endpoint: stub.url, credentialProvider: CredentialProvider.fromString({ apiKey: API_KEY, endpointOverrides: { baseEndpoint: stub.url } }) }),
      ],
      ['no key', () => new TopicClient({ endpoint: stub.url })],
    ];
    for (const [label, construct] of refusals) {
      expect(construct, label).toThrow(TypeError);
      try {
        construct();
      } catch (error) {
        expect((error as Error).message, label).not.toContain(API_KEY);
      }
    }
    expect(() => CredentialProvider.fromEnvironmentVariable('EMPTY_KEY')).toThrow('the environment variable EMPTY_KEY is not set');
    expect(() => new TopicClient({ credentialProvider: provider })).toThrow('no endpoint: give endpoint, or set TOPIC_WEBHOOKS_ENDPOINT');
  });

  it('keeps the key out of what a credential provider shows', () => {
    const provider = CredentialProvider.fromString({ apiKey: API_KEY });
    expect([String(provider), JSON.stringify(provider), JSON.stringify({ ...provider })].join()).not.toContain(API_KEY);
    expect(provider.getAuthToken()).toBe(API_KEY);
  });
});

describe('results and errors, as Momento names them', () => {
  it('gives every result a type from its operation’s enum', async () => {
    stub.handler = (res, i) => (i === 0 ? json(res, 200, { secret: 's' }) : json(res, 404, { error: { code: 'NOT_FOUND_ERROR', message: 'no such webhook' } }));
    const put = await client().putWebhook('c', 'w', { topicName: 't', destination: 'https://example.com/' });
    const deleted = await client().deleteWebhook('c', 'w');
    expect([put.type, deleted.type]).toEqual([PutWebhookResponse.Success, DeleteWebhookResponse.Error]);
    expect(PutWebhookResponse).toEqual({ Success: 'Success', Error: 'Error' });

    stub.handler = (res) => res.writeHead(204).end();
    expect((await client().publish('c', 't', 'x')).type).toBe(TopicPublishResponse.Success);
    expect((await client().subscribe('c', '.', {})).type).toBe(TopicSubscribeResponse.Error);
    const subscription = await client().subscribe('c', 't', {});
    expect(subscription.type).toBe(TopicSubscribeResponse.Subscription);
    if (subscription instanceof TopicSubscribe.Subscription) subscription.unsubscribe();
  });

  it.each([
    [400, 'INVALID_ARGUMENT_ERROR', InvalidArgumentError],
    [401, 'AUTHENTICATION_ERROR', AuthenticationError],
    [403, 'PERMISSION_ERROR', PermissionError],
    [404, 'NOT_FOUND_ERROR', NotFoundError],
    [413, 'LIMIT_EXCEEDED_ERROR', LimitExceededError],
    [500, 'INTERNAL_SERVER_ERROR', InternalServerError],
  ] as const)('answers %i %s with an %O', async (status, code, errorClass) => {
    stub.handler = (res) => json(res, status, { error: { code, message: 'the service says why' } });
    const result = await client().listWebhooks('c');
    if (!(result instanceof ListWebhooks.Error)) throw new Error(`expected an error, got ${String(result)}`);
    const inner = result.innerException();
    expect(inner).toBeInstanceOf(errorClass);
    expect(inner).toBeInstanceOf(SdkError);
    expect([inner.name, inner.errorCode(), result.errorCode(), result.message()]).toEqual([errorClass.name, MomentoErrorCode[code], code, 'the service says why']);
  });

  it('reports the client-side failures with their own classes', async () => {
    const unreachable = await new TopicClient({ endpoint: await closedPortUrl(), apiKey: API_KEY, retry: { maxAttempts: 1 } }).listWebhooks('c');
    stub.handler = () => undefined; // never answers
    const slow = await client({ requestTimeoutMs: 50 }).listWebhooks('c');
    stub.handler = (res) => json(res, 200, { unexpected: true });
    const odd = await client().listWebhooks('c');
    const refused = await client().deleteWebhook('', 'w');
    expect([unreachable, slow, odd, refused].map((r) => (r as ListWebhooks.Error).innerException().constructor)).toEqual([
      ServerUnavailableError,
      TimeoutError,
      UnknownServiceError,
      InvalidArgumentError,
    ]);
  });

  it('exports exactly the codes the service and client produce', () => {
    expect(Object.keys(MomentoErrorCode).sort()).toEqual(
      [
        'AUTHENTICATION_ERROR',
        'INTERNAL_SERVER_ERROR',
        'INVALID_ARGUMENT_ERROR',
        'LIMIT_EXCEEDED_ERROR',
        'NOT_FOUND_ERROR',
        'PERMISSION_ERROR',
        'SERVER_UNAVAILABLE',
        'TIMEOUT_ERROR',
        'UNKNOWN_SERVICE_ERROR',
      ].sort(),
    );
  });
});

describe('the optional webhook settings on the wire', () => {
  const put = (settings: object = {}) => client().putWebhook('c', 'w', { topicName: 't', destination: 'https://example.com/', ...settings });

  it('sends a setting only when the caller gives one, so an update keeps the rest', async () => {
    stub.handler = (res) => json(res, 200, { secret: 's' });
    await put();
    await put({ standardWebhooks: true });
    await put({ rateLimitPerSecond: 5 });
    await put({ standardWebhooks: false, rateLimitPerSecond: null });
    const base = { topicName: 't', destination: { postUrl: 'https://example.com/' } };
    expect([0, 1, 2, 3].map((i) => sentJson(i))).toEqual([
      base,
      { ...base, standardWebhooks: true },
      { ...base, rateLimitPerSecond: 5 },
      { ...base, standardWebhooks: false, rateLimitPerSecond: null },
    ]);
  });

  it('lists the settings a webhook reports, and refuses mistyped ones', async () => {
    const webhook = { id: { cacheName: 'c', webhookName: 'w' }, topicName: 't', destination: { postUrl: 'https://example.com/' } };
    stub.handler = (res) => json(res, 200, { webhooks: [webhook, { ...webhook, standardWebhooks: true, rateLimitPerSecond: 7 }, { ...webhook, rateLimitPerSecond: null }] });
    const listed = await client().listWebhooks('c');
    if (!(listed instanceof ListWebhooks.Success)) throw new Error(String(listed));
    expect(listed.webhooks.map(({ standardWebhooks, rateLimitPerSecond }) => ({ standardWebhooks, rateLimitPerSecond }))).toEqual([
      { standardWebhooks: undefined, rateLimitPerSecond: undefined },
      { standardWebhooks: true, rateLimitPerSecond: 7 },
      { standardWebhooks: undefined, rateLimitPerSecond: null },
    ]);

    stub.handler = (res) => json(res, 200, { webhooks: [{ ...webhook, rateLimitPerSecond: '7' }] });
    expect((await client().listWebhooks('c')).type).toBe('Error');
  });

  it('reads the Standard Webhooks form of the secret, and sends a rotate grace only when given', async () => {
    const secret = { secret: 's', webhookName: 'w', cacheName: 'c' };
    stub.handler = (res, i) => json(res, 200, i === 0 ? secret : { ...secret, standardWebhooksSecret: 'whsec_czE=' });
    const plain = await client().getWebhookSecret('c', 'w');
    const rotated = await client().rotateWebhookSecret('c', 'w', { graceSeconds: 300 });
    expect([(plain as GetWebhookSecret.Success).standardWebhooksSecret, (rotated as RotateWebhookSecret.Success).standardWebhooksSecret]).toEqual([
      undefined,
      'whsec_czE=',
    ]);
    await client().rotateWebhookSecret('c', 'w');
    expect(stub.requests.slice(1).map((r) => [r.url, r.headers['content-type'], r.body.toString()])).toEqual([
      ['/webhooks/c/w/secret/rotate', 'application/json', '{"graceSeconds":300}'],
      ['/webhooks/c/w/secret/rotate', undefined, ''],
    ]);
  });
});
