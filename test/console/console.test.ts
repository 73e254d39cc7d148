import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalService, type LocalService } from '#local/service.ts';
import { TestReceiver } from '../helpers/receiver.ts';

/**
 * The console in a real browser (docs/console.md): Debian's chromium driven by playwright-core
 * against local mode, delivering to a loopback receiver. The tests run in order on one page,
 * as a person would use it: sign in, create, ping, read the history, rotate, watch a topic live,
 * and delete.
 *
 * `CONSOLE_SCREENSHOTS=1` also saves the main views as docs/console/*.png.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const SCREENSHOTS = process.env.CONSOLE_SCREENSHOTS ? path.resolve(import.meta.dirname, '../../docs/console') : null;
const CACHE = 'console-cache';
const XSS_NAME = '<img src=x onerror=alert(1)>';

let service: LocalService;
let receiver: TestReceiver;
let userDataDir: string;
let context: BrowserContext;
let page: Page;
/** Dialogs other than the console's own confirmations: an alert here is script that should never have run. */
const unexpectedDialogs: string[] = [];
const cspViolations: string[] = [];
const requestedUrls: string[] = [];

/** The service's API, called from the test (as a second client would), with the admin key. */
async function api(method: string, apiPath: string, body?: string): Promise<Response> {
  return fetch(service.url + apiPath, { method, headers: { authorization: service.apiKey }, body });
}

