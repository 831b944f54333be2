/**
 * State that stays true: realistic sequences through the worker core against DynamoDB Local, read back
 * through the ops readers. A canceled subscription is never made active again by another object's
 * event; a customer's subscriptions never overwrite each other; a tie within one second is decided by
 * the subscription's current state when an API key is configured, and by rank without one;
 * aggregates never mix modes or accounts; and a thin-only meter error report names its meter.
 */
import type Stripe from 'stripe';
import { createDynamoDbClient } from '../../functions/shared/clients';
import { loadWorkerConfig } from '../../functions/shared/config';
import { snapshotEnvelope, thinEnvelope } from '../../functions/shared/envelope';
import { projectionKeys } from '../../functions/shared/projection-keys';
import type { LedgerRecord } from '../../functions/worker/ledger';
import { processEvent, type ProcessDeps } from '../../functions/worker/process-event';
import { currentObjectsOfBatch, type StripeReads } from '../../functions/worker/stripe-reads';
import { workerDeps } from '../../functions/worker/wiring';
import { LOCAL_AWS } from '../../local/emulators';
import { sampleEvent } from '../../local/sample-events';
import { sampleMeter, sampleMeterErrorReport } from '../../local/sample-thin-events';
import type { StripeApiStandIn } from '../../local/stripe-api/server';
import { getAccountingLedger, getBalance, getCustomer } from '../../ops/projection-reads';
import { emulatorEndpoints, freshResources, getItem } from '../helpers/aws';
import { recordingCount, recordingLog } from '../helpers/recorders';
import { startStandInReads } from '../helpers/standin-reads';

const newClient = () => createDynamoDbClient({ endpoint: emulatorEndpoints().dynamodb, ...LOCAL_AWS });

/** Epoch seconds, in the past: a fetch made now is always newer than these events. */
const T = 1_760_000_000;

type SubscriptionType = 'customer.subscription.created' | 'customer.subscription.updated' | 'customer.subscription.deleted';

