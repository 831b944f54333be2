// The local console: plain DOM and fetch, no build step. Every value from an event is set with
// textContent, never as HTML: payloads are untrusted input.
'use strict';

const $ = (id) => document.getElementById(id);
let selectedEventId = null;

async function getJson(path, init) {
  const response = await fetch(path, init);
  const body = await response.json();
  if (!response.ok) throw new Error(body?.error?.message ?? `HTTP ${response.status}`);
  return body;
}

function cell(row, text, className) {
  const td = row.insertCell();
  td.textContent = text ?? '';
  if (className) td.className = className;
  return td;
}

async function refreshEvents() {
  const params = new URLSearchParams({ limit: '200' });
  const type = $('filter-type').value.trim();
  const status = $('filter-status').value;
  if (type) params.set('type', type);
  if (status) params.set('status', status);
  const { events } = await getJson(`/api/events?${params}`);
  const body = $('events');
  body.replaceChildren();
  for (const event of events) {
    const row = body.insertRow();
    row.dataset.eventId = event.id;
    if (event.id === selectedEventId) row.classList.add('selected');
    cell(row, event.receivedAt ? new Date(event.receivedAt).toLocaleTimeString() : '');
    cell(row, event.type);
    cell(row, event.id);
    cell(row, event.status, `status-${event.status}`);
    cell(row, String(event.attempts));
    row.addEventListener('click', () => showDetail(event.id));
  }
  $('events-empty').hidden = events.length > 0;
  const types = new Set(events.map((event) => event.type));
  $('known-types').replaceChildren(...[...types].map((value) => Object.assign(document.createElement('option'), { value })));
}

async function showDetail(eventId) {
  selectedEventId = eventId;
  const event = await getJson(`/api/events/${encodeURIComponent(eventId)}`);
  $('detail-panel').hidden = false;
  $('detail-id').textContent = event.id;
  const fields = $('detail-fields');
  fields.replaceChildren();
  const shown = {
    type: event.type,
    status: event.status,
    source: event.source ?? 'webhook',
    form: event.form ?? 'snapshot',
    'thin event': event.thinEventId ?? '—',
    mode: event.livemode ? 'live' : 'test',
    account: event.account ?? 'platform',
    attempts: event.attempts,
    'last error': event.lastError ?? '—',
    received: event.receivedAt,
    processed: event.processedAt ?? '—',
  };
  for (const [name, value] of Object.entries(shown)) {
    fields.append(Object.assign(document.createElement('dt'), { textContent: name }), Object.assign(document.createElement('dd'), { textContent: String(value) }));
  }
  $('detail-payload').textContent = event.payload ? JSON.stringify(event.payload, null, 2) : '(payload not kept: received before this server started)';
  for (const row of $('events').rows) row.classList.toggle('selected', row.dataset.eventId === eventId);
}

async function refreshDeadLetters() {
  // Listed from the ledger, so looking never touches the queue's messages; the queue's own count beside it.
  const { count, queued, messages } = await getJson('/api/dlq');
  $('dlq-count').textContent = String(count);
  $('dlq-queued').textContent = queued === count ? '' : `${queued} message${queued === 1 ? '' : 's'} in the queue now (a message arrives when its visibility timeout ends; several deliveries of one event are several messages)`;
  $('dlq').replaceChildren(...messages.map((message) => Object.assign(document.createElement('li'), { textContent: `${message.type} · ${message.eventId} · ${message.status} after ${message.receiveCount} receives` })));
  $('redrive').disabled = count === 0 && queued === 0;
}

async function refreshLedger() {
  const { totals } = await getJson('/api/ledger');
  const body = $('totals');
  body.replaceChildren();
  for (const [currency, total] of Object.entries(totals)) {
    const row = body.insertRow();
    cell(row, currency.toUpperCase());
    cell(row, (total.amount / 100).toFixed(2));
    cell(row, String(total.entries));
  }
}

async function refreshHealth() {
  try {
    await getJson('/health');
    $('health').textContent = 'ready';
  } catch {
    $('health').textContent = 'not ready';
  }
}

async function refreshAll() {
  await Promise.allSettled([refreshHealth(), refreshEvents(), refreshDeadLetters(), refreshLedger()]);
}

$('redrive').addEventListener('click', async () => {
  const { moved, failed } = await getJson('/api/dlq/redrive', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  const refused = failed.length > 0 ? ` ${failed.length} could not be moved: ${failed.map((failure) => `${failure.eventId} (${failure.reason})`).join(', ')}.` : '';
  $('redrive-result').textContent = `Moved ${moved} message${moved === 1 ? '' : 's'} back to the queue.${refused}`;
  await refreshAll();
});
$('reconcile').addEventListener('click', async () => {
  $('reconcile').disabled = true;
  $('reconcile-result').textContent = 'Listing events from the Stripe API…';
  try {
    const { scanned, known, enqueued, queued } = await getJson('/api/reconcile', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    const names = queued.map((event) => `${event.type} ${event.eventId}`).join(', ');
    $('reconcile-result').textContent = `Listed ${scanned} event${scanned === 1 ? '' : 's'}: ${known} already in the ledger, ${enqueued} queued${enqueued > 0 ? ` (no webhook delivered them: ${names})` : ''}.`;
  } catch (error) {
    $('reconcile-result').textContent = `Reconcile failed: ${error.message}`;
  } finally {
    $('reconcile').disabled = false;
  }
  await refreshAll();
});
$('filters').addEventListener('input', () => void refreshEvents());
$('filters').addEventListener('submit', (event) => event.preventDefault());

void refreshAll();
setInterval(refreshAll, 1500);
