import { ApiError, apiBaseOf, ConsoleApi, type Delivery, type Webhook, type WebhookSettingsInput } from './api.ts';
import { deliveryChart } from './chart.ts';
import { button, byId, el } from './dom.ts';

/** Where the cache and key live: this tab's session storage only (never a URL, a cookie or localStorage). */
const SESSION_KEY = 'topic-webhooks-console';
const HISTORY_PAGE_SIZE = 20;

interface Session {
  cacheName: string;
  apiKey: string;
}

type View = 'login' | 'webhooks' | 'webhook' | 'live';

let session: Session | null = null;
let api: ConsoleApi | null = null;
let webhooks: Webhook[] = [];
/** The webhook the detail view shows. */
let current: Webhook | null = null;
/** The webhook the form edits; null while it creates one. */
let editing: Webhook | null = null;
let historyRows: Delivery[] = [];
let historyCursor: string | null = null;
let liveWatch: AbortController | null = null;

const apiBase = apiBaseOf(location.pathname);

function loadSession(): Session | null {
  try {
    const stored = JSON.parse(sessionStorage.getItem(SESSION_KEY) ?? 'null') as Partial<Session> | null;
    return stored && typeof stored.cacheName === 'string' && typeof stored.apiKey === 'string'
      ? { cacheName: stored.cacheName, apiKey: stored.apiKey }
      : null;
  } catch {
    return null;
  }
}

function signIn(next: Session): void {
  session = next;
  api = new ConsoleApi(apiBase, next.apiKey);
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(next));
  byId('nav-cache').textContent = `cache: ${next.cacheName}`;
}

/** Drops the key and returns to the sign-in form. */
function forgetSession(): void {
  sessionStorage.removeItem(SESSION_KEY);
  session = null;
  api = null;
  webhooks = [];
  current = null;
  byId<HTMLFormElement>('login-form').reset();
  show('login');
}

function signOut(): void {
  forgetSession();
  say('Signed out.');
}

function show(view: View): void {
  // Leaving the live view ends its long-poll.
  if (view !== 'live') stopWatching();
  for (const name of ['login', 'webhooks', 'webhook', 'live'] as const) byId(`${name}-view`).hidden = name !== view;
  byId('nav').hidden = view === 'login';
  clearError();
}

function say(message: string): void {
  byId('status').textContent = message;
}

function clearError(): void {
  const error = byId('error');
  error.hidden = true;
  error.textContent = '';
}

function showError(error: unknown): void {
  const element = byId('error');
  element.textContent = error instanceof ApiError ? `${error.message} (${error.code})` : error instanceof Error ? error.message : String(error);
  element.hidden = false;
}

/** Runs an API action, showing its error as the service's message; a 401 sends the user back to sign in. */
async function attempt(action: (api: ConsoleApi, session: Session) => Promise<void>): Promise<void> {
  if (!api || !session) return show('login');
  clearError();
  try {
    await action(api, session);
  } catch (error) {
    // A key the service does not know (mistyped, revoked, expired) is of no further use.
    if (error instanceof ApiError && error.status === 401) forgetSession();
    showError(error);
  }
}

// --- webhooks ---------------------------------------------------------------------------------

function settingsText(webhook: Webhook): string {
  const parts: string[] = [];
  if (webhook.standardWebhooks !== undefined) parts.push(`Standard Webhooks ${webhook.standardWebhooks ? 'on' : 'off'}`);
  if (webhook.rateLimitPerSecond !== undefined) {
    parts.push(webhook.rateLimitPerSecond === null ? 'no rate limit' : `at most ${webhook.rateLimitPerSecond}/s`);
  }
  return parts.join(', ') || 'defaults';
}

