/** The reference business actions are pure: event in, effects out. */
import { projectionKeys } from '../../../functions/shared/projection-keys';
import { registry } from '../../../functions/worker/actions';
import { epochSecondsOf } from '../../../functions/worker/actions/meters';
import { currentStateVersion, stateVersion, type Effects, type EntryWrite, type StateWrite } from '../../../functions/worker/effects';
import type { HandlerContext } from '../../../functions/worker/registry';
import { sampleEvent, type SampleEventType } from '../../../local/sample-events';
import { sampleMeter, sampleMeterErrorReport } from '../../../local/sample-thin-events';

function effectsOf(event: { type: string; livemode?: boolean }, context: Partial<HandlerContext> = {}): Effects {
  const handler = registry.find(event.type);
  if (!handler) throw new Error(`no handler for ${event.type}`);
  return handler.handle(event as never, { livemode: event.livemode ?? false, form: 'snapshot', source: 'webhook', ...context });
}

const states = (effects: Effects) => effects.writes.filter((write): write is StateWrite => write.kind === 'state');
const entries = (effects: Effects) => effects.writes.filter((write): write is EntryWrite => write.kind === 'entry');

describe('reference actions', () => {
  it('handle every type the product promises', () => {
    const promised: SampleEventType[] = [
      'payment_intent.succeeded', 'payment_intent.payment_failed', 'payment_method.attached', 'payment_method.detached',
      'charge.dispute.created', 'charge.dispute.closed', 'charge.refunded', 'balance.available', 'checkout.session.completed',
      'invoice.paid', 'invoice.payment_failed', 'customer.subscription.created', 'customer.subscription.updated',
      'customer.subscription.deleted', 'payout.paid', 'transfer.created', 'transfer.reversed',
    ];
    const thinOnly = ['v1.billing.meter.error_report_triggered'];
    expect([...registry.types].sort()).toEqual([...promised, ...thinOnly].sort());
    expect([...registry.snapshotTypes].sort()).toEqual([...promised].sort());
  });

  it('payment_intent.succeeded: marks the payment succeeded and its order ready to fulfil', () => {
    const event = sampleEvent('payment_intent.succeeded', { object: { metadata: { order_id: 'ord_1' } } });
    const effects = effectsOf(event);
    expect(states(effects).map((write) => write.key)).toEqual([projectionKeys.payment(event.data.object.id), projectionKeys.order('ord_1')]);
    expect(states(effects)[1]!.attributes).toMatchObject({ status: 'ready_to_fulfil' });
    expect(effects.logs?.map((line) => line.message)).toContain('PaymentIntent was successful!');
  });

  it('payment_method.attached: logs the guide message and records the method under its customer', () => {
    const event = sampleEvent('payment_method.attached');
    const effects = effectsOf(event);
    expect(states(effects)[0]!.key).toEqual(projectionKeys.paymentMethod(event.data.object.customer as string, event.data.object.id));
    expect(effects.logs?.[0]?.message).toBe('PaymentMethod was attached to a Customer!');
  });

  it('payment_method.detached: finds the customer in previous_attributes', () => {
    const event = sampleEvent('payment_method.detached', { previousAttributes: { customer: 'cus_before' } });
    expect(states(effectsOf(event))[0]).toMatchObject({ key: { pk: 'customer#cus_before' }, attributes: { status: 'detached' } });
  });

  it('payment_method.detached with no customer anywhere writes nothing and says why', () => {
    const effects = effectsOf(sampleEvent('payment_method.detached'));
    expect(effects.writes).toHaveLength(0);
    expect(effects.logs?.[0]?.level).toBe('warn');
  });

  it('checkout.session.completed: an unpaid session (delayed payment method) awaits payment', () => {
    const paid = effectsOf(sampleEvent('checkout.session.completed', { object: { client_reference_id: 'ord_9' } }));
    const unpaid = effectsOf(sampleEvent('checkout.session.completed', { object: { payment_status: 'unpaid' } }));
    expect(states(paid)[0]).toMatchObject({ key: projectionKeys.order('ord_9'), attributes: { status: 'ready_to_fulfil' } });
    expect(states(unpaid)[0]!.attributes.status).toBe('awaiting_payment');
    expect(states(unpaid)[0]!.version).toBeLessThan(states(paid)[0]!.version);
  });

  it('balance.available: one snapshot per currency, available and pending', () => {
    const effects = effectsOf(sampleEvent('balance.available'));
    expect(states(effects).map((write) => write.attributes)).toEqual([
      expect.objectContaining({ currency: 'usd', available: 542_000, pending: 8_000 }),
      expect.objectContaining({ currency: 'eur', available: 12_300, pending: 0 }),
    ]);
  });

  it('transfer.reversed: records only this reversal, from the change in amount_reversed', () => {
    const event = sampleEvent('transfer.reversed', { object: { amount_reversed: 5_000 }, previousAttributes: { amount_reversed: 2_000 } });
    const [entry] = entries(effectsOf(event));
    const testPlatform = { livemode: false };
    expect(entry).toMatchObject({ key: projectionKeys.ledgerEntry(testPlatform, event.id), attributes: { amount: -3_000, kind: 'transfer_reversal' } });
    expect(entry!.totals).toEqual([{ key: projectionKeys.ledgerTotal(testPlatform, 'usd'), add: { amount: -3_000, entries: 1 }, set: { currency: 'usd', scope: 'test#platform' } }]);
  });

  it('charge.dispute.created: records the dispute and raises an alert', () => {
    const effects = effectsOf(sampleEvent('charge.dispute.created'));
    expect(states(effects)[0]!.attributes).toMatchObject({ status: 'needs_response' });
    expect(effects.logs?.[0]).toMatchObject({ level: 'warn', attributes: expect.objectContaining({ alert: 'dispute_opened' }) });
  });
});

