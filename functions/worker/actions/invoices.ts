/**
 * invoice.paid / invoice.payment_failed: a payment recorded against what the invoice bills.
 *
 * An invoice never sets a subscription's status: that belongs to the subscription (subscriptions.ts).
 * Stripe sends `invoice.paid` for the final invoice of a subscription canceled seconds earlier, and for
 * one-off invoices that bill no subscription at all; neither may bring a membership back to life. So an
 * invoice of a subscription records only its payment, on facets of that subscription with versions of
 * their own, and a one-off invoice is recorded against the invoice under its customer.
 */
import type Stripe from 'stripe';
import { projectionKeys } from '../../shared/projection-keys';
import { idOf, stateVersion, stateWrite, type Effects, type StateWrite } from '../effects';
import type { EventOf, HandlerMap } from '../registry';

/** Within one second, a paid invoice outranks a failed attempt (a retried payment can still succeed). */
const RANK = { failed: 12, paid: 15 } as const;

type InvoiceEvent = EventOf<'invoice.paid'> | EventOf<'invoice.payment_failed'>;
type PaymentStatus = 'paid' | 'failed';

/** The subscription an invoice bills, wherever the event's API version puts it. */
export function subscriptionOfInvoice(invoice: Stripe.Invoice): string | undefined {
  const fromParent = idOf(invoice.parent?.subscription_details?.subscription);
  // API versions before 2025-03-31 have a top-level `subscription` field.
  const legacy = (invoice as unknown as { subscription?: string | { id: string } | null }).subscription;
  return fromParent ?? idOf(legacy);
}

/**
 * The end of the latest service period the invoice bills for the subscription (epoch seconds), from
 * its subscription lines; undefined when the event's lines name none (the list may be truncated).
 */
export function paidThroughOf(invoice: Stripe.Invoice, subscriptionId: string): number | undefined {
  const ends = (invoice.lines?.data ?? [])
    .filter((line) => (idOf(line.parent?.subscription_item_details?.subscription) ?? idOf(line.subscription)) === subscriptionId)
    .map((line) => line.period?.end)
    .filter((end): end is number => typeof end === 'number');
  return ends.length > 0 ? Math.max(...ends) : undefined;
}

function payment(invoice: Stripe.Invoice, status: PaymentStatus) {
  return { paymentStatus: status, amountDue: invoice.amount_due, amountPaid: invoice.amount_paid, currency: invoice.currency };
}

/** The payment facets of the subscription the invoice bills. */
function subscriptionPayment(event: InvoiceEvent, status: PaymentStatus, customerId: string, subscriptionId: string): StateWrite[] {
  const invoice = event.data.object;
  const { paymentStatus, ...amounts } = payment(invoice, status);
  const writes = [
    stateWrite(projectionKeys.subscriptionInvoicePayment(customerId, subscriptionId), stateVersion(event, RANK[status]), {
      customerId,
      subscriptionId,
      lastInvoiceId: invoice.id,
      lastPaymentStatus: paymentStatus,
      ...amounts,
      attemptedAt: event.created,
    }),
  ];
  const paidThrough = status === 'paid' ? paidThroughOf(invoice, subscriptionId) : undefined;
  // Versioned by the period end itself, which only grows: a failed attempt on a later invoice, or a
  // paid one arriving late, never moves it back.
  if (paidThrough !== undefined) {
    writes.push(stateWrite(projectionKeys.subscriptionPaidThrough(customerId, subscriptionId), paidThrough, { customerId, subscriptionId, paidThrough, invoiceId: invoice.id }));
  }
  return writes;
}

/** A one-off invoice, recorded against itself: nothing about any membership. */
function oneOffPayment(event: InvoiceEvent, status: PaymentStatus, customerId: string): StateWrite {
  const invoice = event.data.object;
  return stateWrite(projectionKeys.oneOffInvoice(customerId, invoice.id), stateVersion(event, RANK[status]), { customerId, invoiceId: invoice.id, ...payment(invoice, status), attemptedAt: event.created });
}

function onInvoice(status: PaymentStatus) {
  return (event: InvoiceEvent): Effects => {
    const invoice = event.data.object;
    const customerId = idOf(invoice.customer);
    if (!customerId) return { writes: [], logs: [{ level: 'warn', message: 'Invoice names no customer; nothing to record', attributes: { invoiceId: invoice.id } }] };
    const subscriptionId = subscriptionOfInvoice(invoice);
    const writes = subscriptionId ? subscriptionPayment(event, status, customerId, subscriptionId) : [oneOffPayment(event, status, customerId)];
    const what = subscriptionId ? 'subscription invoice' : 'one-off invoice';
    return {
      writes,
      logs: [
        {
          level: status === 'paid' ? 'info' : 'warn',
          message: status === 'paid' ? `Invoice paid (${what})` : `Invoice payment failed (${what})`,
          attributes: { invoiceId: invoice.id, customerId, subscriptionId: subscriptionId ?? null, amountDue: invoice.amount_due, currency: invoice.currency },
        },
      ],
    };
  };
}

export const invoiceHandlers = {
  'invoice.paid': onInvoice('paid'),
  'invoice.payment_failed': onInvoice('failed'),
} satisfies HandlerMap;
