import { AuthenticationError, SdkError } from '../../../client/errors.ts';
import type { Webhook, WebhookSettings } from '../../../client/destination.ts';
import { TopicSubscribe, type Delivery } from '../../../client/responses.ts';
import { deliveryChart } from './chart.ts';
import { button, byId, el } from './dom.ts';
import { Session, SessionEnded, storedCredentials, type Credentials } from './session.ts';

const HISTORY_PAGE_SIZE = 20;

type View = 'login' | 'webhooks' | 'webhook' | 'live';

let session: Session | null = null;
let webhooks: Webhook[] = [];
/** The webhook the detail view shows. */
let current: Webhook | null = null;
/** The webhook the form edits; null while it creates one. */
let editing: Webhook | null = null;
let historyRows: Delivery[] = [];
let historyCursor: string | null = null;
let liveSubscription: TopicSubscribe.Subscription | null = null;

/** Opens the cache, or shows why the client refused the key (a blank one) and stays at the sign-in form. */
function signIn(credentials: Credentials): void {
  try {
    session = new Session(credentials);
  } catch (error) {
    forgetSession();
    return showError(error);
  }
  session.save();
  byId('nav-cache').textContent = `cache: ${session.cacheName}`;
  show('webhooks');
  void loadWebhooks();
}

/**
 * Drops the key and everything shown of the cache (secrets, webhooks, history, chart, live
 * messages), and returns to the sign-in form: signing in to another cache in this tab shows
 * nothing of this one.
 */
