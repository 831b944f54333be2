// The console: plain DOM and fetch, no build step, nothing loaded from elsewhere. The same page serves
// npm start and the console for a deployed stage (npm run console), which differ only in what
// /api/context says and in the token the stage console puts in the page.
//
// Every value from an event is set with textContent or setAttribute, never as HTML: payloads are
// untrusted input.
'use strict';

const $ = (id) => document.getElementById(id);

/** The stage console's token (empty on npm start): its server refuses any request without it. */
const TOKEN = document.querySelector('meta[name="console-token"]')?.content ?? '';

const REFRESH_MS = 2500;
/** The overview reads CloudWatch on a stage, which charges per metric read: less often than the lists. */
const OVERVIEW_REFRESH_MS = 10_000;
/** A typed filter is applied once typing pauses, not at every key. */
const TYPING_PAUSE_MS = 300;

const OVERVIEW_SERIES = [
  { key: 'received', label: 'received' },
  { key: 'completed', label: 'completed' },
  { key: 'ignored', label: 'ignored' },
  { key: 'failed', label: 'failed' },
  { key: 'duplicates', label: 'duplicates absorbed' },
];

const PAYLOAD_SOURCES = {
  received: 'As received by npm start.',
  'dead-letter-queue': 'From the dead-letter queue, as it was delivered.',
  'events-api': "From Stripe's Events API.",
};

const state = {
  /** GET /api/context: the target's name, kind and redrive rate. */
  context: undefined,
  /** The event whose detail is open, and its summary when it was read: a change in the list reloads it. */
  detailId: null,
  detailSignature: null,
  /** The event whose replay plan awaits confirmation. */
  replayFor: null,
  /** Event ids ticked in the events list or the dead letters: the same id is ticked in both. */
  checked: new Set(),
  /** While search results replace the list: the query. */
  search: null,
  /** The redrive whose preview awaits confirmation: its request and how to name what it moves. */
  pendingRedrive: null,
  /** The accounting ledger exists on npm start only; 'absent' once known missing. */
  ledger: 'unknown',
  /** What each list last showed: an unchanged answer leaves the DOM (and the operator's pointer) alone. */
  eventsShown: '',
  lettersShown: '',
  knownTypes: new Set(),
};

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** A JSON request to the console's API; a non-2xx answer throws its error message. */
async function api(path, { method = 'GET', body } = {}) {
  const headers = {};
  if (TOKEN) headers['x-console-token'] = TOKEN;
  const init = { method, headers };
  if (method !== 'GET') {
    // The servers take a mutation only as JSON, which no other site's page may send without a preflight.
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body ?? {});
  }
  const response = await fetch(path, init);
  const answer = await response.json().catch(() => undefined);
  if (!response.ok) throw new ApiError(response.status, answer?.error?.message ?? `HTTP ${response.status}`);
  return answer;
}

// ---- Small helpers ----

const plural = (count, word) => `${count} ${word}${count === 1 ? '' : 's'}`;

