/**
 * The Stripe API stand-in, driven the way the project uses it: through stripe-node, over real HTTP on
 * loopback. Raw `fetch` is used only where stripe-node hides what is asserted (headers, exact bodies,
 * the `/_standin/` routes).
 */
import Stripe from 'stripe';
import { SAMPLE_API_VERSION, sampleEvent, stripeId, type SampleEventType } from '../../local/sample-events';
import stripeObjects from '../../local/stripe-api/fixtures/stripe-objects.json';
import { flatQuery, parseForm } from '../../local/stripe-api/form';
import { sampleMeter, sampleMeterErrorReport, thinNotificationFor } from '../../local/sample-thin-events';
import { STANDIN_API_KEY, startStripeApiStandIn, type StripeApiStandIn } from '../../local/stripe-api/server';

const NOW_MS = Date.parse('2026-11-01T12:00:00Z');
const NOW = NOW_MS / 1000;
const DAY = 86_400;

let standIn: StripeApiStandIn;
let stripe: Stripe;

/** stripe-node pointed at the stand-in; no retries, so each call is one request. */
function client(key: string, config: Stripe.StripeConfig = {}): Stripe {
  return new Stripe(key, { host: '127.0.0.1', port: standIn.port, protocol: 'http', maxNetworkRetries: 0, telemetry: false, ...config });
}

/** The error a call rejects with (fails the test if it resolves). */
async function failure(call: Promise<unknown>): Promise<Stripe.errors.StripeError> {
  try {
    await call;
  } catch (error) {
    return error as Stripe.errors.StripeError;
  }
  throw new Error('expected the call to fail');
}

/** Records `count` events one second apart, oldest first; answers their ids in list order (newest first). */
function recordEvents(count: number, options: { from?: number; type?: SampleEventType; delivered?: boolean } = {}): string[] {
  const from = options.from ?? NOW - 3_600;
  const recorded = Array.from({ length: count }, (_, index) => {
    const event = sampleEvent(options.type ?? 'payment_intent.succeeded', { created: from + index });
    standIn.store.recordEvent(event, { delivered: options.delivered ?? true });
    return event.id;
  });
  return recorded.reverse();
}

const ids = (list: { data: readonly { id: string }[] }) => list.data.map((item) => item.id);