function forgetSession(): void {
  session?.end();
  session = null;
  show('login');
  webhooks = [];
  current = null;
  editing = null;
  historyRows = [];
  historyCursor = null;
  showSecret(null);
  for (const id of ['webhooks-body', 'history-body', 'history-chart', 'live-body']) byId(id).replaceChildren();
  for (const id of ['status', 'nav-cache', 'webhook-title', 'webhook-summary', 'ping-outcome']) byId(id).textContent = '';
  for (const id of ['login-form', 'webhook-form', 'live-form', 'publish-form']) byId<HTMLFormElement>(id).reset();
  byId('webhook-form').hidden = true;
  byId<HTMLInputElement>('secret-grace').value = '';
  byId<HTMLInputElement>('ping-text').value = '';
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

/** A client error as its message and code (the service's own when it answered); any other (the page's own checks) as its message. */
function showError(error: unknown): void {
  const element = byId('error');
  element.textContent = error instanceof SdkError ? `${error.message} (${error.code})` : error instanceof Error ? error.message : String(error);
  element.hidden = false;
}

/** A key the service does not know (mistyped, revoked, expired) is of no further use: back to sign in. */
function showFailure(error: unknown): void {
  if (error instanceof SessionEnded) return;
  if (error instanceof AuthenticationError) forgetSession();
  showError(error);
}

/** Runs an API action, showing its error as the service's message; a 401 sends the user back to sign in. */
async function attempt(action: (session: Session) => Promise<void>): Promise<void> {
  if (!session) return show('login');
  clearError();
  try {
    await action(session);
  } catch (error) {
    showFailure(error);
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
  await attempt(async (session) => {
    ({ webhooks } = await session.call(session.client.listWebhooks(session.cacheName)));
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
function settingsFromForm(): WebhookSettings {
  const settings: WebhookSettings = {};
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
  await attempt(async (session) => {
    const name = byId<HTMLInputElement>('webhook-name').value;
    const put = session.client.putWebhook(session.cacheName, name, {
      topicName: byId<HTMLInputElement>('webhook-topic').value,
      destination: byId<HTMLInputElement>('webhook-url').value,
      ...settingsFromForm(),
    });
    await session.call(put);
    byId('webhook-form').hidden = true;
    const verb = editing ? 'Saved' : 'Created';
    await loadWebhooks();
    say(`${verb} webhook ${name}.`);
  });
}

async function deleteWebhook(webhook: Webhook): Promise<void> {
  const name = webhook.id.webhookName;
  if (!confirm(`Delete webhook ${name}? Its deliveries stop at once.`)) return;
  await attempt(async (session) => {
    await session.call(session.client.deleteWebhook(session.cacheName, name));
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

function showSecret(secret: { secret: string; standardWebhooksSecret?: string | undefined } | null): void {
  byId<HTMLInputElement>('secret-value').value = secret?.secret ?? '';
  byId<HTMLButtonElement>('secret-copy').disabled = !secret;
  const standard = secret?.standardWebhooksSecret;
  byId<HTMLInputElement>('secret-standard').value = standard ?? '';
  byId('secret-standard').hidden = standard === undefined;
  byId('secret-standard-label').hidden = standard === undefined;
}

async function revealSecret(): Promise<void> {
  await attempt(async (session) => {
    if (!current) return;
    showSecret(await session.call(session.client.getWebhookSecret(session.cacheName, current.id.webhookName)));
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
  await attempt(async (session) => {
    const options = grace ? { graceSeconds: Number(grace) } : {};
    showSecret(await session.call(session.client.rotateWebhookSecret(session.cacheName, name, options)));
    say(`Rotated the secret of ${name}.`);
  });
}

async function sendPing(): Promise<void> {
  await attempt(async (session) => {
    if (!current) return;
    const outcome = byId('ping-outcome');
    outcome.textContent = 'Sending…';
    // An empty message is not sent: the service then pings with "test".
    const text = byId<HTMLInputElement>('ping-text').value || undefined;
    try {
      const result = await session.call(session.client.testWebhook(session.cacheName, current.id.webhookName, text));
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
  await attempt(async (session) => {
    if (!current) return;
    const cursor = fresh ? undefined : (historyCursor ?? undefined);
    const list = session.client.listDeliveries(session.cacheName, current.id.webhookName, { limit: HISTORY_PAGE_SIZE, cursor });
    const page = await session.call(list);
    historyRows = fresh ? page.deliveries : [...historyRows, ...page.deliveries];
    historyCursor = page.nextCursor;
    renderHistory();
  });
}

// --- live topic --------------------------------------------------------------------------------

function setLiveState(text: string): void {
  byId('live-state').textContent = text;
}

function stopWatching(): void {
  if (!liveSubscription) return;
  liveSubscription.unsubscribe();
  liveSubscription = null;
  byId<HTMLButtonElement>('live-watch').disabled = false;
  byId<HTMLButtonElement>('live-stop').disabled = true;
  setLiveState('Not watching.');
}

function addLiveRow(cells: string[]): void {
  byId('live-body').prepend(el('tr', {}, ...cells.map((cell) => el('td', {}, cell))));
}

/**
 * Watches the topic through the client's subscription (docs/design.md#topic-subscriptions): from
 * the next message published, each poll resuming after the last number seen, a transient
 * failure (network, timeout, 5xx) retried after a backoff, until stopped or ended by an error
 * polling again cannot cure.
 */
async function watch(topicName: string): Promise<void> {
  await attempt(async (session) => {
    stopWatching();
    const watching = `Watching ${topicName}…`;
    // Not through `session.call`: the subscription is running once this resolves, and must be kept to be stopped.
    const result = await session.client.subscribe(session.cacheName, topicName, {
      onItem: (item) => {
        setLiveState(watching);
        addLiveRow([String(item.topicSequenceNumber()), new Date().toLocaleTimeString(), item.tokenId() ?? '–', item.valueString()]);
      },
      onDiscontinuity: (gap) => {
        const missed = `${gap.lastTopicSequence() + 1}–${gap.newTopicSequence() - 1}`;
        addLiveRow([missed, new Date().toLocaleTimeString(), '–', 'messages no longer retained']);
      },
      // Also after a failure: an answer, even an empty one (the wait ran out), says the service is back.
      onHeartbeat: () => setLiveState(watching),
      onError: (failed, subscription) => {
        const error = failed.innerException();
        // A transient failure: the subscription polls again after a backoff.
        if (subscription.isSubscribed) return setLiveState(`Watching ${topicName}: ${error.message} (${error.code}); trying again…`);
        stopWatching();
        showFailure(error);
      },
    });
    if (result instanceof TopicSubscribe.Error) throw result.innerException();
    liveSubscription = result;
    byId<HTMLButtonElement>('live-watch').disabled = true;
    byId<HTMLButtonElement>('live-stop').disabled = false;
    setLiveState(watching);
  });
}

async function publish(): Promise<void> {
  const topic = byId<HTMLInputElement>('live-topic');
  if (!topic.reportValidity()) return;
  await attempt(async (session) => {
    await session.call(session.client.publish(session.cacheName, topic.value, byId<HTMLTextAreaElement>('publish-text').value));
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
  const credentials = { cacheName: byId<HTMLInputElement>('login-cache').value, apiKey: byId<HTMLInputElement>('login-key').value };
  byId<HTMLInputElement>('login-key').value = '';
  signIn(credentials);
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

const restored = storedCredentials();
if (restored) signIn(restored);
else show('login');
// The handlers are attached: until now the form could not be sent (the button ships disabled).
byId<HTMLButtonElement>('login-open').disabled = false;