describe('state that stays true', () => {
  const db = newClient();
  let tables: { ledgerTableName: string; projectionsTableName: string };

  /** A real Stripe API for the fetch policy and thin events: the stand-in, in-process. */
  let standIn: StripeApiStandIn;
  let reads: StripeReads;

  beforeAll(async () => {
    ({ standIn, reads } = await startStandInReads());
  });
  beforeEach(async () => {
    const resources = await freshResources();
    tables = { ledgerTableName: resources.ledgerTableName, projectionsTableName: resources.projectionsTableName };
  });
  afterAll(async () => {
    db.destroy();
    await standIn.stop();
  });

  /** The worker's dependencies from its one wiring, over the test's tables; with `reads`, the fetch policy is on. */
  function depsFor(withReads?: StripeReads, log = recordingLog()): ProcessDeps {
    return workerDeps({
      config: loadWorkerConfig({ LEDGER_TABLE_NAME: tables.ledgerTableName, PROJECTIONS_TABLE_NAME: tables.projectionsTableName }),
      db,
      log,
      count: recordingCount(),
      ...(withReads ? { reads: withReads } : {}),
    });
  }

  /**
   * Each event as its own SQS batch would deliver it: with reads, the batch's current-object reads (as
   * sqs-batch.ts sets them up), so a handler that asks for its object's current state gets it.
   */
  async function deliver(deps: ProcessDeps, ...events: Stripe.Event[]) {
    for (const event of events) {
      const batch = deps.reads ? { ...deps, currentObject: currentObjectsOfBatch(deps.reads, deps.now) } : deps;
      expect(await processEvent(snapshotEnvelope(event, { source: 'webhook' }), {}, batch)).toBe('completed');
    }
  }

  const customerView = (customerId: string) => getCustomer(db, tables.projectionsTableName, customerId);
  const subscriptionOf = async (customerId: string, subscriptionId: string) => (await customerView(customerId))?.subscriptions.find((view) => view.subscriptionId === subscriptionId);
  const ledgerRecord = (eventId: string) => getItem<LedgerRecord>(db, tables.ledgerTableName, { eventId });

  const subscriptionEvent = (type: SubscriptionType, customer: string, id: string, created: number, object: Record<string, unknown> = {}) =>
    sampleEvent(type, { created, object: { customer, id, ...object } });
  const subscriptionInvoicePaid = (customer: string, subscription: string, created: number) =>
    sampleEvent('invoice.paid', { created, object: { customer, parent: { type: 'subscription_details', subscription_details: { subscription, metadata: {} }, quote_details: null } } });

  describe('(a) an invoice paid a few seconds after its subscription was deleted', () => {
    it.each([
      ['deleted first, then the invoice', ['deleted', 'paid']],
      ['the invoice first, then the deletion', ['paid', 'deleted']],
    ] as const)('leaves the membership canceled: %s', async (_, order) => {
      const deps = depsFor();
      const customer = 'cus_final_invoice';
      const created = subscriptionEvent('customer.subscription.created', customer, 'sub_1', T - 86_400, { status: 'active' });
      const deleted = subscriptionEvent('customer.subscription.deleted', customer, 'sub_1', T);
      // Stripe pays the subscription's final invoice (prorations, usage) just after the cancellation.
      const paid = subscriptionInvoicePaid(customer, 'sub_1', T + 3);
      const byName = { deleted, paid };

      await deliver(deps, created, ...order.map((name) => byName[name]));

      const view = await customerView(customer);
      expect(view?.membership).toMatchObject({ active: false, status: 'canceled', subscriptionId: 'sub_1' });
      expect(view?.subscriptions).toEqual([
        expect.objectContaining({ subscriptionId: 'sub_1', status: 'canceled', invoicePayment: expect.objectContaining({ lastInvoiceId: paid.data.object.id, lastPaymentStatus: 'paid' }) }),
      ]);
    });
  });

  it('(b) a one-off invoice for a customer whose subscription is canceled leaves the membership canceled', async () => {
    const deps = depsFor();
    const customer = 'cus_one_off';
    const oneOff = sampleEvent('invoice.paid', { created: T + 60, object: { customer, parent: null } });

    await deliver(
      deps,
      subscriptionEvent('customer.subscription.created', customer, 'sub_1', T - 86_400, { status: 'active' }),
      subscriptionEvent('customer.subscription.deleted', customer, 'sub_1', T),
      oneOff,
    );

    const view = await customerView(customer);
    expect(view?.membership).toMatchObject({ active: false, status: 'canceled' });
    expect(view?.subscriptions.map((subscription) => [subscription.subscriptionId, subscription.status])).toEqual([['sub_1', 'canceled']]);
    expect(view?.invoices).toEqual([expect.objectContaining({ invoiceId: oneOff.data.object.id, paymentStatus: 'paid' })]);
  });

  it('(c) two subscriptions of one customer: one canceled and one active make an active member, each with its own status', async () => {
    const deps = depsFor();
    const customer = 'cus_two_subscriptions';

    await deliver(
      deps,
      subscriptionEvent('customer.subscription.created', customer, 'sub_gym', T - 86_400, { status: 'active' }),
      subscriptionEvent('customer.subscription.created', customer, 'sub_pool', T - 3_600, { status: 'active' }),
      // The newest event of all is about the canceled one: it must not speak for the other.
      subscriptionEvent('customer.subscription.deleted', customer, 'sub_gym', T),
      subscriptionInvoicePaid(customer, 'sub_gym', T + 5),
    );

    const view = await customerView(customer);
    expect(view?.membership).toMatchObject({ active: true, status: 'active', subscriptionId: 'sub_pool' });
    expect(await subscriptionOf(customer, 'sub_gym')).toMatchObject({ status: 'canceled' });
    expect(await subscriptionOf(customer, 'sub_pool')).toMatchObject({ status: 'active' });
  });

  describe('(d) a tie within one second: subscription.updated past_due and subscription.deleted, arriving deleted first', () => {
    const customer = 'cus_same_second';
    const tie = () => ({
      updated: subscriptionEvent('customer.subscription.updated', customer, 'sub_tie', T, { status: 'past_due' }),
      deleted: subscriptionEvent('customer.subscription.deleted', customer, 'sub_tie', T),
    });

    describe('with the fetch policy on (an API key: the Stripe API stand-in)', () => {
      const subscriptionReads = (id: string) => standIn.requests.filter((request) => request.method === 'GET' && request.path === `/v1/subscriptions/${id}`).length;

      it('projects the subscription as Stripe holds it now: canceled', async () => {
        const { updated, deleted } = tie();
        // What happened at Stripe: past due, then deleted; the stand-in keeps the latest state.
        standIn.store.recordEvent(updated);
        standIn.store.recordEvent(deleted);

        await deliver(depsFor(reads), deleted, updated);

        expect(subscriptionReads('sub_tie')).toBe(2);
        const subscription = await subscriptionOf(customer, 'sub_tie');
        expect(subscription).toMatchObject({ status: 'canceled', state: expect.objectContaining({ stateFrom: 'current_object' }) });
        expect((await customerView(customer))?.membership).toMatchObject({ active: false, status: 'canceled' });
      });

      it('decides even a tie the rank cannot: two updates of one second, arriving in the wrong order', async () => {
        const pastDue = subscriptionEvent('customer.subscription.updated', 'cus_retried', 'sub_retried', T, { status: 'past_due' });
        const recovered = subscriptionEvent('customer.subscription.updated', 'cus_retried', 'sub_retried', T, { status: 'active' });
        standIn.store.recordEvent(pastDue);
        standIn.store.recordEvent(recovered);

        await deliver(depsFor(reads), recovered, pastDue);

        expect(await subscriptionOf('cus_retried', 'sub_retried')).toMatchObject({ status: 'active' });
        // Without a key the same arrival order leaves the older state: the limit effects.ts documents.
        const offCustomer = 'cus_retried_no_key';
        await deliver(
          depsFor(),
          subscriptionEvent('customer.subscription.updated', offCustomer, 'sub_retried_no_key', T, { status: 'active' }),
          subscriptionEvent('customer.subscription.updated', offCustomer, 'sub_retried_no_key', T, { status: 'past_due' }),
        );
        expect(await subscriptionOf(offCustomer, 'sub_retried_no_key')).toMatchObject({ status: 'past_due' });
      });
    });

    it('with the fetch policy off (no API key): the rank decides, and deleted outranks updated', async () => {
      const { updated, deleted } = tie();

      await deliver(depsFor(), deleted, updated);

      expect(await subscriptionOf(customer, 'sub_tie')).toMatchObject({ status: 'canceled', state: expect.objectContaining({ stateFrom: 'event', sourceEventId: deleted.id }) });
      expect(await ledgerRecord(updated.id)).toMatchObject({ status: 'completed', skippedWrites: 1 });
    });
  });

  describe('(e) aggregates are kept per mode and account', () => {
    const balanceEvent = (options: { livemode: boolean; account?: string; usd: number; created: number }) => {
      const event = sampleEvent('balance.available', {
        created: options.created,
        livemode: options.livemode,
        object: { available: [{ amount: options.usd, currency: 'usd', source_types: { card: options.usd } }], pending: [], livemode: options.livemode },
      });
      return (options.account ? { ...event, account: options.account } : event) as Stripe.Event;
    };

    it('a test-mode balance never changes the live one, and a connected account\'s never overwrites the platform\'s', async () => {
      const deps = depsFor();
      const balance = (scope: { livemode: boolean; account?: string }) => getBalance(db, tables.projectionsTableName, scope);

      await deliver(deps, balanceEvent({ livemode: true, usd: 100_00, created: T }));
      // Both newer than the live platform's snapshot: under one shared key either would have replaced it.
      await deliver(deps, balanceEvent({ livemode: false, usd: 999_99, created: T + 60 }));
      await deliver(deps, balanceEvent({ livemode: true, account: 'acct_connected', usd: 5_00, created: T + 120 }));

      expect(await balance({ livemode: true })).toMatchObject({ livemode: true, account: 'platform', currencies: { usd: expect.objectContaining({ available: 100_00 }) } });
      expect(await balance({ livemode: false })).toMatchObject({ livemode: false, account: 'platform', currencies: { usd: expect.objectContaining({ available: 999_99 }) } });
      expect(await balance({ livemode: true, account: 'acct_connected' })).toMatchObject({ account: 'acct_connected', currencies: { usd: expect.objectContaining({ available: 5_00 }) } });
      expect(Object.keys((await balance({ livemode: false, account: 'acct_connected' })).currencies)).toEqual([]);
    });

    it('the accounting ledger totals of one mode and account add up only their own entries', async () => {
      const deps = depsFor();
      const payout = (livemode: boolean, amount: number, account?: string) => {
        const event = sampleEvent('payout.paid', { livemode, object: { amount } });
        return (account ? { ...event, account } : event) as Stripe.Event;
      };

      await deliver(deps, payout(true, 1_000), payout(false, 20), payout(true, 300, 'acct_connected'), payout(true, 4_000));

      const ledger = (scope: { livemode: boolean; account?: string }) => getAccountingLedger(db, tables.projectionsTableName, scope);
      expect((await ledger({ livemode: true })).totals).toEqual({ usd: { amount: 5_000, entries: 2 } });
      expect((await ledger({ livemode: true })).entries).toHaveLength(2);
      expect((await ledger({ livemode: false })).totals).toEqual({ usd: { amount: 20, entries: 1 } });
      expect((await ledger({ livemode: true, account: 'acct_connected' })).totals).toEqual({ usd: { amount: 300, entries: 1 } });
      expect(await getItem(db, tables.projectionsTableName, projectionKeys.ledgerTotal({ livemode: true }, 'usd'))).toMatchObject({ scope: 'live#platform' });
    });
  });

  it('v1.billing.meter.error_report_triggered, fetched from /v2/core/events with its meter: a warning naming the meter, and its latest report', async () => {
    const meter = sampleMeter({ id: 'mtr_state_stays_true', displayName: 'API requests' });
    const sample = sampleMeterErrorReport({ meter, errorCount: 2 });
    standIn.store.recordThinEvent(sample.event, { relatedObject: sample.relatedObject });
    const log = recordingLog();

    expect(await processEvent(thinEnvelope(sample.notification, { source: 'webhook' }), {}, depsFor(reads, log))).toBe('completed');

    expect(log.entries.find((entry) => entry.attributes.alert === 'meter_error_report')).toMatchObject({
      level: 'warn',
      message: 'Meter "API requests" (mtr_state_stays_true) refused 2 usage events: There are 2 invalid events',
    });
    expect(await getItem(db, tables.projectionsTableName, projectionKeys.meterErrorReport(meter.id))).toMatchObject({
      displayName: 'API requests',
      errorCount: 2,
      reportedAt: sample.notification.created,
      sourceEventId: sample.notification.id,
    });
  });
});
