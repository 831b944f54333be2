/** invoice.paid / payment_failed and customer.subscription.*: the customer's membership. */
import type Stripe from 'stripe';
import { projectionKeys } from '../../shared/projection-keys';
import { idOf, stateVersion, stateWrite, type Effects } from '../effects';
import type { EventOf, HandlerMap } from '../registry';

/** Within one second: a deletion beats an update, which beats a creation; invoices sit between. */
const RANK = { subscriptionCreated: 10, invoiceFailed: 12, invoicePaid: 15, subscriptionUpdated: 20, subscriptionDeleted: 30 } as const;

/** The subscription an invoice bills, wherever the event's API version puts it. */
function subscriptionOfInvoice(invoice: Stripe.Invoice): string | undefined {
  const fromParent = idOf(invoice.parent?.subscription_details?.subscription);
  // API versions before 2025-03-31 have a top-level `subscription` field.
  const legacy = (invoice as unknown as { subscription?: string | { id: string } | null }).subscription;
  return fromParent ?? idOf(legacy);
}

function membership(customer: string | { id: string } | null, version: number, attributes: Record<string, string | boolean | null | undefined>): Effects['writes'] {
  const customerId = idOf(customer);
  return customerId ? [stateWrite(projectionKeys.membership(customerId), version, { customerId, ...attributes })] : [];
}

function onInvoicePaid(event: EventOf<'invoice.paid'>): Effects {
  const invoice = event.data.object;
  return {
    writes: membership(invoice.customer, stateVersion(event, RANK.invoicePaid), { status: 'active', subscriptionId: subscriptionOfInvoice(invoice), lastInvoiceId: invoice.id }),
    logs: [{ level: 'info', message: 'Invoice paid; membership active', attributes: { invoiceId: invoice.id, customerId: idOf(invoice.customer) } }],
  };
}

function onInvoiceFailed(event: EventOf<'invoice.payment_failed'>): Effects {
  const invoice = event.data.object;
  return {
    writes: membership(invoice.customer, stateVersion(event, RANK.invoiceFailed), { status: 'past_due', subscriptionId: subscriptionOfInvoice(invoice), lastInvoiceId: invoice.id }),
    logs: [{ level: 'warn', message: 'Invoice payment failed; membership past due', attributes: { invoiceId: invoice.id, customerId: idOf(invoice.customer) } }],
  };
}

type SubscriptionEvent = EventOf<'customer.subscription.created'> | EventOf<'customer.subscription.updated'> | EventOf<'customer.subscription.deleted'>;

function onSubscription(rank: number, status?: string) {
  return (event: SubscriptionEvent): Effects => {
    const subscription = event.data.object;
    return {
      writes: membership(subscription.customer, stateVersion(event, rank), {
        status: status ?? subscription.status,
        subscriptionId: subscription.id,
        cancelAtPeriodEnd: subscription.cancel_at_period_end,
      }),
      logs: [{ level: 'info', message: `Subscription ${event.type.split('.').pop()}`, attributes: { subscriptionId: subscription.id, status: status ?? subscription.status } }],
    };
  };
}

export const billingHandlers = {
  'invoice.paid': onInvoicePaid,
  'invoice.payment_failed': onInvoiceFailed,
  'customer.subscription.created': onSubscription(RANK.subscriptionCreated),
  'customer.subscription.updated': onSubscription(RANK.subscriptionUpdated),
  'customer.subscription.deleted': onSubscription(RANK.subscriptionDeleted, 'canceled'),
} satisfies HandlerMap;