function standInFetch(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${standIn.url}${path}`, { ...init, headers: { authorization: `Bearer ${STANDIN_API_KEY}`, ...init.headers } });
}

beforeAll(async () => {
  standIn = await startStripeApiStandIn({ now: () => NOW_MS });
  stripe = client(STANDIN_API_KEY);
});

afterAll(() => standIn.stop());

beforeEach(async () => {
  standIn.store.reset();
  // A fault a failed test left armed must not leak into the next one; the control route disarms them all.
  await standInFetch('/_standin/faults', { method: 'DELETE' });
});

describe('authentication', () => {
  it('refuses a request without a key, as StripeAuthenticationError with Stripe\'s message', async () => {
    const keyless = client('', { authenticator: async () => undefined });

    const error = await failure(keyless.events.list());

    expect(error).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
    expect(error.statusCode).toBe(401);
    expect(error.message).toMatch(/^You did not provide an API key\. You need to provide your API key in the Authorization header, using Bearer auth/);
  });

  it('refuses a key it does not accept, quoting only its last four characters', async () => {
    const key = 'sk_live_51AbCdEfGhIjKlMnOpQrStUv9876';

    const error = await failure(client(key).events.list());

    expect(error).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
    expect(error.code).toBe('api_key_invalid');
    expect(error.message).toBe('Invalid API Key provided: sk_live_****9876');
    expect(JSON.stringify(error.raw)).not.toContain(key);
  });

  it('accepts any test secret or restricted key by default', async () => {
    recordEvents(1);

    await expect(client('rk_test_anything').events.list()).resolves.toMatchObject({ object: 'list', data: [expect.objectContaining({ object: 'event' })] });
  });

  it('takes the key by Basic auth too, as curl -u sends it', async () => {
    const response = await fetch(`${standIn.url}/v1/events`, { headers: { authorization: `Basic ${Buffer.from(`${STANDIN_API_KEY}:`).toString('base64')}` } });

    expect(response.status).toBe(200);
  });

  it('accepts only the listed keys when given some', async () => {
    const strict = await startStripeApiStandIn({ apiKeys: ['sk_test_only_this_one'] });
    try {
      const other = new Stripe('sk_test_another_1234', { host: '127.0.0.1', port: strict.port, protocol: 'http', maxNetworkRetries: 0 });
      const listed = new Stripe('sk_test_only_this_one', { host: '127.0.0.1', port: strict.port, protocol: 'http', maxNetworkRetries: 0 });

      expect(await failure(other.events.list())).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
      await expect(listed.events.list()).resolves.toMatchObject({ data: [] });
    } finally {
      await strict.stop();
    }
  });
});

describe('GET /v1/events', () => {
  it('lists newest first, and the latest recorded first among events of the same second', async () => {
    const older = sampleEvent('charge.succeeded', { created: NOW - 60 });
    const first = sampleEvent('payment_intent.succeeded', { created: NOW - 10 });
    const second = sampleEvent('payment_intent.created', { created: NOW - 10 });
    for (const event of [second, older, first]) standIn.store.recordEvent(event);

    const list = await stripe.events.list();

    expect(ids(list)).toEqual([first.id, second.id, older.id]);
    expect(list).toMatchObject({ object: 'list', has_more: false, url: '/v1/events' });
  });

  it('returns each event exactly as recorded, API version and all', async () => {
    const event = sampleEvent('invoice.paid', { created: NOW - 5 });
    standIn.store.recordEvent(event);

    const [listed] = (await stripe.events.list()).data;

    expect(listed).toEqual(event);
    expect(listed?.api_version).toBe(SAMPLE_API_VERSION);
  });

  it('pages with starting_after until has_more is false', async () => {
    const all = recordEvents(25);

    const first = await stripe.events.list({ limit: 10 });
    const second = await stripe.events.list({ limit: 10, starting_after: first.data.at(-1)!.id });
    const third = await stripe.events.list({ limit: 10, starting_after: second.data.at(-1)!.id });

    expect([ids(first), ids(second), ids(third)]).toEqual([all.slice(0, 10), all.slice(10, 20), all.slice(20)]);
    expect([first.has_more, second.has_more, third.has_more]).toEqual([true, true, false]);
  });

  it('walks every page with stripe-node\'s auto-pagination', async () => {
    const all = recordEvents(25);
    const before = standIn.requests.length;

    const seen: string[] = [];
    for await (const event of stripe.events.list({ limit: 10 })) seen.push(event.id);

    expect(seen).toEqual(all);
    expect(standIn.requests.slice(before).map((request) => request.query.starting_after)).toEqual([undefined, all[9], all[19]]);
  });

  it('gives the items just before an ending_before cursor, in list order, with has_more for the ones before them', async () => {
    const all = recordEvents(25);

    const page = await stripe.events.list({ limit: 10, ending_before: all[15]! });
    const earlier = await stripe.events.list({ limit: 10, ending_before: page.data[0]!.id });

    expect(ids(page)).toEqual(all.slice(5, 15));
    expect(page.has_more).toBe(true);
    expect(ids(earlier)).toEqual(all.slice(0, 5));
    expect(earlier.has_more).toBe(false);
  });

  it('auto-paginates backwards from ending_before, as stripe-node does', async () => {
    const all = recordEvents(8);

    const seen: string[] = [];
    for await (const event of stripe.events.list({ limit: 3, ending_before: all[7]! })) seen.push(event.id);

    expect(seen).toEqual(all.slice(0, 7).reverse());
  });

  it('answers an unknown cursor with 400 resource_missing naming the parameter', async () => {
    recordEvents(3);

    const error = await failure(stripe.events.list({ starting_after: 'evt_unknown' }));

    expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(error).toMatchObject({ statusCode: 400, code: 'resource_missing', param: 'starting_after', message: "No such event: 'evt_unknown'" });
  });

  it('filters by a created range and by an exact created time', async () => {
    const all = recordEvents(10, { from: NOW - 100 }); // all[k] was created at NOW - 91 - k

    const range = await stripe.events.list({ created: { gte: NOW - 97, lt: NOW - 94 } });
    const exact = await stripe.events.list({ created: NOW - 100 });
    const open = await stripe.events.list({ created: { gt: NOW - 93 } });

    expect(ids(range)).toEqual(all.slice(4, 7));
    expect(ids(exact)).toEqual([all[9]]);
    expect(ids(open)).toEqual(all.slice(0, 2));
  });

  it('filters by type, exactly or with a * wildcard', async () => {
    const [failed] = recordEvents(1, { type: 'payment_intent.payment_failed', from: NOW - 100 });
    const [charge] = recordEvents(1, { type: 'charge.succeeded', from: NOW - 200 });
    const [succeeded] = recordEvents(1, { type: 'payment_intent.succeeded', from: NOW - 300 });

    expect(ids(await stripe.events.list({ type: 'payment_intent.succeeded' }))).toEqual([succeeded]);
    expect(ids(await stripe.events.list({ type: 'payment_intent.*' }))).toEqual([failed, succeeded]);
    expect(ids(await stripe.events.list({ type: '*.succeeded' }))).toEqual([charge, succeeded]);
  });

  it('filters by up to 20 types', async () => {
    const [invoice] = recordEvents(1, { type: 'invoice.paid', from: NOW - 10 });
    const [payout] = recordEvents(1, { type: 'payout.paid', from: NOW - 20 });
    recordEvents(1, { type: 'charge.refunded', from: NOW - 30 });

    const list = await stripe.events.list({ types: ['invoice.paid', 'payout.paid'] });

    expect(ids(list)).toEqual([invoice, payout]);
  });

  it('refuses more than 20 types, and type together with types', async () => {
    const types = Array.from({ length: 21 }, (_, index) => `type.number_${index}`);

    const tooMany = await failure(stripe.events.list({ types }));
    const both = await failure(stripe.events.list({ type: 'invoice.paid', types: ['payout.paid'] }));

    expect(tooMany).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(tooMany.param).toBe('types');
    expect(tooMany.message).toMatch(/types.*at most 20/);
    expect(both).toMatchObject({ statusCode: 400, param: 'types' });
  });

  it('reads types sent as types[] as well as types[0]', async () => {
    const [invoice] = recordEvents(1, { type: 'invoice.paid', from: NOW - 10 });
    recordEvents(1, { type: 'charge.refunded', from: NOW - 30 });

    const response = await standInFetch('/v1/events?types[]=invoice.paid&types[]=payout.paid');

    expect(ids((await response.json()) as { data: { id: string }[] })).toEqual([invoice]);
  });

  it('filters by delivery_success', async () => {
    const delivered = recordEvents(2, { from: NOW - 100 });
    const pending = recordEvents(1, { from: NOW - 10, delivered: false });

    expect(ids(await stripe.events.list({ delivery_success: false }))).toEqual(pending);
    expect(ids(await stripe.events.list({ delivery_success: true }))).toEqual(delivered);
  });

  it('refuses a limit outside 1–100 and a parameter Stripe does not know', async () => {
    const tooBig = await failure(stripe.events.list({ limit: 101 }));
    const zero = await failure(stripe.events.list({ limit: 0 }));
    const unknown = await failure(stripe.events.list({ colour: 'blue' } as Stripe.EventListParams));

    expect(tooBig).toMatchObject({ statusCode: 400, param: 'limit' });
    expect(zero).toMatchObject({ statusCode: 400, param: 'limit' });
    expect(unknown).toMatchObject({ statusCode: 400, code: 'parameter_unknown', message: 'Received unknown parameter: colour' });
  });

  it('keeps events 30 days: older ones are neither listed nor retrievable', async () => {
    const kept = sampleEvent('payout.paid', { created: NOW - 29 * DAY });
    const expired = sampleEvent('payout.paid', { created: NOW - 31 * DAY });
    standIn.store.recordEvent(kept);
    standIn.store.recordEvent(expired);

    const list = await stripe.events.list({ limit: 100 });
    const error = await failure(stripe.events.retrieve(expired.id));

    expect(ids(list)).toEqual([kept.id]);
    expect(error).toMatchObject({ statusCode: 404, code: 'resource_missing' });
    expect(standIn.store.event(expired.id)).toEqual(expired);
  });
});

describe('GET /v1/events/{id}', () => {
  it('returns the recorded event', async () => {
    const event = sampleEvent('customer.subscription.updated', { created: NOW - 1, previousAttributes: { status: 'active' } });
    standIn.store.recordEvent(event);

    await expect(stripe.events.retrieve(event.id)).resolves.toEqual(event);
  });

  it('answers an unknown id with 404 resource_missing', async () => {
    const error = await failure(stripe.events.retrieve('evt_missing'));

    expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(error).toMatchObject({ statusCode: 404, code: 'resource_missing', param: 'id', message: "No such event: 'evt_missing'" });
  });
});

describe('GET /v1/{collection}/{id}', () => {
  it('returns the latest state of an object, by the created time of the events that carried it', async () => {
    const id = stripeId('pi');
    const created = sampleEvent('payment_intent.created', { created: NOW - 30, object: { id } });
    const succeeded = sampleEvent('payment_intent.succeeded', { created: NOW - 20, object: { id } });
    const lateArrival = sampleEvent('payment_intent.payment_failed', { created: NOW - 25, object: { id, status: 'processing' } });
    for (const event of [created, succeeded, lateArrival]) standIn.store.recordEvent(event);

    const intent = await stripe.paymentIntents.retrieve(id);

    expect(intent).toEqual(succeeded.data.object);
    expect(intent.status).toBe('succeeded');
  });

  it('serves nested collections such as checkout sessions', async () => {
    const event = sampleEvent('checkout.session.completed', { created: NOW - 5 });
    standIn.store.recordEvent(event);

    const session = await stripe.checkout.sessions.retrieve(event.data.object.id);

    expect(session).toEqual(event.data.object);
  });

  it('answers 404 for an unknown id, and for an object of another collection', async () => {
    const event = sampleEvent('payment_intent.succeeded', { created: NOW - 5 });
    standIn.store.recordEvent(event);

    const unknown = await failure(stripe.customers.retrieve('cus_missing'));
    const wrongCollection = await failure(stripe.charges.retrieve(event.data.object.id));

    expect(unknown).toMatchObject({ statusCode: 404, code: 'resource_missing', param: 'id', message: "No such customer: 'cus_missing'" });
    expect(wrongCollection).toMatchObject({ statusCode: 404, message: `No such charge: '${event.data.object.id}'` });
  });
});

describe('thin events: GET /v2/core/events/{id} and the objects they name', () => {
  type FetchingNotification = Stripe.V2.Core.EventNotification & { fetchRelatedObject(): Promise<unknown> };
  /** stripe-node's own reading of a pushed notification, whose fetchEvent and fetchRelatedObject the worker calls. */
  const parsed = (notification: object) => stripe.parseEventNotificationWithoutVerification(JSON.stringify(notification)) as FetchingNotification;

  it('answers stripe-node\'s fetchEvent with the v2 event recorded, and fetchRelatedObject with the object it names', async () => {
    const meter = sampleMeter();
    const sample = sampleMeterErrorReport({ created: new Date(NOW_MS - 60_000), meter });
    standIn.store.recordThinEvent(sample.event, { relatedObject: sample.relatedObject });
    const before = standIn.requests.length;

    const notification = parsed(sample.notification);
    const event = await notification.fetchEvent();
    const related = await notification.fetchRelatedObject();

    expect(event).toEqual(sample.event);
    expect(event).toMatchObject({ object: 'v2.core.event', type: 'v1.billing.meter.error_report_triggered', created: sample.notification.created });
    expect(related).toEqual(meter);
    expect(standIn.requests.slice(before).map((request) => `${request.method} ${request.path}`)).toEqual([
      `GET /v2/core/events/${sample.notification.id}`,
      `GET /v1/billing/meters/${meter.id}`,
    ]);
  });

  it('keeps context, snapshot_event and related_object of a thin v1 event, whose snapshot and object the v1 routes answer', async () => {
    const snapshot = { ...sampleEvent('payment_intent.succeeded', { created: NOW - 30 }), account: 'acct_1Connected' };
    const notification = thinNotificationFor(snapshot);
    standIn.store.recordEvent(snapshot);
    standIn.store.recordThinEvent(notification);

    const event = await parsed(notification).fetchEvent();
    const related = await parsed(notification).fetchRelatedObject();

    expect(event).toEqual(notification);
    expect(event).toMatchObject({ context: 'acct_1Connected', snapshot_event: snapshot.id, related_object: { id: snapshot.data.object.id, type: 'payment_intent' } });
    await expect(stripe.events.retrieve(notification.snapshot_event!)).resolves.toEqual(snapshot);
    expect(related).toEqual(snapshot.data.object);
  });

  it('answers an unknown id with v2\'s 404, which stripe-node throws as a StripeError with statusCode 404', async () => {
    const notification = sampleMeterErrorReport({ created: new Date(NOW_MS) }).notification;

    const error = await failure(parsed(notification).fetchEvent());
    const raw = await standInFetch(`/v2/core/events/${notification.id}`);

    expect(error).toBeInstanceOf(Stripe.errors.StripeError);
    expect(error).toMatchObject({ statusCode: 404, code: 'not_found', message: `No such event: '${notification.id}'` });
    expect(raw.status).toBe(404);
    expect(await raw.json()).toEqual({ error: { type: 'not_found', code: 'not_found', message: `No such event: '${notification.id}'` } });
  });

  it('keeps v2 events out of /v1/events, and snapshot events out of /v2/core/events', async () => {
    const [snapshotId] = recordEvents(1);
    const sample = sampleMeterErrorReport({ created: new Date(NOW_MS - 5_000) });
    standIn.store.recordThinEvent(sample.event, { relatedObject: sample.relatedObject });

    const list = await stripe.events.list({ limit: 100 });
    const v1Retrieve = await failure(stripe.events.retrieve(sample.notification.id));
    const v2Retrieve = await failure(parsed({ ...sample.notification, id: snapshotId }).fetchEvent());

    expect(ids(list)).toEqual([snapshotId]);
    expect(v1Retrieve).toMatchObject({ statusCode: 404, code: 'resource_missing' });
    expect(v2Retrieve).toMatchObject({ statusCode: 404, code: 'not_found' });
    expect(standIn.store.events.map((event) => event.id)).toEqual([snapshotId]);
    expect(standIn.store.thinEvent(sample.notification.id)).toEqual(sample.event);
  });

  it('keeps v2 events 30 days, as Stripe does', async () => {
    const kept = sampleMeterErrorReport({ created: new Date(NOW_MS - 29 * DAY * 1000) });
    const expired = sampleMeterErrorReport({ created: new Date(NOW_MS - 31 * DAY * 1000) });
    for (const sample of [kept, expired]) standIn.store.recordThinEvent(sample.event);

    await expect(parsed(kept.notification).fetchEvent()).resolves.toEqual(kept.event);
    expect(await failure(parsed(expired.notification).fetchEvent())).toMatchObject({ statusCode: 404 });
  });

  it('answers a meter\'s URL with its state from the latest event that carried it', async () => {
    const id = stripeId('mtr_test');
    const older = sampleMeterErrorReport({ created: new Date(NOW_MS - 20_000), meter: sampleMeter({ id, displayName: 'older' }) });
    const newer = sampleMeterErrorReport({ created: new Date(NOW_MS - 10_000), meter: sampleMeter({ id, displayName: 'newer' }) });
    for (const sample of [newer, older]) standIn.store.recordThinEvent(sample.event, { relatedObject: sample.relatedObject });

    const meter = await stripe.billing.meters.retrieve(id);
    const raw = await stripe.rawRequest('GET', `/v1/billing/meters/${id}`);

    expect(meter.display_name).toBe('newer');
    expect(raw).toMatchObject({ id, object: 'billing.meter', display_name: 'newer' });
    expect(await failure(stripe.billing.meters.retrieve('mtr_missing'))).toMatchObject({ statusCode: 404, message: "No such billing.meter: 'mtr_missing'" });
  });

  it('answers a subscription\'s URL with its latest state, as a handler\'s current-object read asks', async () => {
    const id = stripeId('sub');
    const created = sampleEvent('customer.subscription.created', { created: NOW - 20, object: { id } });
    const updated = sampleEvent('customer.subscription.updated', { created: NOW - 10, object: { id } });
    for (const event of [updated, created]) standIn.store.recordEvent(event);

    const subscription = await stripe.subscriptions.retrieve(id);
    const raw = await stripe.rawRequest('GET', `/v1/subscriptions/${id}`);

    expect(subscription).toEqual(updated.data.object);
    expect(subscription.status).toBe('past_due');
    expect(raw).toMatchObject({ id, object: 'subscription', status: 'past_due' });
  });

  it('meets injected faults on /v2 paths: a 404 in v2\'s shape, a 503, then the event', async () => {
    const sample = sampleMeterErrorReport({ created: new Date(NOW_MS - 1_000) });
    standIn.store.recordThinEvent(sample.event, { relatedObject: sample.relatedObject });
    standIn.injectFault({ method: 'GET', path: /^\/v2\/core\/events\//, status: 404, times: 1 });
    standIn.injectFault({ method: 'GET', path: /^\/v2\//, status: 503, times: 1 });

    const missing = await failure(parsed(sample.notification).fetchEvent());
    const unavailable = await failure(parsed(sample.notification).fetchEvent());
    const event = await parsed(sample.notification).fetchEvent();

    expect(missing).toMatchObject({ statusCode: 404, code: 'not_found', rawType: 'not_found' });
    expect(unavailable).toMatchObject({ statusCode: 503 });
    expect(event).toEqual(sample.event);
  });

  it('refuses a related object other than the one the event names', () => {
    const sample = sampleMeterErrorReport();

    expect(() => standIn.store.recordThinEvent(sample.event, { relatedObject: sampleMeter() })).toThrow(RangeError);
    expect(() => standIn.store.recordThinEvent({ ...sample.event, created: 'yesterday' })).toThrow(RangeError);
    expect(standIn.store.thinEvent(sample.notification.id)).toBeUndefined();
  });
});

describe('the Webhook Endpoints API', () => {
  const create = (params: Partial<Stripe.WebhookEndpointCreateParams> = {}) =>
    stripe.webhookEndpoints.create({ url: 'https://example.com/webhook', enabled_events: ['payment_intent.succeeded', 'charge.refunded'], ...params });

  it('creates an endpoint in Stripe\'s shape, with its secret this once', async () => {
    const endpoint = await create();

    expect(Object.keys(endpoint).sort()).toEqual([...Object.keys(stripeObjects.webhook_endpoint), 'secret'].sort());
    expect(endpoint).toEqual({
      id: expect.stringMatching(/^we_[A-Za-z0-9]{24}$/),
      object: 'webhook_endpoint',
      api_version: null,
      application: null,
      created: NOW,
      description: null,
      enabled_events: ['payment_intent.succeeded', 'charge.refunded'],
      livemode: false,
      metadata: {},
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9]{32}$/),
      status: 'enabled',
      url: 'https://example.com/webhook',
    });
  });

  it('keeps the api_version, description and metadata it is given', async () => {
    const endpoint = await create({ api_version: '2026-10-28.endive' as Stripe.WebhookEndpointCreateParams.ApiVersion, description: 'pipeline', metadata: { stage: 'dev' } });

    expect(endpoint).toMatchObject({ api_version: '2026-10-28.endive', description: 'pipeline', metadata: { stage: 'dev' } });
  });

  it('refuses a malformed api_version, a URL that is not http(s) and missing enabled_events', async () => {
    const version = await failure(create({ api_version: 'latest' as Stripe.WebhookEndpointCreateParams.ApiVersion }));
    const url = await failure(create({ url: 'ftp://example.com/webhook' }));
    const events = await failure(stripe.webhookEndpoints.create({ url: 'https://example.com/webhook' } as Stripe.WebhookEndpointCreateParams));

    expect(version).toMatchObject({ statusCode: 400, param: 'api_version' });
    expect(url).toMatchObject({ statusCode: 400, param: 'url' });
    expect(events).toMatchObject({ statusCode: 400, code: 'parameter_missing', param: 'enabled_events' });
    expect(standIn.store.endpoints()).toEqual([]);
  });

  it('retrieves an endpoint without its secret', async () => {
    const { secret, ...created } = await create();

    const endpoint = await stripe.webhookEndpoints.retrieve(created.id);

    expect(secret).toMatch(/^whsec_/);
    expect(endpoint).toEqual(created);
    expect(endpoint).not.toHaveProperty('secret');
  });

  it('merges metadata on update, deleting keys set to an empty value', async () => {
    const { id } = await create({ metadata: { stage: 'dev', team: 'payments' } });

    const updated = await stripe.webhookEndpoints.update(id, { metadata: { team: '', owner: 'ops' }, description: 'renamed' });

    expect(updated.metadata).toEqual({ stage: 'dev', owner: 'ops' });
    expect(updated.description).toBe('renamed');
    expect(updated).not.toHaveProperty('secret');
  });

  it('disables and enables an endpoint, and changes its url and events', async () => {
    const { id } = await create();

    const disabled = await stripe.webhookEndpoints.update(id, { disabled: true, url: 'https://example.com/other', enabled_events: ['*'] });
    const enabled = await stripe.webhookEndpoints.update(id, { disabled: false });

    expect(disabled).toMatchObject({ status: 'disabled', url: 'https://example.com/other', enabled_events: ['*'] });
    expect(enabled.status).toBe('enabled');
    expect((await stripe.webhookEndpoints.retrieve(id)).status).toBe('enabled');
  });

  it('does not let api_version change, as Stripe does not', async () => {
    const { id } = await create({ api_version: '2026-10-28.endive' as Stripe.WebhookEndpointCreateParams.ApiVersion });

    const error = await failure(stripe.webhookEndpoints.update(id, { api_version: '2027-01-01' } as Stripe.WebhookEndpointUpdateParams));

    expect(error).toMatchObject({ statusCode: 400, code: 'parameter_unknown', param: 'api_version', message: 'Received unknown parameter: api_version' });
    expect((await stripe.webhookEndpoints.retrieve(id)).api_version).toBe('2026-10-28.endive');
  });

  it('lists endpoints newest first, a page at a time', async () => {
    const created: string[] = [];
    for (let index = 0; index < 3; index++) created.unshift((await create({ description: `endpoint ${index}` })).id);

    const first = await stripe.webhookEndpoints.list({ limit: 2 });
    const rest = await stripe.webhookEndpoints.list({ limit: 2, starting_after: first.data[1]!.id });

    expect(ids(first)).toEqual(created.slice(0, 2));
    expect(first).toMatchObject({ object: 'list', has_more: true, url: '/v1/webhook_endpoints' });
    expect(ids(rest)).toEqual(created.slice(2));
    expect(rest.has_more).toBe(false);
  });

  it('deletes an endpoint, answering Stripe\'s deleted object, after which it is gone', async () => {
    const { id } = await create();

    const deleted = await stripe.webhookEndpoints.del(id);
    const error = await failure(stripe.webhookEndpoints.retrieve(id));

    expect(deleted).toEqual({ ...stripeObjects.deleted_webhook_endpoint, id });
    expect(error).toMatchObject({ statusCode: 404, code: 'resource_missing', message: `No such webhook endpoint: '${id}'` });
    expect(await failure(stripe.webhookEndpoints.del(id))).toMatchObject({ statusCode: 404 });
  });

  it('allows at most 16 endpoints', async () => {
    for (let index = 0; index < 16; index++) await create();

    const error = await failure(create());

    expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(error.message).toMatch(/maximum of 16/);
    expect(standIn.store.endpoints()).toHaveLength(16);
  });
});

describe('responses and faults', () => {
  it('answers an unknown route with Stripe\'s 404, as JSON with a request id', async () => {
    const response = await standInFetch('/v1/nope');

    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('request-id')).toMatch(/^req_[A-Za-z0-9]{14}$/);
    expect(await response.json()).toEqual({
      error: {
        type: 'invalid_request_error',
        message: 'Unrecognized request URL (GET: /v1/nope). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.',
      },
    });
  });

  it('answers an injected 429 with Retry-After, then goes back to normal', async () => {
    recordEvents(1);
    standIn.injectFault({ method: 'GET', path: /^\/v1\/events$/, status: 429, times: 1, retryAfterSeconds: 7 });

    const limited = await standInFetch('/v1/events');
    const next = await standInFetch('/v1/events');

    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('7');
    expect(await limited.json()).toMatchObject({ error: { type: 'invalid_request_error', code: 'rate_limit' } });
    expect(next.status).toBe(200);
  });

  it('shows an injected 429 to stripe-node as StripeRateLimitError carrying Retry-After', async () => {
    standIn.injectFault({ path: /^\/v1\/events/, status: 429, times: 1, retryAfterSeconds: 3 });

    const error = await failure(stripe.events.list());

    expect(error).toBeInstanceOf(Stripe.errors.StripeRateLimitError);
    expect(error.headers?.['retry-after']).toBe('3');
  });

  it('counts a fault per matching request, leaving other methods and paths alone', async () => {
    recordEvents(1);
    standIn.injectFault({ method: 'GET', path: /^\/v1\/events$/, status: 503, times: 2 });
    const retrying = client(STANDIN_API_KEY, { maxNetworkRetries: 1 });

    const other = await stripe.webhookEndpoints.list();
    const error = await failure(retrying.events.list());
    const recovered = await stripe.events.list();

    expect(other.data).toEqual([]);
    expect(error).toBeInstanceOf(Stripe.errors.StripeAPIError);
    expect(error.statusCode).toBe(503);
    expect(recovered.data).toHaveLength(1);
  });

  it('limits reads per second when asked, with Retry-After, and lets writes through', async () => {
    let now = NOW_MS;
    const limited = await startStripeApiStandIn({ readsPerSecond: 2, now: () => now });
    try {
      const api = new Stripe(STANDIN_API_KEY, { host: '127.0.0.1', port: limited.port, protocol: 'http', maxNetworkRetries: 0 });
      await api.events.list();
      await api.events.list();

      const third = await failure(api.events.list());
      const write = await api.webhookEndpoints.create({ url: 'https://example.com/webhook', enabled_events: ['*'] });
      now += 1_000;
      const afterASecond = await api.events.list();

      expect(third).toBeInstanceOf(Stripe.errors.StripeRateLimitError);
      expect(third.headers?.['retry-after']).toBe('1');
      expect(write.status).toBe('enabled');
      expect(afterASecond.object).toBe('list');
    } finally {
      await limited.stop();
    }
  });
});

describe('the /_standin/ routes', () => {
  it('record an event posted as JSON, which stripe.events.retrieve then returns', async () => {
    const event = sampleEvent('charge.refunded', { created: NOW - 3 });

    const response = await standInFetch('/_standin/events', { method: 'POST', body: JSON.stringify({ event, delivered: false }) });

    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({ recorded: event.id });
    await expect(stripe.events.retrieve(event.id)).resolves.toEqual(event);
    expect(ids(await stripe.events.list({ delivery_success: false }))).toEqual([event.id]);
  });

  it('record a v2 event posted as JSON with its related object, which fetchEvent and the object\'s URL then answer', async () => {
    const sample = sampleMeterErrorReport({ created: new Date(NOW_MS - 2_000) });

    const response = await standInFetch('/_standin/events', { method: 'POST', body: JSON.stringify({ event: sample.event, relatedObject: sample.relatedObject }) });

    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({ recorded: sample.notification.id });
    await expect(stripe.parseEventNotificationWithoutVerification(JSON.stringify(sample.notification)).fetchEvent()).resolves.toEqual(sample.event);
    await expect(stripe.billing.meters.retrieve(sample.notification.related_object!.id)).resolves.toEqual(sample.relatedObject);
    expect(standIn.store.events).toEqual([]);
  });

  it('refuse a v2 event with an epoch created time, or a related object it does not name', async () => {
    const sample = sampleMeterErrorReport({ created: new Date(NOW_MS - 2_000) });
    const post = (body: unknown) => standInFetch('/_standin/events', { method: 'POST', body: JSON.stringify(body) });

    const epoch = await post({ event: { ...sample.event, created: NOW } });
    const otherObject = await post({ event: sample.event, relatedObject: sampleMeter() });
    const onSnapshot = await post({ event: sampleEvent('payout.paid', { created: NOW }), relatedObject: sample.relatedObject });

    expect(epoch.status).toBe(400);
    expect(await epoch.json()).toMatchObject({ error: { param: 'event.created' } });
    expect(otherObject.status).toBe(400);
    expect(await otherObject.json()).toMatchObject({ error: { param: 'relatedObject' } });
    expect(onSnapshot.status).toBe(400);
    expect(standIn.store.thinEvent(sample.notification.id)).toBeUndefined();
    expect(standIn.store.events).toEqual([]);
  });

  it('refuse a body that is not JSON, or not a Stripe event', async () => {
    const notJson = await standInFetch('/_standin/events', { method: 'POST', body: 'event=evt_1' });
    const notEvent = await standInFetch('/_standin/events', { method: 'POST', body: JSON.stringify({ event: { id: 'evt_1', created: NOW, type: 'invoice.paid' } }) });

    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
    expect(notEvent.status).toBe(400);
    expect(await notEvent.json()).toMatchObject({ error: { param: 'event.object' } });
    expect(standIn.store.events).toEqual([]);
  });

  it('need the API key too', async () => {
    const response = await fetch(`${standIn.url}/_standin/requests`);

    expect(response.status).toBe(401);
  });

  it('inject and clear faults for another process', async () => {
    const inject = await standInFetch('/_standin/faults', { method: 'POST', body: JSON.stringify({ path: '^/v1/events', status: 500, times: 5 }) });
    const failing = await failure(stripe.events.list());
    const clear = await standInFetch('/_standin/faults', { method: 'DELETE' });

    expect(inject.status).toBe(200);
    expect(failing).toMatchObject({ statusCode: 500, type: 'StripeAPIError' });
    expect(await clear.json()).toEqual({ cleared: 1 });
    await expect(stripe.events.list()).resolves.toMatchObject({ object: 'list' });
  });

  it('list the requests received, with their query, without headers', async () => {
    const before = standIn.requests.length;
    await stripe.events.list({ types: ['invoice.paid', 'payout.paid'], created: { gte: NOW - 60 }, limit: 5 });

    const response = await standInFetch('/_standin/requests');
    const { requests } = (await response.json()) as { requests: unknown[] };

    expect(requests.slice(before)).toEqual([
      { method: 'GET', path: '/v1/events', query: { types: ['invoice.paid', 'payout.paid'], 'created[gte]': String(NOW - 60), limit: '5' } },
    ]);
    expect(JSON.stringify(requests)).not.toContain(STANDIN_API_KEY);
  });
});

describe('parseForm', () => {
  it('reads stripe-node\'s indexed arrays, hashes and plain values', () => {
    expect(parseForm('enabled_events[0]=a&enabled_events[1]=b&metadata[stage]=dev&description=x')).toEqual({
      enabled_events: ['a', 'b'],
      metadata: { stage: 'dev' },
      description: 'x',
    });
  });

  it('reads [] arrays, nested ranges and escapes', () => {
    expect(parseForm('created[gte]=1&types[]=a&types[]=b&url=https%3A%2F%2Fexample.com%2Fa+b')).toEqual({
      created: { gte: '1' },
      types: ['a', 'b'],
      url: 'https://example.com/a b',
    });
  });

  it('keeps a __proto__ key as a plain key', () => {
    const parsed = parseForm('metadata[__proto__]=x&__proto__[polluted]=yes');

    expect(Object.getPrototypeOf(parsed.metadata)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('flatQuery', () => {
  it('gives strings and string arrays, for the request log', () => {
    expect(flatQuery('created[gte]=1&types[0]=a&types[1]=b&limit=3')).toEqual({ 'created[gte]': '1', types: ['a', 'b'], limit: '3' });
  });
});