describe('subscriptions: the status comes only from the subscription', () => {
  const created = 1_760_000_000;
  const customer = 'cus_subs';
  const subscriptionEvent = (type: 'customer.subscription.created' | 'customer.subscription.updated' | 'customer.subscription.deleted', object: Record<string, unknown> = {}, at = created) =>
    sampleEvent(type, { created: at, object: { customer, id: 'sub_1', ...object } });
  /** The subscription as `GET /v1/subscriptions/{id}` answers, fetched at `fetchedAt` (epoch ms). */
  const fetched = (object: Record<string, unknown>, fetchedAt = (created + 5) * 1000) => ({ current: { object: { object: 'subscription', id: 'sub_1', customer, cancel_at_period_end: false, ...object }, fetchedAt } });

  it('without an API key: projects the payload, keyed by customer and subscription, versioned by the event', () => {
    const event = subscriptionEvent('customer.subscription.updated', { status: 'past_due', cancel_at_period_end: true });
    const [write] = states(effectsOf(event));
    expect(write).toMatchObject({
      key: { pk: 'customer#cus_subs', sk: 'subscription#sub_1' },
      version: stateVersion(event, 20),
      attributes: { customerId: customer, subscriptionId: 'sub_1', status: 'past_due', cancelAtPeriodEnd: true, stateFrom: 'event', asOf: created },
    });
    expect(write!.key).toEqual(projectionKeys.subscription(customer, 'sub_1'));
  });

  it('customer.subscription.deleted: canceled, and outranks an update from the same second', () => {
    const deleted = states(effectsOf(subscriptionEvent('customer.subscription.deleted', { status: 'active' })))[0]!;
    const updated = states(effectsOf(subscriptionEvent('customer.subscription.updated')))[0]!;
    const createdWrite = states(effectsOf(subscriptionEvent('customer.subscription.created')))[0]!;
    expect(deleted.attributes.status).toBe('canceled');
    expect(deleted.version).toBeGreaterThan(updated.version);
    expect(updated.version).toBeGreaterThan(createdWrite.version);
  });

  it('with an API key: projects the subscription as Stripe holds it now, with a version newer than any event of its second', () => {
    const event = subscriptionEvent('customer.subscription.updated', { status: 'past_due' }, created + 5);
    const context = fetched({ status: 'canceled', canceled_at: created + 5 });
    const [write] = states(effectsOf(event, context));
    expect(write).toMatchObject({ key: projectionKeys.subscription(customer, 'sub_1'), version: currentStateVersion(context.current), attributes: { status: 'canceled', canceledAt: created + 5, stateFrom: 'current_object', asOf: created + 5 } });
    const deletedSameSecond = states(effectsOf(subscriptionEvent('customer.subscription.deleted', {}, created + 5)))[0]!;
    expect(write!.version).toBeGreaterThan(deletedSameSecond.version);
    const nextSecond = states(effectsOf(subscriptionEvent('customer.subscription.created', {}, created + 6)))[0]!;
    expect(write!.version).toBeLessThan(nextSecond.version);
  });

  it('with an API key: a deleted subscription fetched later is canceled, as Stripe keeps it', () => {
    const [write] = states(effectsOf(subscriptionEvent('customer.subscription.deleted'), fetched({ status: 'canceled' })));
    expect(write!.attributes).toMatchObject({ status: 'canceled', stateFrom: 'current_object' });
  });

  it.each([
    ['not a subscription', { object: { object: 'invoice', id: 'sub_1', status: 'paid' }, fetchedAt: created * 1000 }],
    ['another subscription', { object: { object: 'subscription', id: 'sub_other', customer, status: 'active' }, fetchedAt: created * 1000 }],
    ['nothing', { object: null, fetchedAt: created * 1000 }],
  ])('falls back to the payload when the fetched object is %s', (_, current) => {
    const event = subscriptionEvent('customer.subscription.updated', { status: 'past_due' });
    const [write] = states(effectsOf(event, { current }));
    expect(write).toMatchObject({ version: stateVersion(event, 20), attributes: { status: 'past_due', stateFrom: 'event' } });
  });

  it('asks the worker for the subscription\'s current state; invoice handlers do not', () => {
    for (const type of ['customer.subscription.created', 'customer.subscription.updated', 'customer.subscription.deleted'] as const) {
      const event = subscriptionEvent(type);
      expect(registry.find(type)!.currentObject?.(event)).toEqual({ url: '/v1/subscriptions/sub_1' });
    }
    expect(registry.find('invoice.paid')!.currentObject).toBeUndefined();
    expect(registry.find('invoice.payment_failed')!.currentObject).toBeUndefined();
  });

  it('keeps each subscription of one customer on its own item', () => {
    const first = states(effectsOf(subscriptionEvent('customer.subscription.deleted', { id: 'sub_a' })))[0]!;
    const second = states(effectsOf(subscriptionEvent('customer.subscription.created', { id: 'sub_b', status: 'active' })))[0]!;
    expect(first.key.pk).toBe(second.key.pk);
    expect(first.key.sk).not.toBe(second.key.sk);
  });

  it('writes nothing, and says why, when the subscription names no customer', () => {
    const effects = effectsOf(subscriptionEvent('customer.subscription.updated', { customer: null }));
    expect(effects.writes).toHaveLength(0);
    expect(effects.logs?.[0]?.level).toBe('warn');
  });
});