async function screenshot(name: string): Promise<void> {
  if (SCREENSHOTS) await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** `expect.poll` with time for a round trip through the service (its default is 1 s). */
const eventually = <T>(read: () => Promise<T> | T) => expect.poll(read, { timeout: 10_000, interval: 50 });

/** A long-poll of the live view. */
const isPoll = (url: string) => url.includes('/topics/') && url.includes('sequence_number=');
/** The numbers the live view's polls asked for, in order. */
const askedNumbers = () => requestedUrls.filter(isPoll).map((url) => Number(new URL(url).searchParams.get('sequence_number')));

const row = (name: string) => page.locator('#webhooks-body tr').filter({ has: page.getByRole('cell', { name, exact: true }) });

beforeAll(async () => {
  [service, receiver, userDataDir] = await Promise.all([
    // Long subscribe waits: a live-view poll stays open until a message comes (or the page aborts it).
    startLocalService({ port: 0, quiet: true, env: { SUBSCRIBE_WAIT_SECONDS: '20' }, queue: { pollWaitSeconds: 1 } }),
    TestReceiver.start({ status: 200 }),
    mkdtemp(path.join(os.tmpdir(), 'console-chromium-')),
  ]);
  if (SCREENSHOTS) await mkdir(SCREENSHOTS, { recursive: true });
  // A fresh profile, given the way Playwright takes one (it refuses --user-data-dir in `args`).
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1200, height: 900 },
    // For the copy button: headless chromium grants the clipboard only when asked.
    permissions: ['clipboard-read', 'clipboard-write'],
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(10_000);
  page.on('dialog', (dialog) => {
    if (dialog.type() === 'confirm') return void dialog.accept();
    unexpectedDialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on('console', (message) => {
    if (/content security policy/i.test(message.text())) cspViolations.push(message.text());
  });
  page.on('request', (r) => requestedUrls.push(r.url()));
}, 60_000);

afterAll(async () => {
  await context?.close();
  await Promise.all([service?.stop(), receiver?.close()]);
  if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
});

describe('the console in chromium', () => {
  it('sends the sign-in form nowhere before its script runs: no field has a name and the button starts disabled', async () => {
    await page.route('**/console/app.js', (route) => route.abort());
    try {
      await page.goto(`${service.url}/console`);
      await page.getByLabel('Cache name').fill(CACHE);
      await page.getByLabel('API key').fill(service.apiKey);
      expect(await page.getByRole('button', { name: 'Open' }).isDisabled()).toBe(true);
      // A submission would carry nothing (page-side code as a string: the test project has no DOM types).
      expect(await page.evaluate<number>("[...new FormData(document.getElementById('login-form'))].length")).toBe(0);
      await page.getByLabel('API key').press('Enter');
      // Nothing to wait for if all is well: give a navigation a second to start, then look.
      await page.waitForURL((url) => url.search !== '', { timeout: 1_000 }).catch(() => undefined);
      expect(page.url()).toBe(`${service.url}/console`);
      expect(requestedUrls.filter((url) => url.includes(service.apiKey))).toEqual([]);
    } finally {
      await page.unroute('**/console/app.js');
    }
  });

  it('is served with its security headers, refuses an unknown key, and signs in with a cache and a key', async () => {
    const response = await page.goto(`${service.url}/console`);
    expect(response?.status()).toBe(200);
    const headers = response!.headers();
    expect(headers['content-security-policy']).toContain("default-src 'self'");
    expect(headers['content-security-policy']).not.toContain('unsafe-');
    expect(headers).toMatchObject({ 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'x-frame-options': 'DENY' });

    // Only the sign-in form shows until a cache is open.
    expect(await page.getByRole('button', { name: 'Sign out' }).isHidden()).toBe(true);
    expect(await page.getByRole('heading', { name: 'Webhooks', exact: true }).isHidden()).toBe(true);
    await page.getByLabel('Cache name').fill(CACHE);
    await page.getByLabel('API key').fill(service.apiKey);
    await screenshot('sign-in');
    // A key the service does not know: its message, and back to the sign-in form, the key forgotten.
    await page.getByLabel('API key').fill('whk_not-a-key');
    await page.getByRole('button', { name: 'Open' }).click();
    await eventually(() => page.getByRole('alert').textContent()).toMatch(/\(AUTHENTICATION_ERROR\)$/);
    expect(await page.getByLabel('API key').isVisible()).toBe(true);
    expect(await page.evaluate<number>('sessionStorage.length')).toBe(0);

    await page.getByLabel('Cache name').fill(CACHE);
    await page.getByLabel('API key').fill(service.apiKey);
    await page.getByRole('button', { name: 'Open' }).press('Enter');
    await eventually(() => page.locator('#status').textContent()).toBe(`0 webhooks in ${CACHE}.`);
    expect(await page.getByText('No webhooks in this cache yet.').isVisible()).toBe(true);
    expect(await page.locator('#webhook-form').isHidden()).toBe(true);
    expect(await page.getByRole('button', { name: 'Sign out' }).isVisible()).toBe(true);
  });

  it('shows an API error as the service\'s message', async () => {
    await page.getByRole('button', { name: 'New webhook' }).click();
    await page.getByLabel('Webhook name').fill('orders-hook');
    await page.getByLabel('Topic name').fill('orders');
    await page.getByLabel('Destination URL').fill('ftp://127.0.0.1/hook');
    await page.getByRole('button', { name: 'Save' }).click();
    const error = page.getByRole('alert');
    await eventually(() => error.textContent()).toMatch(/postUrl.*\(INVALID_ARGUMENT_ERROR\)$/);
  });

  it('creates a webhook with the keyboard and lists it with its topic and URL', async () => {
    await page.getByLabel('Destination URL').fill(receiver.url('/orders'));
    const put = page.waitForRequest((r) => r.method() === 'PUT');
    await page.getByLabel('Destination URL').press('Enter');
    // Settings the user left alone are not sent: the webhook takes (or keeps) their defaults.
    expect((await put).postDataJSON()).toEqual({ topicName: 'orders', destination: { postUrl: receiver.url('/orders') } });
    await eventually(() => row('orders-hook').count()).toBe(1);
    expect(await row('orders-hook').locator('td').allTextContents()).toEqual(
      expect.arrayContaining(['orders-hook', 'orders', receiver.url('/orders')]),
    );
    expect(await page.getByRole('alert').isHidden()).toBe(true);
  });

  it('renders a name that is markup as text: no element is made from it and no script runs', async () => {
    await page.getByRole('button', { name: 'New webhook' }).click();
    await page.getByLabel('Webhook name').fill(XSS_NAME);
    await page.getByLabel('Topic name').fill(XSS_NAME);
    await page.getByLabel('Destination URL').fill(receiver.url('/xss'));
    await page.getByRole('button', { name: 'Save' }).click();
    await eventually(() => row(XSS_NAME).count()).toBe(1);
    await row(XSS_NAME).getByRole('button', { name: 'Open' }).click();
    await eventually(() => page.locator('#webhook-title').textContent()).toBe(`Webhook ${XSS_NAME}`);
    expect(await page.locator('img').count()).toBe(0);
    expect(unexpectedDialogs).toEqual([]);
    // The name went into the path URL-encoded, and the server found the webhook by it.
    const listed = (await (await api('GET', `/webhooks/${CACHE}`)).json()) as { webhooks: { id: { webhookName: string } }[] };
    expect(listed.webhooks.map((w) => w.id.webhookName)).toContain(XSS_NAME);
    await page.getByRole('button', { name: 'Back to webhooks' }).click();
    await row(XSS_NAME).getByRole('button', { name: `Delete webhook ${XSS_NAME}` }).click();
    await eventually(() => row(XSS_NAME).count()).toBe(0);
  });

  it('sends a test ping and shows its outcome and the attempt in the history table and chart', async () => {
    await row('orders-hook').getByRole('button', { name: 'Open' }).click();
    await page.getByLabel('Message', { exact: true }).fill('ping from the console');
    await page.getByRole('button', { name: 'Send test ping' }).click();
    await eventually(() => page.locator('#ping-outcome').textContent()).toMatch(/^Ping delivered: status 200, \d+ ms$/);
    const [ping] = await receiver.waitFor(1);
    expect(ping!.body.toString('utf8')).toContain('ping from the console');
    await eventually(() => page.locator('#history-body tr').count()).toBe(1);
    expect(await page.locator('#history-body tr').first().locator('td').allTextContents()).toEqual([
      expect.any(String),
      'delivered (test)',
      '200',
      expect.stringMatching(/^\d+ ms$/),
      '0',
    ]);
    expect(await page.locator('#history-chart svg circle').count()).toBe(1);
  });

  it('pages the history with its cursor and charts every attempt shown', async () => {
    // 20 more attempts: one published message and 19 pings, so the first page (20) is full.
    expect((await api('POST', `/topics/${CACHE}/orders`, 'hello')).status).toBe(204);
    await receiver.waitFor(2);
    for (let i = 0; i < 19; i++) expect((await api('POST', `/webhooks/${CACHE}/orders-hook/test`)).status).toBe(200);
    await page.getByRole('button', { name: 'Refresh' }).click();
    await eventually(() => page.locator('#history-body tr').count()).toBe(20);
    const older = page.getByRole('button', { name: 'Older deliveries' });
    expect(await older.isVisible()).toBe(true);
    await older.click();
    await eventually(() => page.locator('#history-body tr').count()).toBe(21);
    expect(await older.isHidden()).toBe(true);
    expect(await page.locator('#history-chart svg circle').count()).toBe(21);
    expect(await page.locator('#history-body').getByRole('cell', { name: '1', exact: true }).count()).toBe(1);
    expect(await page.locator('#history-chart figcaption').textContent()).toContain('21 attempts shown: 21 delivered, 0 failed');
    await screenshot('webhook-history');
  });

  it('shows and rotates the secret', async () => {
    await page.getByRole('button', { name: 'Show secret' }).click();
    const secret = page.getByLabel('Signing secret');
    await eventually(() => secret.inputValue()).not.toBe('');
    const before = await secret.inputValue();
    await page.getByLabel('Grace seconds').fill('60');
    const stored = (await (await api('GET', `/webhooks/${CACHE}/orders-hook/secret`)).json()) as { secret: string };
    expect(before).toBe(stored.secret);
    const rotate = page.waitForRequest((r) => r.url().endsWith('/secret/rotate'));
    await page.getByRole('button', { name: 'Rotate secret' }).click();
    expect((await rotate).postDataJSON()).toEqual({ graceSeconds: 60 });
    await eventually(() => secret.inputValue()).not.toBe(before);
    const rotated = (await (await api('GET', `/webhooks/${CACHE}/orders-hook/secret`)).json()) as { secret: string };
    expect(await secret.inputValue()).toBe(rotated.secret);
    await page.getByRole('button', { name: 'Copy secret' }).click();
    await eventually(() => page.locator('#status').textContent()).toBe('Secret copied to the clipboard.');
    expect(await page.evaluate<string>('navigator.clipboard.readText()')).toBe(rotated.secret);
  });

  it('publishes to a topic and shows the messages as they arrive, polling on after a gateway timeout, until it leaves', async () => {
    await page.getByRole('button', { name: 'Live topic' }).click();
    await page.getByLabel('Topic to watch').fill('orders');
    // The first poll meets a gateway timeout: the view says so and polls again (the client's retry).
    await page.route((url) => isPoll(url.href), (route) => route.fulfill({ status: 504, body: '' }), { times: 1 });
    await page.getByRole('button', { name: 'Watch' }).click();
    await eventually(() => page.locator('#live-state').textContent()).toMatch(/^Watching orders: .*\(SERVER_UNAVAILABLE\); trying again…$/);
    await eventually(() => askedNumbers().length).toBeGreaterThanOrEqual(2);
    expect(await page.getByRole('alert').isHidden()).toBe(true);

    // "From the next message": one published before the poll reaches the service is not shown.
    // So publish probes until one shows; from then on each poll resumes after the last number seen.
    const liveRows = page.locator('#live-body tr');
    for (let probes = 1; ; probes++) {
      expect((await api('POST', `/topics/${CACHE}/orders`, 'probe')).status).toBe(204);
      const shown = await liveRows.first().waitFor({ timeout: 2_000 }).then(() => true, () => false);
      if (shown) break;
      expect(probes, 'probes published before one showed').toBeLessThan(5);
    }
    await eventually(() => page.locator('#live-state').textContent()).toBe('Watching orders…');
    const lastProbe = Number(await liveRows.first().locator('td').first().textContent());
    for (const text of ['first live message', 'second <b>live</b> message']) {
      await page.getByLabel('Message to publish').fill(text);
      await page.getByRole('button', { name: 'Publish' }).click();
      await eventually(() => page.locator('#live-body').getByRole('cell', { name: text, exact: true }).count()).toBe(1);
    }
    // Newest first, numbered as the topic numbers them.
    expect((await page.locator('#live-body tr td:first-child').allTextContents()).slice(0, 3)).toEqual(
      [lastProbe + 2, lastProbe + 1, lastProbe].map(String),
    );
    expect(await page.locator('b').count()).toBe(0);
    await screenshot('live-topic');
    // From the next message (0) until one arrived, then each time from the number after the last one seen.
    const asked = askedNumbers();
    expect(asked[0]).toBe(0);
    const resumed = asked.filter((n) => n > 0);
    expect(resumed).toEqual([lastProbe + 1, lastProbe + 2, lastProbe + 3]);
    expect(asked).toEqual([...asked.filter((n) => n === 0), ...resumed]);

    // Leaving the view aborts the poll in flight, and no other follows.
    const aborted = page.waitForEvent('requestfailed', (r) => isPoll(r.url()));
    await page.getByRole('button', { name: 'Webhooks', exact: true }).click();
    expect(await page.locator('#live-state').textContent()).toBe('Not watching.');
    expect(new URL((await aborted).url()).searchParams.get('sequence_number')).toBe(String(lastProbe + 3));
    const another = await page.waitForRequest((r) => isPoll(r.url()), { timeout: 1_500 }).then(
      (r) => r.url(),
      () => null,
    );
    expect(another).toBeNull();
  });

  it('edits a webhook\'s topic and settings, and shows the settings the service lists', async () => {
    await row('orders-hook').getByRole('button', { name: 'Edit webhook orders-hook' }).click();
    expect(await page.getByLabel('Destination URL').inputValue()).toBe(receiver.url('/orders'));
    await page.getByLabel('Topic name').fill('invoices');
    await page.getByLabel('Standard Webhooks headers').selectOption('on');
    // Not a number is refused before anything is sent (it would travel as null: no limit).
    await page.getByLabel('Rate limit per second').fill('fast');
    const requestsBefore = requestedUrls.length;
    await page.getByRole('button', { name: 'Save' }).click();
    await eventually(() => page.getByRole('alert').textContent()).toBe('The rate limit must be a whole number (1–1000) or "none".');
    expect(requestedUrls.length).toBe(requestsBefore);
    await page.getByLabel('Rate limit per second').fill('5');
    const put = page.waitForRequest((r) => r.method() === 'PUT');
    await page.getByRole('button', { name: 'Save' }).click();
    expect((await put).postDataJSON()).toEqual({
      topicName: 'invoices',
      destination: { postUrl: receiver.url('/orders') },
      standardWebhooks: true,
      rateLimitPerSecond: 5,
    });
    await eventually(() => row('orders-hook').locator('td').nth(1).textContent()).toBe('invoices');
    // The settings column shows what the list answers (a setting appears there once it is set).
    const listed = (await (await api('GET', `/webhooks/${CACHE}`)).json()) as { webhooks: { standardWebhooks?: boolean; rateLimitPerSecond?: number | null }[] };
    const [webhook] = listed.webhooks;
    const expected = [
      ...(webhook?.standardWebhooks === undefined ? [] : [`Standard Webhooks ${webhook.standardWebhooks ? 'on' : 'off'}`]),
      ...(webhook?.rateLimitPerSecond == null ? [] : [`at most ${webhook.rateLimitPerSecond}/s`]),
    ];
    expect(await row('orders-hook').locator('td').nth(3).textContent()).toBe(expected.join(', ') || 'defaults');
    await screenshot('webhooks');
  });

  it('deletes a webhook', async () => {
    await row('orders-hook').getByRole('button', { name: 'Delete webhook orders-hook' }).click();
    await eventually(() => page.locator('#status').textContent()).toBe('Deleted webhook orders-hook.');
    expect(await row('orders-hook').count()).toBe(0);
    expect((await api('GET', `/webhooks/${CACHE}/orders-hook/secret`)).status).toBe(404);
  });

  it('kept the key in session storage only: never in local storage, a cookie or a URL, and broke no CSP rule', async () => {
    // Page-side code as strings: the test project has no DOM types.
    const storage = await page.evaluate<{ local: string; session: string }>(
      '({ local: JSON.stringify({ ...localStorage }), session: JSON.stringify({ ...sessionStorage }) })',
    );
    expect(storage.session).toContain(service.apiKey);
    expect(storage.local).not.toContain(service.apiKey);
    expect(await context.cookies()).toEqual([]);
    expect(requestedUrls.length).toBeGreaterThan(20);
    expect(requestedUrls.filter((url) => url.includes(service.apiKey))).toEqual([]);
    expect(cspViolations).toEqual([]);
    expect(unexpectedDialogs).toEqual([]);

    // Signing out forgets the key and clears what the page showed of the cache.
    expect(await page.getByLabel('Signing secret').inputValue()).not.toBe('');
    expect(await page.locator('#history-body tr').count()).toBeGreaterThan(0);
    expect(await page.locator('#live-body tr').count()).toBeGreaterThan(0);
    await page.getByRole('button', { name: 'Sign out' }).click();
    expect(await page.evaluate<number>('sessionStorage.length')).toBe(0);
    expect(await page.getByLabel('API key').isVisible()).toBe(true);
    await expectNothingShownOfACache();
  });

  it('shows nothing of the previous cache after signing in to another, and signs out on a 401 during the live view', async () => {
    await page.getByLabel('Cache name').fill('another-cache');
    await page.getByLabel('API key').fill(service.apiKey);
    await page.getByRole('button', { name: 'Open' }).click();
    await eventually(() => page.locator('#status').textContent()).toBe('0 webhooks in another-cache.');
    expect(await page.locator('#nav-cache').textContent()).toBe('cache: another-cache');
    await expectNothingShownOfACache();

    // The key stops working while the view watches (revoked, say): back to sign in, as after any call.
    await page.getByRole('button', { name: 'Live topic' }).click();
    expect(await page.locator('#live-body tr').count()).toBe(0);
    await page.getByLabel('Topic to watch').fill('orders');
    const refusal = { error: { code: 'AUTHENTICATION_ERROR', message: 'the API key is not valid' } };
    await page.route((url) => isPoll(url.href), (route) => route.fulfill({ status: 401, json: refusal }), { times: 1 });
    await page.getByRole('button', { name: 'Watch' }).click();
    await eventually(() => page.getByRole('alert').textContent()).toBe('the API key is not valid (AUTHENTICATION_ERROR)');
    expect(await page.getByLabel('API key').isVisible()).toBe(true);
    expect(await page.evaluate<number>('sessionStorage.length')).toBe(0);
  });

  it('works under a stage prefix, as on API Gateway (/prod/console calls /prod/webhooks/...)', async () => {
    const stage = await startStagePrefixProxy('/prod', service.url);
    try {
      await page.goto(`${stage.url}/prod/console`);
      await page.getByLabel('Cache name').fill(CACHE);
      await page.getByLabel('API key').fill(service.apiKey);
      await page.getByRole('button', { name: 'Open' }).click();
      await eventually(() => page.locator('#status').textContent()).toBe(`0 webhooks in ${CACHE}.`);
      expect(stage.paths).toEqual(expect.arrayContaining(['/prod/console', '/prod/console/app.js', '/prod/console/app.css', `/prod/webhooks/${CACHE}`]));
    } finally {
      await stage.close();
    }
  });
});

/** Everything the page shows of a cache is empty: secrets, webhooks, history, chart and live messages. */
async function expectNothingShownOfACache(): Promise<void> {
  expect(await page.getByLabel('Signing secret').inputValue()).toBe('');
  for (const rows of ['#webhooks-body tr', '#history-body tr', '#history-chart *', '#live-body tr']) {
    expect(await page.locator(rows).count(), rows).toBe(0);
  }
  expect(await page.locator('#webhook-title').textContent()).toBe('');
}

/** Serves `target` under `prefix`, as an API Gateway stage does; anything outside the prefix is a 404. */
async function startStagePrefixProxy(prefix: string, target: string): Promise<{ url: string; paths: string[]; close(): Promise<void> }> {
  const paths: string[] = [];
  const server: Server = createServer((req, res) => {
    const url = req.url ?? '/';
    paths.push(url.split('?')[0]!);
    if (!url.startsWith(`${prefix}/`)) return void res.writeHead(404).end();
    const upstream = httpRequest(target + url.slice(prefix.length), { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    paths,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