function renderWebhooks(): void {
  const body = byId('webhooks-body');
  body.replaceChildren(
    ...webhooks.map((webhook) => {
      const name = webhook.id.webhookName;
      return el(
        'tr',
        {},
        el('td', {}, name),
        el('td', {}, webhook.topicName),
        el('td', { className: 'mono' }, webhook.destination.postUrl),
        el('td', {}, settingsText(webhook)),
        el(
          'td',
          { className: 'actions' },
          button('Open', () => void openWebhook(webhook), { ariaLabel: `Open webhook ${name}` }),
          button('Edit', () => openForm(webhook), { ariaLabel: `Edit webhook ${name}` }),
          button('Delete', () => void deleteWebhook(webhook), { ariaLabel: `Delete webhook ${name}`, className: 'danger' }),
        ),
      );
    }),
  );
  byId('webhooks-empty').hidden = webhooks.length > 0;
  byId('webhooks-table').hidden = webhooks.length === 0;
}

async function loadWebhooks(): Promise<void> {
  await attempt(async (api, session) => {
    webhooks = (await api.listWebhooks(session.cacheName)).webhooks;
    webhooks.sort((a, b) => a.id.webhookName.localeCompare(b.id.webhookName));
    renderWebhooks();
    say(`${webhooks.length} ${webhooks.length === 1 ? 'webhook' : 'webhooks'} in ${session.cacheName}.`);
  });
}

function openForm(webhook: Webhook | null): void {
  editing = webhook;
  const form = byId<HTMLFormElement>('webhook-form');
  form.reset();
  byId('webhook-form-title').textContent = webhook ? `Edit webhook ${webhook.id.webhookName}` : 'New webhook';
  const name = byId<HTMLInputElement>('webhook-name');
  name.readOnly = webhook !== null;
  if (webhook) {
    name.value = webhook.id.webhookName;
    byId<HTMLInputElement>('webhook-topic').value = webhook.topicName;
    byId<HTMLInputElement>('webhook-url').value = webhook.destination.postUrl;
  }
  form.hidden = false;
  (webhook ? byId<HTMLInputElement>('webhook-topic') : name).focus();
}

/** The settings the user set in the form; an untouched field is left out, so the webhook keeps its value. */
function settingsFromForm(): WebhookSettingsInput {
  const settings: WebhookSettingsInput = {};
  const standard = byId<HTMLSelectElement>('webhook-standard').value;
  if (standard) settings.standardWebhooks = standard === 'on';
  const rate = byId<HTMLInputElement>('webhook-rate').value.trim();
  if (rate.toLowerCase() === 'none') settings.rateLimitPerSecond = null;
  else if (rate) {
    // Not a number would go out as null (no limit): refuse it here instead.
    if (!/^\d+$/.test(rate)) throw new Error('The rate limit must be a whole number (1–1000) or "none".');
    settings.rateLimitPerSecond = Number(rate);
  }
  return settings;
}

async function saveWebhook(): Promise<void> {
  await attempt(async (api, session) => {
    const name = byId<HTMLInputElement>('webhook-name').value;
    await api.putWebhook(
      session.cacheName,
      name,
      byId<HTMLInputElement>('webhook-topic').value,
      byId<HTMLInputElement>('webhook-url').value,
      settingsFromForm(),
    );
    byId('webhook-form').hidden = true;
    const verb = editing ? 'Saved' : 'Created';
    await loadWebhooks();
    say(`${verb} webhook ${name}.`);
  });
}

async function deleteWebhook(webhook: Webhook): Promise<void> {
  const name = webhook.id.webhookName;
  if (!confirm(`Delete webhook ${name}? Its deliveries stop at once.`)) return;
  await attempt(async (api, session) => {
    await api.deleteWebhook(session.cacheName, name);
    await loadWebhooks();
    say(`Deleted webhook ${name}.`);
  });
}

// --- one webhook: secret, ping, history --------------------------------------------------------

async function openWebhook(webhook: Webhook): Promise<void> {
  current = webhook;
  show('webhook');
  byId('webhook-title').textContent = `Webhook ${webhook.id.webhookName}`;
  byId('webhook-summary').textContent = `topic ${webhook.topicName} → ${webhook.destination.postUrl} (${settingsText(webhook)})`;
  showSecret(null);
  byId('ping-outcome').textContent = '';
  byId('webhook-back').focus();
  await loadHistory(true);
}