describe('invoices: a payment recorded against what the invoice bills, never a status', () => {
  const created = 1_760_000_000;
  const customer = 'cus_inv';
  const subscriptionLine = (subscription: string, end: number) => ({
    id: 'il_1', object: 'line_item', subscription: null, period: { start: end - 30 * 86_400, end },
    parent: { type: 'subscription_item_details', invoice_item_details: null, subscription_item_details: { subscription, subscription_item: 'si_1', proration: false, invoice_item: null } },
  });
  const subscriptionInvoice = (type: 'invoice.paid' | 'invoice.payment_failed', object: Record<string, unknown> = {}, at = created) =>
    sampleEvent(type, { created: at, object: { id: 'in_1', customer, parent: { type: 'subscription_details', subscription_details: { subscription: 'sub_1', metadata: {} }, quote_details: null }, ...object } });
  const noStatus = (effects: Effects) => states(effects).every((write) => !('status' in write.attributes) && !write.key.sk.match(/^subscription#[^#]+$/));

  it('invoice.paid of a subscription: its last payment is paid, and it never writes the subscription\'s status', () => {
    const event = subscriptionInvoice('invoice.paid');
    const effects = effectsOf(event);
    expect(states(effects)).toEqual([
      expect.objectContaining({
        key: { pk: 'customer#cus_inv', sk: 'subscription#sub_1#invoice_payment' },
        version: stateVersion(event, 15),
        attributes: expect.objectContaining({ subscriptionId: 'sub_1', lastInvoiceId: 'in_1', lastPaymentStatus: 'paid', amountPaid: 1500 }),
      }),
    ]);
    expect(noStatus(effects)).toBe(true);
  });

  it('invoice.paid: reads the subscription from either API version layout', () => {
    const current = states(effectsOf(sampleEvent('invoice.paid', { object: { parent: { subscription_details: { subscription: 'sub_new' } } } })))[0]!;
    const legacy = states(effectsOf(sampleEvent('invoice.paid', { object: { parent: null, subscription: 'sub_old' } })))[0]!;
    expect(current.attributes).toMatchObject({ subscriptionId: 'sub_new' });
    expect(legacy.attributes).toMatchObject({ subscriptionId: 'sub_old' });
  });

  it('invoice.paid: records how far the subscription is paid, from its lines, versioned by that date', () => {
    const end = created + 30 * 86_400;
    const event = subscriptionInvoice('invoice.paid', { lines: { object: 'list', data: [subscriptionLine('sub_1', end), subscriptionLine('sub_other', end + 999)], has_more: false } });
    const paidThrough = states(effectsOf(event)).find((write) => write.key.sk.endsWith('#paid_through'));
    expect(paidThrough).toMatchObject({ key: projectionKeys.subscriptionPaidThrough(customer, 'sub_1'), version: end, attributes: { paidThrough: end, invoiceId: 'in_1' } });
  });

  it('invoice.payment_failed: the last payment failed; nothing about status or paid-through; a paid invoice of the same second outranks it', () => {
    const failed = effectsOf(subscriptionInvoice('invoice.payment_failed', { lines: { object: 'list', data: [subscriptionLine('sub_1', created + 86_400)], has_more: false } }));
    const paid = effectsOf(subscriptionInvoice('invoice.paid'));
    expect(states(failed)).toHaveLength(1);
    expect(states(failed)[0]).toMatchObject({ key: projectionKeys.subscriptionInvoicePayment(customer, 'sub_1'), attributes: { lastPaymentStatus: 'failed' } });
    expect(noStatus(failed)).toBe(true);
    expect(failed.logs?.[0]?.level).toBe('warn');
    expect(states(paid)[0]!.version).toBeGreaterThan(states(failed)[0]!.version);
  });

  it('a one-off invoice (no subscription) is recorded against itself and says nothing about membership', () => {
    const event = sampleEvent('invoice.paid', { created, object: { id: 'in_once', customer, parent: null } });
    const effects = effectsOf(event);
    expect(states(effects)).toEqual([
      expect.objectContaining({ key: { pk: 'customer#cus_inv', sk: 'invoice#in_once' }, attributes: expect.objectContaining({ invoiceId: 'in_once', paymentStatus: 'paid' }) }),
    ]);
    expect(states(effects).some((write) => write.key.sk.startsWith('subscription#'))).toBe(false);
  });

  it('writes nothing, and says why, when the invoice names no customer', () => {
    const effects = effectsOf(subscriptionInvoice('invoice.paid', { customer: null }));
    expect(effects.writes).toHaveLength(0);
    expect(effects.logs?.[0]?.level).toBe('warn');
  });
});

describe('aggregates are kept per mode and account', () => {
  const balanceKeys = (context: Partial<HandlerContext>, livemode = false) => states(effectsOf(sampleEvent('balance.available', { livemode }), context)).map((write) => write.key);

  it('balance.available: a test-mode, a live-mode and a connected account\'s balance are different items', () => {
    expect(balanceKeys({})).toEqual([{ pk: 'balance#test#platform', sk: 'currency#usd' }, { pk: 'balance#test#platform', sk: 'currency#eur' }]);
    expect(balanceKeys({ livemode: true }, true).map((key) => key.pk)).toEqual(['balance#live#platform', 'balance#live#platform']);
    expect(balanceKeys({ livemode: true, account: 'acct_123' }, true).map((key) => key.pk)).toEqual(['balance#live#acct_123', 'balance#live#acct_123']);
    expect(balanceKeys({ account: 'acct_123' }).map((key) => key.pk)).toEqual(['balance#test#acct_123', 'balance#test#acct_123']);
  });

  it('payout.paid: the entry and the totals it adds to are in its mode and account\'s ledger', () => {
    const event = sampleEvent('payout.paid', { livemode: true });
    const [entry] = entries(effectsOf(event, { livemode: true, account: 'acct_123' }));
    expect(entry!.key).toEqual({ pk: 'ledger#live#acct_123', sk: `entry#${event.id}` });
    expect(entry!.totals.map((total) => total.key)).toEqual([{ pk: 'ledger#live#acct_123', sk: 'total#usd' }]);
    const [platform] = entries(effectsOf(sampleEvent('payout.paid')));
    expect(platform!.totals[0]!.key).toEqual({ pk: 'ledger#test#platform', sk: 'total#usd' });
  });
});

describe('v1.billing.meter.error_report_triggered (thin only)', () => {
  const thinContext = (relatedObject: unknown): Partial<HandlerContext> => ({ form: 'thin', relatedObject });

  it('warns naming the meter, its error count and Stripe\'s summary, and keeps the latest report per meter', () => {
    const meter = sampleMeter({ id: 'mtr_123', displayName: 'API requests' });
    const { event, relatedObject } = sampleMeterErrorReport({ meter, errorCount: 3, created: new Date('2026-11-01T10:00:00.750Z') });
    const effects = effectsOf(event, thinContext(relatedObject));

    expect(effects.logs).toEqual([
      expect.objectContaining({ level: 'warn', message: 'Meter "API requests" (mtr_123) refused 3 usage events: There are 3 invalid events', attributes: expect.objectContaining({ meterId: 'mtr_123', displayName: 'API requests', errorCount: 3, developerMessageSummary: 'There are 3 invalid events' }) }),
    ]);
    const seconds = Date.parse('2026-11-01T10:00:00Z') / 1000;
    expect(states(effects)).toEqual([
      expect.objectContaining({
        key: { pk: 'meter#mtr_123', sk: 'error_report' },
        version: seconds * 100,
        attributes: expect.objectContaining({ meterId: 'mtr_123', displayName: 'API requests', errorCount: 3, errorTypes: [{ code: 'meter_event_no_customer_defined', errorCount: 3 }], reportedAt: '2026-11-01T10:00:00.750Z' }),
      }),
    ]);
  });

  it('a later report outranks an earlier one for the same meter', () => {
    const meter = sampleMeter({ id: 'mtr_order' });
    const early = states(effectsOf(sampleMeterErrorReport({ meter, created: new Date('2026-11-01T10:00:00Z') }).event))[0]!;
    const late = states(effectsOf(sampleMeterErrorReport({ meter, created: new Date('2026-11-01T10:05:00Z') }).event))[0]!;
    expect(late.key).toEqual(early.key);
    expect(late.version).toBeGreaterThan(early.version);
  });

  it('still names the meter by id when its object could not be had', () => {
    const { event } = sampleMeterErrorReport({ meter: sampleMeter({ id: 'mtr_alone' }), errorCount: 1 });
    const effects = effectsOf(event, thinContext(null));
    expect(effects.logs?.[0]).toMatchObject({ level: 'warn', message: 'Meter (mtr_alone) refused 1 usage event: There is 1 invalid event' });
    expect(states(effects)[0]!.attributes).toMatchObject({ meterId: 'mtr_alone', displayName: null });
  });

  it('converts v2 ISO times to epoch seconds, and refuses what is not one', () => {
    expect(epochSecondsOf('2026-11-01T10:00:00.999Z')).toBe(Date.parse('2026-11-01T10:00:00Z') / 1000);
    expect(() => epochSecondsOf('yesterday')).toThrow(/Not a timestamp/);
  });
});
