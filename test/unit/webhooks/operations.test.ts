import { describe, expect, it } from 'vitest';
import { deleteWebhook, getWebhookSecret, listWebhooks, putWebhook, rotateWebhookSecret } from '#shared/webhooks/operations.ts';
import { InvalidArgumentError, LimitExceededError, NotFoundError } from '#shared/errors.ts';
import { FakeWebhooks, fakeClock } from '../../helpers/fakes.ts';

function setup(maxWebhooksPerCache = 3) {
  const clock = fakeClock();
  const webhooks = new FakeWebhooks();
  const deps = {
    webhooks,
    config: { maxWebhooksPerCache },
    destinationPolicy: { allowLoopbackHttp: false, allowlist: [] },
    now: clock.now,
  };
  return { clock, webhooks, deps };
}

const id = (webhookName: string, cacheName = 'c') => ({ cacheName, webhookName });
const body = (topicName: string, postUrl = 'https://example.com/hook') => ({ topicName, destination: { postUrl } });

describe('putWebhook', () => {
  it('creates with a fresh 256-bit secret, and an update keeps it while changing topic and URL', async () => {
    const { deps, webhooks } = setup();
    const { secret } = await putWebhook(deps, id('w'), body('t'));
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const again = await putWebhook(deps, id('w'), body('u', 'https://example.org/other'));
    expect(again.secret).toBe(secret);
    expect(await webhooks.get(id('w'))).toMatchObject({ topicName: 'u', postUrl: 'https://example.org/other', secret });
  });

  it('gives every incarnation its own id', async () => {
    const { deps, webhooks } = setup();
    await putWebhook(deps, id('w'), body('t'));
    const first = (await webhooks.get(id('w')))!.webhookId;
    await deleteWebhook(deps, id('w'));
    await putWebhook(deps, id('w'), body('t'));
    expect((await webhooks.get(id('w')))!.webhookId).not.toBe(first);
  });

  it('answers 429 past the per-cache limit, while other caches and updates still work', async () => {
    const { deps } = setup(2);
    await putWebhook(deps, id('a'), body('t'));
    await putWebhook(deps, id('b'), body('t'));
    await expect(putWebhook(deps, id('c'), body('t'))).rejects.toThrow(
      new LimitExceededError('the cache already has 2 webhooks, the limit is 2'),
    );
    await expect(putWebhook(deps, id('a'), body('u'))).resolves.toMatchObject({ secret: expect.any(String) });
    await expect(putWebhook(deps, id('a', 'other'), body('t'))).resolves.toMatchObject({ secret: expect.any(String) });
  });

  it('updates a webhook created by a concurrent put between its update and its create', async () => {
    const { deps, webhooks } = setup();
    let raced = false;
    const original = webhooks.updateExisting.bind(webhooks);
    webhooks.updateExisting = async (...args) => {
      const result = await original(...args);
      if (!raced) {
        raced = true;
        await webhooks.create({ ...id('w'), webhookId: 'other', topicName: 'x', postUrl: 'https://e.com/', secret: 'theirs', standardWebhooks: false, rateLimitPerSecond: null, createdAt: 0, updatedAt: 0 }, { maxWebhooksPerCache: 9 });
      }
      return result;
    };
    expect(await putWebhook(deps, id('w'), body('t'))).toEqual({ secret: 'theirs' });
    expect(await webhooks.get(id('w'))).toMatchObject({ topicName: 't', secret: 'theirs' });
  });

  it.each([
    [{ topicName: '', destination: { postUrl: 'https://e.com/' } }, 'topicName'],
    [{ topicName: 't' }, 'destination'],
    [{ topicName: 't', destination: { postUrl: 'http://e.com/' } }, 'destination.postUrl'],
    [{ topicName: 't', destination: { postUrl: 'https://10.0.0.1/' } }, 'destination.postUrl'],
    ['not an object', 'the body must be a JSON object'],
  ])('refuses %j with a 400 naming %s, storing nothing', async (input, field) => {
    const { deps, webhooks } = setup();
    const attempt = putWebhook(deps, id('w'), input);
    await expect(attempt).rejects.toThrow(InvalidArgumentError);
    await expect(attempt).rejects.toThrow(field);
    expect(webhooks.records.size).toBe(0);
  });
});

describe('the other webhook operations', () => {
  it('list without secrets, sorted by name; an unused cache lists empty', async () => {
    const { deps } = setup();
    await putWebhook(deps, id('b'), body('t'));
    await putWebhook(deps, id('a'), body('u'));
    const listed = await listWebhooks(deps, 'c');
    expect(listed).toEqual({
      webhooks: [
        { id: id('a'), topicName: 'u', destination: { postUrl: 'https://example.com/hook' } },
        { id: id('b'), topicName: 't', destination: { postUrl: 'https://example.com/hook' } },
      ],
    });
    expect(await listWebhooks(deps, 'never')).toEqual({ webhooks: [] });
  });

  it('get and rotate the secret; rotate replaces it', async () => {
    const { deps } = setup();
    const { secret } = await putWebhook(deps, id('w'), body('t'));
    expect(await getWebhookSecret(deps, id('w'))).toEqual({ secret, webhookName: 'w', cacheName: 'c' });
    const rotated = await rotateWebhookSecret(deps, id('w'), {});
    expect(rotated.secret).not.toBe(secret);
    expect((await getWebhookSecret(deps, id('w'))).secret).toBe(rotated.secret);
  });

  it('answer 404 for an unknown webhook', async () => {
    const { deps } = setup();
    await expect(deleteWebhook(deps, id('nope'))).rejects.toThrow(NotFoundError);
    await expect(getWebhookSecret(deps, id('nope'))).rejects.toThrow(NotFoundError);
    await expect(rotateWebhookSecret(deps, id('nope'), {})).rejects.toThrow(NotFoundError);
  });
});