function showSecret(secret: { secret: string; standardWebhooksSecret?: string } | null): void {
  byId<HTMLInputElement>('secret-value').value = secret?.secret ?? '';
  byId<HTMLButtonElement>('secret-copy').disabled = !secret;
  const standard = secret?.standardWebhooksSecret;
  byId<HTMLInputElement>('secret-standard').value = standard ?? '';
  byId('secret-standard').hidden = standard === undefined;
  byId('secret-standard-label').hidden = standard === undefined;
}

async function revealSecret(): Promise<void> {
  await attempt(async (api, session) => {
    if (!current) return;
    showSecret(await api.getSecret(session.cacheName, current.id.webhookName));
    say('Secret shown.');
  });
}

async function copySecret(): Promise<void> {
  const field = byId<HTMLInputElement>('secret-value');
  try {
    await navigator.clipboard.writeText(field.value);
    say('Secret copied to the clipboard.');
  } catch {
    // No clipboard permission: leave the secret selected for Ctrl-C.
    field.select();
    say('Secret selected: press Ctrl-C to copy it.');
  }
}

async function rotateSecret(): Promise<void> {
  if (!current) return;
  const name = current.id.webhookName;
  if (!confirm(`Rotate the secret of ${name}? Receivers must use the new one.`)) return;
  const grace = byId<HTMLInputElement>('secret-grace').value.trim();
  await attempt(async (api, session) => {
    showSecret(await api.rotateSecret(session.cacheName, name, grace ? Number(grace) : undefined));
    say(`Rotated the secret of ${name}.`);
  });
}

async function sendPing(): Promise<void> {
  await attempt(async (api, session) => {
    if (!current) return;
    const outcome = byId('ping-outcome');
    outcome.textContent = 'Sending…';
    try {
      const result = await api.testWebhook(session.cacheName, current.id.webhookName, byId<HTMLInputElement>('ping-text').value);
      outcome.textContent = `Ping ${result.outcome}: status ${result.statusCode ?? 'none'}, ${result.latencyMs} ms`;
    } catch (error) {
      outcome.textContent = '';
      throw error;
    }
    await loadHistory(true);
  });
}

function renderHistory(): void {
  byId('history-body').replaceChildren(
    ...historyRows.map((d) =>
      el(
        'tr',
        {},
        el('td', {}, new Date(d.attemptedAt).toLocaleString()),
        el('td', { className: d.outcome === 'delivered' ? 'outcome-delivered' : 'outcome-failed' }, d.test ? `${d.outcome} (test)` : d.outcome),
        el('td', {}, d.statusCode === null ? '–' : String(d.statusCode)),
        el('td', {}, `${d.latencyMs} ms`),
        el('td', {}, String(d.topicSequenceNumber)),
      ),
    ),
  );
  byId('history-empty').hidden = historyRows.length > 0;
  byId('history-table').hidden = historyRows.length === 0;
  byId('history-more').hidden = historyCursor === null;
  const delivered = historyRows.filter((d) => d.outcome === 'delivered').length;
  byId('history-chart').replaceChildren(
    deliveryChart(historyRows),
    el('figcaption', {}, `${historyRows.length} attempts shown: ${delivered} delivered, ${historyRows.length - delivered} failed. Dots: outcome; line: latency.`),
  );
}

/** The first page again (`fresh`), or the next older page after what is shown. */
async function loadHistory(fresh: boolean): Promise<void> {
  await attempt(async (api, session) => {
    if (!current) return;
    const page = await api.listDeliveries(session.cacheName, current.id.webhookName, HISTORY_PAGE_SIZE, fresh ? null : historyCursor);
    historyRows = fresh ? page.deliveries : [...historyRows, ...page.deliveries];
    historyCursor = page.nextCursor;
    renderHistory();
  });
}

// --- live topic --------------------------------------------------------------------------------

