/** The reference business actions are pure: event in, effects out. */
import { projectionKeys } from '../../../functions/shared/projection-keys';
import { registry } from '../../../functions/worker/actions';
import type { Effects, EntryWrite, StateWrite } from '../../../functions/worker/effects';
import type { HandlerContext } from '../../../functions/worker/registry';
import { sampleEvent, type SampleEventType } from '../../../local/sample-events';

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
    expect([...registry.types].sort()).toEqual([...promised].sort());
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

  it('invoice.paid: reads the subscription from either API version layout', () => {
    const current = effectsOf(sampleEvent('invoice.paid', { object: { parent: { subscription_details: { subscription: 'sub_new' } } } }));
    const legacy = effectsOf(sampleEvent('invoice.paid', { object: { parent: null, subscription: 'sub_old' } }));
    expect(states(current)[0]!.attributes).toMatchObject({ status: 'active', subscriptionId: 'sub_new' });
    expect(states(legacy)[0]!.attributes).toMatchObject({ subscriptionId: 'sub_old' });
  });

  it('customer.subscription.deleted: the membership is canceled and outranks an update from the same second', () => {
    const deleted = effectsOf(sampleEvent('customer.subscription.deleted', { created: 100 }));
    const updated = effectsOf(sampleEvent('customer.subscription.updated', { created: 100 }));
    expect(states(deleted)[0]!.attributes.status).toBe('canceled');
    expect(states(deleted)[0]!.version).toBeGreaterThan(states(updated)[0]!.version);
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
    expect(entry).toMatchObject({ key: projectionKeys.ledgerEntry(event.id), attributes: { amount: -3_000, kind: 'transfer_reversal' } });
    expect(entry!.totals).toEqual([{ key: projectionKeys.ledgerTotal('usd'), add: { amount: -3_000, entries: 1 }, set: { currency: 'usd' } }]);
  });

  it('charge.dispute.created: records the dispute and raises an alert', () => {
    const effects = effectsOf(sampleEvent('charge.dispute.created'));
    expect(states(effects)[0]!.attributes).toMatchObject({ status: 'needs_response' });
    expect(effects.logs?.[0]).toMatchObject({ level: 'warn', attributes: expect.objectContaining({ alert: 'dispute_opened' }) });
  });
});