function element(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

function cell(row, text, className) {
  const td = row.insertCell();
  td.textContent = text ?? '';
  if (className) td.className = className;
  return td;
}

/** Shows an error's message in `id`, or hides it when there is none. */
function showError(id, error) {
  $(id).hidden = !error;
  $(id).textContent = error ? error.message : '';
}

/** Today's times as a time only; older ones with their date. */
function formatTime(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  return date.toDateString() === new Date().toDateString() ? date.toLocaleTimeString() : date.toLocaleString();
}

function formatDuration(ms) {
  if (ms === undefined || ms === null) return '—';
  if (Math.abs(ms) < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (Math.abs(seconds) < 60) return `${seconds.toFixed(1)} s`;
  if (Math.abs(seconds) < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

const deliveriesText = (event) => (event.duplicatesAbsorbed > 0 ? `${event.deliveries} (${event.duplicatesAbsorbed} dup)` : String(event.deliveries));

/** What in an event's summary changes when something happens to it. */
const signatureOf = (event) => [event.status, event.attempts, event.deliveries, event.deadLetteredAt ?? ''].join('|');

// ---- Selection: one set of ticked event ids, shown in both lists ----

function checkbox(eventId) {
  const box = document.createElement('input');
  box.type = 'checkbox';
  box.dataset.eventId = eventId;
  box.checked = state.checked.has(eventId);
  box.setAttribute('aria-label', `Select ${eventId}`);
  box.addEventListener('change', () => {
    if (box.checked) state.checked.add(eventId);
    else state.checked.delete(eventId);
    showChecked();
  });
  return box;
}

function showChecked() {
  for (const box of document.querySelectorAll('input[type="checkbox"][data-event-id]')) box.checked = state.checked.has(box.dataset.eventId);
  const count = state.checked.size;
  $('redrive-selected').disabled = count === 0;
  $('redrive-selected').textContent = count === 0 ? 'Redrive selected…' : `Redrive selected (${count})…`;
}

// ---- Events: the listing, or search results in its place ----

function listingQuery() {
  const params = new URLSearchParams({ limit: '200' });
  const status = $('filter-status').value;
  const type = $('filter-type').value.trim();
  const since = $('filter-since').value === 'other' ? $('filter-since-other').value.trim() : $('filter-since').value;
  const until = $('filter-until').value.trim();
  if (status) params.set('status', status);
  if (type) params.set('type', type);
  if (since) params.set('since', since);
  if (until) params.set('until', until);
  return params;
}

let eventsRequest = 0;

/**
 * When the last listing started and how long it took. A listing walks the ledger's index an hour at a
 * time until it is full, so a long and sparse range (30 days: 720 hours of 16 queries) takes seconds:
 * the periodic refresh asks for it again only after three times that, not at every tick.
 */
const listingPace = { startedAt: 0, tookMs: 0 };
const listingDue = () => Date.now() - listingPace.startedAt >= 3 * listingPace.tookMs;

/** Reads the listing (or the search) and shows it; resolves with the answer, or undefined when a newer request overtook it or it failed. */
async function refreshEvents() {
  const request = ++eventsRequest;
  const search = state.search;
  const startedAt = Date.now();
  listingPace.startedAt = startedAt;
  try {
    const answer = search ? await api(`/api/search?${new URLSearchParams({ q: search.query })}`) : await api(`/api/events?${listingQuery()}`);
    // The filters or the search changed while this was on its way: the newer request's answer is the one to show.
    if (request !== eventsRequest || search !== state.search) return undefined;
    showError('events-error');
    showSearchNote(search, answer);
    renderEvents(answer.events, Boolean(search));
    return answer;
  } catch (error) {
    if (request !== eventsRequest || search !== state.search) return undefined;
    showError('events-error', error);
    renderEvents([], Boolean(search));
    return undefined;
  } finally {
    if (request === eventsRequest) listingPace.tookMs = Date.now() - startedAt;
  }
}

function showSearchNote(search, answer) {
  $('search-note').hidden = !search;
  if (!search) return;
  const found = answer.events.length;
  const what = answer.kind === 'event' ? (found === 0 ? 'no such event in the ledger' : 'the event') : found === 0 ? 'no event about this object in the ledger' : `${plural(found, 'event')} about this object`;
  $('search-note-text').textContent = `Search results for ${search.query}: ${what}`;
}

function renderEvents(events, searching) {
  $('events-empty').hidden = events.length > 0 || searching;
  reloadDetailIfChanged(events);
  const shown = JSON.stringify(events);
  if (shown === state.eventsShown) return;
  state.eventsShown = shown;

  const body = $('events');
  body.replaceChildren();
  for (const event of events) {
    const row = body.insertRow();
    row.dataset.eventId = event.id;
    row.classList.toggle('selected', event.id === state.detailId);
    const select = row.insertCell();
    select.className = 'select';
    select.append(checkbox(event.id));
    cell(row, formatTime(event.receivedAt)).title = event.receivedAt ?? '';
    cell(row, event.type, 'type');
    // A button, so that the keyboard opens an event too; its click goes on to the row's.
    const open = element('button', event.id, 'link mono');
    open.type = 'button';
    row.insertCell().append(open);
    cell(row, event.status, `status status-${event.status}`);
    cell(row, String(event.attempts), 'number');
    cell(row, deliveriesText(event), 'number');
    cell(row, event.source ?? 'webhook');
    row.addEventListener('click', (click) => {
      // The checkbox's cell selects for a redrive; the rest of the row opens the detail.
      if (click.target.closest('td.select')) return;
      void showDetail(event.id);
    });
    state.knownTypes.add(event.type);
  }
  $('known-types').replaceChildren(...[...state.knownTypes].sort().map((value) => Object.assign(document.createElement('option'), { value })));
}

function reloadDetailIfChanged(events) {
  const open = events.find((event) => event.id === state.detailId);
  if (!open || state.detailSignature === null || signatureOf(open) === state.detailSignature) return;
  // Noted now, so that the refreshes made while the detail loads do not load it again.
  state.detailSignature = signatureOf(open);
  void loadDetail(open.id);
}

async function search(query) {
  if (query === '') return clearSearch();
  state.search = { query };
  const answer = await refreshEvents();
  // An event id goes straight to its detail.
  if (answer?.kind === 'event' && answer.events.length === 1) await showDetail(answer.events[0].id);
}

function clearSearch() {
  state.search = null;
  $('search').value = '';
  $('search-note').hidden = true;
  void refreshEvents();
}

// ---- Detail ----

let detailRequest = 0;

async function showDetail(eventId) {
  state.detailId = eventId;
  state.detailSignature = null;
  state.replayFor = null;
  $('detail-panel').hidden = false;
  $('detail-id').textContent = eventId;
  $('detail-fields').replaceChildren();
  $('detail-deliveries').replaceChildren();
  $('detail-payload-source').textContent = '';
  $('detail-payload').textContent = 'Loading…';
  $('replay').hidden = true;
  $('replay-confirm').hidden = true;
  $('replay-result').textContent = '';
  for (const row of $('events').rows) row.classList.toggle('selected', row.dataset.eventId === eventId);
  await loadDetail(eventId);
}

async function loadDetail(eventId) {
  const request = ++detailRequest;
  try {
    const event = await api(`/api/events/${encodeURIComponent(eventId)}`);
    if (request !== detailRequest || eventId !== state.detailId) return;
    showError('detail-error');
    renderDetail(event);
  } catch (error) {
    if (request === detailRequest && eventId === state.detailId) showError('detail-error', error);
  }
}

function renderDetail(event) {
  state.detailSignature = signatureOf(event);
  const deadLettered = event.deadLetteredAt
    ? `${formatTime(event.deadLetteredAt)}${event.deadLetterReceiveCount === undefined ? '' : ` after ${plural(event.deadLetterReceiveCount, 'receive')}`}`
    : '—';
  const fields = {
    type: event.type,
    status: event.status,
    attempts: String(event.attempts),
    'last error': event.lastError ?? '—',
    source: event.source ?? 'webhook',
    form: event.form ?? 'snapshot',
    account: event.account ?? 'platform',
    mode: event.livemode ? 'live' : 'test',
    'thin event': event.thinEventId ?? '—',
    object: event.objectId ?? '—',
    created: formatTime(event.created) || '—',
    received: formatTime(event.receivedAt) || '—',
    processed: formatTime(event.processedAt) || '—',
    'receipt latency': formatDuration(event.receiptLatencyMs),
    'completion latency': formatDuration(event.completionLatencyMs),
    deliveries: `${event.deliveries} (${plural(event.duplicatesAbsorbed, 'duplicate')} absorbed)`,
    'dead-lettered': deadLettered,
    ...(event.skippedWrites ? { 'skipped writes': String(event.skippedWrites) } : {}),
  };
  $('detail-fields').replaceChildren(...Object.entries(fields).flatMap(([name, value]) => [element('dt', name), element('dd', value)]));

  const deliveries = $('detail-deliveries');
  deliveries.replaceChildren();
  for (const delivery of event.deliveryLog ?? []) {
    const row = deliveries.insertRow();
    cell(row, formatTime(delivery.at)).title = delivery.at;
    cell(row, delivery.source);
    cell(row, String(delivery.receiveCount ?? ''), 'number');
  }
  if (event.deliveries > (event.deliveryLog ?? []).length) {
    // The ledger keeps the first 20 deliveries and counts on.
    const row = deliveries.insertRow();
    cell(row, `… and ${event.deliveries - event.deliveryLog.length} more, not kept`, 'muted').colSpan = 3;
  }

  const note = [PAYLOAD_SOURCES[event.payloadSource], event.payloadNote].filter(Boolean).join(' ');
  $('detail-payload-source').textContent = note;
  $('detail-payload').textContent = event.payload === undefined ? '(no payload)' : typeof event.payload === 'string' ? event.payload : JSON.stringify(event.payload, null, 2);
  $('replay').hidden = !['completed', 'ignored'].includes(event.status);
}

function closeDetail() {
  state.detailId = null;
  state.detailSignature = null;
  state.replayFor = null;
  $('detail-panel').hidden = true;
  for (const row of $('events').rows) row.classList.remove('selected');
}

// ---- Replay: the plan first, then a confirmed request ----

async function planReplay() {
  const eventId = state.detailId;
  $('replay-result').textContent = '';
  $('replay-confirm').hidden = true;
  try {
    const plan = await api(`/api/events/${encodeURIComponent(eventId)}/replay`);
    if (eventId !== state.detailId) return;
    if (!plan.replayable) {
      $('replay-result').textContent = plan.effect;
      return;
    }
    state.replayFor = eventId;
    $('replay-effect').textContent = plan.effect;
    $('replay-confirm').hidden = false;
  } catch (error) {
    $('replay-result').textContent = `Replay refused: ${error.message}`;
  }
}

async function confirmReplay() {
  const eventId = state.replayFor;
  state.replayFor = null;
  $('replay-confirm').hidden = true;
  if (!eventId) return;
  $('replay-result').textContent = 'Queueing…';
  try {
    const { type, payloadSource } = await api(`/api/events/${encodeURIComponent(eventId)}/replay`, { method: 'POST', body: { confirm: eventId } });
    const from = payloadSource === 'received' ? 'as received by npm start' : "from Stripe's Events API";
    $('replay-result').textContent = `Queued ${type} ${eventId} again, with its payload ${from}. Its attempts go up once the worker has done it.`;
  } catch (error) {
    $('replay-result').textContent = `Replay failed: ${error.message}`;
  }
}

// ---- Dead letters and their redrive ----

async function refreshDeadLetters() {
  try {
    // Listed from the ledger, so looking never touches the queue's messages; the queue's own count beside it.
    const { count, queued, messages } = await api('/api/dlq');
    showError('dlq-error');
    $('dlq-count').textContent = String(count);
    $('dlq-queued').textContent =
      queued === count ? '' : `${plural(queued, 'message')} in the queue now (a message arrives when its visibility timeout ends; several deliveries of one event are several messages)`;
    $('redrive').disabled = count === 0 && queued === 0;
    renderLetters(messages);
  } catch (error) {
    showError('dlq-error', error);
  }
}

function renderLetters(messages) {
  const shown = JSON.stringify(messages);
  if (shown === state.lettersShown) return;
  state.lettersShown = shown;
  $('dlq').replaceChildren(
    ...messages.map((message) => {
      const item = document.createElement('li');
      const open = element('button', `${message.type} · ${message.eventId} · ${message.status} after ${plural(message.receiveCount, 'receive')}`, 'link');
      open.type = 'button';
      open.addEventListener('click', () => void showDetail(message.eventId));
      item.append(checkbox(message.eventId), open);
      if (message.lastError) item.append(element('span', message.lastError, 'error-text'));
      return item;
    }),
  );
  const types = [...new Set(messages.map((message) => message.type))].sort();
  $('dlq-types').replaceChildren(...types.map((value) => Object.assign(document.createElement('option'), { value })));
}

/**
 * Shows what a redrive would move (a dry run: nothing moves), and with `confirm`, asks to move it.
 * `what` names the scope in the confirmation: "every dead letter", "the invoice.paid dead letters"…
 */
async function previewRedrive(request, what, confirm) {
  state.pendingRedrive = null;
  $('redrive-confirm-area').hidden = true;
  $('redrive-result').textContent = '';
  $('redrive-preview-result').hidden = false;
  $('redrive-preview-summary').textContent = 'Looking in the dead-letter queue…';
  $('redrive-preview-list').replaceChildren();
  let preview;
  try {
    preview = await api('/api/dlq/redrive', { method: 'POST', body: { ...request, dryRun: true } });
  } catch (error) {
    $('redrive-preview-summary').textContent = `Preview failed: ${error.message}`;
    return;
  }
  const matched = preview.matched ?? [];
  const missing = preview.notFound.length > 0 ? ` Not in the dead-letter queue: ${preview.notFound.join(', ')}.` : '';
  $('redrive-preview-summary').textContent = `A redrive of ${what} would move ${plural(matched.length, 'message')}.${missing}`;
  $('redrive-preview-list').replaceChildren(
    ...matched.map((letter) => {
      const item = element('li', `${letter.type} · ${letter.eventId} · received ${plural(letter.receiveCount, 'time')}`);
      item.dataset.eventId = letter.eventId;
      return item;
    }),
  );
  if (!confirm) return;
  state.pendingRedrive = { request, what };
  const rate = state.context?.redriveRate;
  // A message still in flight (its visibility timeout running) is not in the preview, but a redrive of all moves it too.
  const emptyNote = matched.length === 0 ? ' The preview found none; any message in flight moves as well.' : '';
  $('redrive-confirm-text').textContent = `Move ${what} back to the event queue${rate ? `, at most ${rate} messages a second` : ''}?${emptyNote}`;
  $('redrive-confirm-area').hidden = false;
}

async function confirmRedrive() {
  const pending = state.pendingRedrive;
  state.pendingRedrive = null;
  $('redrive-confirm-area').hidden = true;
  if (!pending) return;
  $('redrive-result').textContent = 'Moving…';
  try {
    const { moved, started, rate, failed, notFound } = await api('/api/dlq/redrive', { method: 'POST', body: pending.request });
    const refused = failed.length > 0 ? ` ${failed.length} could not be moved: ${failed.map((failure) => `${failure.eventId} (${failure.reason})`).join(', ')}.` : '';
    const missing = notFound.length > 0 ? ` Not in the dead-letter queue: ${notFound.join(', ')}.` : '';
    // A redrive of everything on AWS is SQS's own move task, which goes on after the answer.
    $('redrive-result').textContent = started
      ? `SQS is moving the dead letters back to the queue, at most ${rate} a second: the count above falls as it goes.`
      : `Moved ${moved} message${moved === 1 ? '' : 's'} back to the queue.${refused}${missing}`;
    // What moved is no longer a dead letter to select; what SQS refused stays ticked for another try.
    const stayed = new Set(failed.map((failure) => failure.eventId));
    for (const eventId of pending.request.eventIds ?? []) if (!stayed.has(eventId)) state.checked.delete(eventId);
    showChecked();
    $('redrive-preview-result').hidden = true;
  } catch (error) {
    $('redrive-result').textContent = `Redrive failed: ${error.message}`;
  }
  void refreshAll();
}

function cancelRedrive() {
  state.pendingRedrive = null;
  $('redrive-confirm-area').hidden = true;
  $('redrive-preview-result').hidden = true;
}

// ---- Overview ----

let overviewRequest = 0;

async function refreshOverview() {
  const request = ++overviewRequest;
  try {
    const overview = await api(`/api/overview?${new URLSearchParams({ since: $('overview-range').value })}`);
    if (request !== overviewRequest) return;
    showError('overview-error');
    renderOverview(overview);
  } catch (error) {
    if (request === overviewRequest) showError('overview-error', error);
  }
}

function renderOverview(overview) {
  const totals = [
    ...OVERVIEW_SERIES.map(({ key, label }) => [key, label, String(overview.totals[key])]),
    ['dead-letters', 'in the DLQ', String(overview.deadLetters)],
    ['oldest-queued', 'oldest waiting', overview.oldestQueuedSeconds === undefined ? 'none' : formatDuration(overview.oldestQueuedSeconds * 1000)],
  ];
  $('overview-totals').replaceChildren(
    ...totals.map(([key, label, value]) => {
      const group = element('div', undefined, 'total');
      const number = element('dd', value);
      number.dataset.total = key;
      group.append(number, element('dt', label));
      return group;
    }),
  );
  window.ConsoleChart.draw($('overview-chart'), overview.points, OVERVIEW_SERIES);
  const period = { 60: 'minute', 300: '5 minutes', 3600: 'hour' }[overview.periodSeconds] ?? `${overview.periodSeconds} s`;
  const source = overview.source === 'cloudwatch' ? 'CloudWatch metrics' : 'the ledger';
  $('overview-note').textContent = `Per ${period}, counted from ${source}, ${formatTime(overview.from)} to ${formatTime(overview.to)}.`;
}

function buildLegend() {
  $('overview-legend').replaceChildren(
    ...OVERVIEW_SERIES.map(({ key, label }) => {
      const item = element('li', undefined);
      item.append(element('span', undefined, `swatch series-${key}`), document.createTextNode(label));
      return item;
    }),
  );
}

// ---- Reconcile, accounting ledger, health ----

async function reconcile() {
  $('reconcile').disabled = true;
  $('reconcile-result').textContent = 'Listing events from the Stripe API…';
  const since = $('reconcile-since').value.trim();
  const until = $('reconcile-until').value.trim();
  try {
    const { scanned, known, enqueued, queued } = await api('/api/reconcile', { method: 'POST', body: { ...(since ? { since } : {}), ...(until ? { until } : {}) } });
    const names = queued.map((event) => `${event.type} ${event.eventId}`).join(', ');
    $('reconcile-result').textContent = `Listed ${plural(scanned, 'event')}: ${known} already in the ledger, ${enqueued} queued${enqueued > 0 ? ` (no webhook delivered them: ${names})` : ''}.`;
  } catch (error) {
    $('reconcile-result').textContent = `Reconcile failed: ${error.message}`;
  } finally {
    $('reconcile').disabled = false;
  }
  void refreshAll();
}

async function refreshLedger() {
  if (state.ledger === 'absent') return;
  let totals;
  try {
    ({ totals } = await api('/api/ledger'));
  } catch (error) {
    // npm start has the accounting ledger; a console of its own (npm run console -- --local) does not.
    if (error.status === 404) {
      state.ledger = 'absent';
      $('ledger-panel').hidden = true;
    }
    return;
  }
  $('ledger-panel').hidden = false;
  const body = $('totals');
  body.replaceChildren();
  for (const [currency, total] of Object.entries(totals)) {
    const row = body.insertRow();
    cell(row, currency.toUpperCase());
    cell(row, (total.amount / 100).toFixed(2), 'number');
    cell(row, String(total.entries), 'number');
  }
}

async function refreshHealth() {
  try {
    await api('/health');
    $('health').textContent = 'ready';
    $('health').className = 'pill ready';
  } catch {
    $('health').textContent = 'not ready';
    $('health').className = 'pill not-ready';
  }
}

async function loadContext() {
  try {
    state.context = await api('/api/context');
    $('target-name').textContent = state.context.name;
    document.title = `Stripe events · ${state.context.name}`;
  } catch (error) {
    $('target-name').textContent = error.message;
  }
  // Only npm start's own server has the accounting ledger: a stage's console is not asked (its 404 would log an error).
  if (state.context?.kind !== 'local') state.ledger = 'absent';
}

// ---- Refresh ----

let refreshing = false;

async function refreshAll() {
  // A slow round (a busy machine, a large stage) skips the next tick rather than piling requests up.
  if (refreshing) return;
  refreshing = true;
  try {
    await Promise.allSettled([refreshHealth(), listingDue() ? refreshEvents() : undefined, refreshDeadLetters(), refreshLedger()]);
  } finally {
    refreshing = false;
  }
}

// ---- Wiring ----

let typingTimer;
$('filters').addEventListener('input', (input) => {
  $('filter-since-other').hidden = $('filter-since').value !== 'other';
  // Changing the filters asks for the listing: search results give way to it.
  state.search = null;
  $('search').value = '';
  $('search-note').hidden = true;
  clearTimeout(typingTimer);
  if (input.target.tagName === 'SELECT') {
    if (input.target.value === 'other') $('filter-since-other').focus();
    void refreshEvents();
  } else {
    typingTimer = setTimeout(() => void refreshEvents(), TYPING_PAUSE_MS);
  }
});
$('filters').addEventListener('submit', (submit) => submit.preventDefault());
$('search-form').addEventListener('submit', (submit) => {
  submit.preventDefault();
  void search($('search').value.trim());
});
$('search-clear').addEventListener('click', clearSearch);

$('detail-close').addEventListener('click', closeDetail);
$('replay').addEventListener('click', () => void planReplay());
$('replay-yes').addEventListener('click', () => void confirmReplay());
$('replay-cancel').addEventListener('click', () => {
  state.replayFor = null;
  $('replay-confirm').hidden = true;
});

$('redrive-preview').addEventListener('click', () => void previewRedrive({}, 'every dead letter', false));
$('redrive').addEventListener('click', () => void previewRedrive({}, 'every dead letter', true));
$('redrive-selected').addEventListener('click', () => {
  const eventIds = [...state.checked];
  void previewRedrive({ eventIds }, `the ${plural(eventIds.length, 'selected event')}`, true);
});
$('redrive-type-form').addEventListener('submit', (submit) => {
  submit.preventDefault();
  const type = $('redrive-type').value.trim();
  if (type === '') {
    $('redrive-result').textContent = 'Name the event type to redrive.';
    return;
  }
  void previewRedrive({ type }, `the ${type} dead letters`, true);
});
$('redrive-confirm').addEventListener('click', () => void confirmRedrive());
$('redrive-cancel').addEventListener('click', cancelRedrive);

$('overview-range').addEventListener('change', () => void refreshOverview());
$('reconcile-form').addEventListener('submit', (submit) => {
  submit.preventDefault();
  void reconcile();
});

async function start() {
  buildLegend();
  showChecked();
  await loadContext();
  await Promise.allSettled([refreshAll(), refreshOverview()]);
  // A hidden tab asks nothing: a console left open in the background costs no reads.
  setInterval(() => document.hidden || void refreshAll(), REFRESH_MS);
  setInterval(() => document.hidden || void refreshOverview(), OVERVIEW_REFRESH_MS);
}

void start();
