/** The customer view: subscriptions from their facets, and a membership derived from all of them. */
import { projectionKeys } from '../../../functions/shared/projection-keys';
import { customerView } from '../../../ops/projection-reads';

const customer = 'cus_view';
const item = (key: { pk: string; sk: string }, attributes: Record<string, unknown>) => ({ ...key, ...attributes });
const subscription = (id: string, status: string) => item(projectionKeys.subscription(customer, id), { customerId: customer, subscriptionId: id, status, cancelAtPeriodEnd: false, stateVersion: 1 });

describe('customerView', () => {
  it('is undefined when nothing is known of the customer', () => {
    expect(customerView(customer, [])).toBeUndefined();
  });

  it('is active when any subscription is active, and keeps each subscription\'s own status', () => {
    const view = customerView(customer, [subscription('sub_a', 'canceled'), subscription('sub_b', 'active')])!;
    expect(view.membership).toEqual({ active: true, status: 'active', subscriptionId: 'sub_b', cancelAtPeriodEnd: false });
    expect(view.subscriptions.map(({ subscriptionId, status }) => ({ subscriptionId, status }))).toEqual([
      { subscriptionId: 'sub_a', status: 'canceled' },
      { subscriptionId: 'sub_b', status: 'active' },
    ]);
  });

  it('counts trialing as a member; past_due speaks for the customer over canceled, but is not a member', () => {
    expect(customerView(customer, [subscription('sub_a', 'canceled'), subscription('sub_b', 'trialing')])!.membership).toMatchObject({ active: true, status: 'trialing' });
    expect(customerView(customer, [subscription('sub_a', 'canceled'), subscription('sub_b', 'past_due')])!.membership).toMatchObject({ active: false, status: 'past_due', subscriptionId: 'sub_b' });
    expect(customerView(customer, [subscription('sub_a', 'canceled')])!.membership).toMatchObject({ active: false, status: 'canceled' });
  });

  it('puts payments beside their subscription, and never reads a status from them', () => {
    const view = customerView(customer, [
      subscription('sub_a', 'canceled'),
      item(projectionKeys.subscriptionInvoicePayment(customer, 'sub_a'), { lastInvoiceId: 'in_1', lastPaymentStatus: 'paid' }),
      item(projectionKeys.subscriptionPaidThrough(customer, 'sub_a'), { paidThrough: 1_762_000_000 }),
      // An invoice known before its subscription's own events: its status stays unknown.
      item(projectionKeys.subscriptionInvoicePayment(customer, 'sub_new'), { lastInvoiceId: 'in_2', lastPaymentStatus: 'paid' }),
    ])!;
    expect(view.subscriptions).toEqual([
      expect.objectContaining({ subscriptionId: 'sub_a', status: 'canceled', invoicePayment: { lastInvoiceId: 'in_1', lastPaymentStatus: 'paid' }, paidThrough: 1_762_000_000 }),
      expect.objectContaining({ subscriptionId: 'sub_new', status: null, state: null, paidThrough: null }),
    ]);
    expect(view.membership).toMatchObject({ active: false, status: 'canceled', subscriptionId: 'sub_a' });
  });

  it('has no membership while no subscription\'s status is known, and lists one-off invoices and payment methods', () => {
    const view = customerView(customer, [
      item(projectionKeys.oneOffInvoice(customer, 'in_once'), { invoiceId: 'in_once', paymentStatus: 'paid' }),
      item(projectionKeys.paymentMethod(customer, 'pm_1'), { paymentMethodId: 'pm_1', status: 'attached' }),
    ])!;
    expect(view).toEqual({ customerId: customer, membership: null, subscriptions: [], invoices: [{ invoiceId: 'in_once', paymentStatus: 'paid' }], paymentMethods: [{ paymentMethodId: 'pm_1', status: 'attached' }] });
  });
});