function stopWatching(): void {
  if (!liveWatch) return;
  liveWatch.abort();
  liveWatch = null;
  byId<HTMLButtonElement>('live-watch').disabled = false;
  byId<HTMLButtonElement>('live-stop').disabled = true;
  byId('live-state').textContent = 'Not watching.';
}

function addLiveRow(cells: string[]): void {
  byId('live-body').prepend(el('tr', {}, ...cells.map((cell) => el('td', {}, cell))));
}

/** Long-polls the topic from the next message on, each poll resuming after the last number seen, until stopped. */
async function watch(topicName: string): Promise<void> {
  if (!api || !session) return show('login');
  stopWatching();
  clearError();
  const controller = new AbortController();
  liveWatch = controller;
  byId<HTMLButtonElement>('live-watch').disabled = true;
  byId<HTMLButtonElement>('live-stop').disabled = false;
  byId('live-state').textContent = `Watching ${topicName}…`;
  let next = 0;
  const { cacheName } = session;
  while (!controller.signal.aborted) {
    try {
      const { items } = await api.subscribe(cacheName, topicName, next, controller.signal);
      for (const entry of items) {
        if ('item' in entry) {
          const { topic_sequence_number: number, value, token_id: tokenId } = entry.item;
          addLiveRow([String(number), new Date().toLocaleTimeString(), tokenId || '–', value.text ?? '']);
          next = number + 1;
        } else {
          const gap = entry.discontinuity;
          addLiveRow([`${gap.last_topic_sequence + 1}–${gap.new_topic_sequence - 1}`, new Date().toLocaleTimeString(), '–', 'messages no longer retained']);
          next = gap.new_topic_sequence;
        }
      }
    } catch (error) {
      if (controller.signal.aborted) return;
      stopWatching();
      showError(error);
      return;
    }
  }
}

async function publish(): Promise<void> {
  const topic = byId<HTMLInputElement>('live-topic');
  if (!topic.reportValidity()) return;
  await attempt(async (api, session) => {
    await api.publish(session.cacheName, topic.value, byId<HTMLTextAreaElement>('publish-text').value);
    say(`Published to ${topic.value}.`);
  });
}

// --- wiring ------------------------------------------------------------------------------------

function onSubmit(id: string, action: () => void): void {
  byId<HTMLFormElement>(id).addEventListener('submit', (event) => {
    event.preventDefault();
    action();
  });
}

function onClick(id: string, action: () => void): void {
  byId(id).addEventListener('click', action);
}

onSubmit('login-form', () => {
  signIn({ cacheName: byId<HTMLInputElement>('login-cache').value, apiKey: byId<HTMLInputElement>('login-key').value });
  byId<HTMLInputElement>('login-key').value = '';
  show('webhooks');
  void loadWebhooks();
});
onClick('sign-out', signOut);
onClick('nav-webhooks', () => {
  show('webhooks');
  void loadWebhooks();
});
onClick('nav-live', () => show('live'));
onClick('webhooks-refresh', () => void loadWebhooks());
onClick('webhook-new', () => openForm(null));
onClick('webhook-cancel', () => {
  byId('webhook-form').hidden = true;
});
onSubmit('webhook-form', () => void saveWebhook());
onClick('webhook-back', () => {
  show('webhooks');
  void loadWebhooks();
});
onClick('secret-show', () => void revealSecret());
onClick('secret-copy', () => void copySecret());
onClick('secret-rotate', () => void rotateSecret());
onClick('ping-send', () => void sendPing());
onClick('history-refresh', () => void loadHistory(true));
onClick('history-more', () => void loadHistory(false));
onSubmit('live-form', () => void watch(byId<HTMLInputElement>('live-topic').value));
onClick('live-stop', stopWatching);
onSubmit('publish-form', () => void publish());
window.addEventListener('pagehide', stopWatching);

const restored = loadSession();
if (restored) {
  signIn(restored);
  show('webhooks');
  void loadWebhooks();
} else {
  show('login');
}
