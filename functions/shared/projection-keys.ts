/**
 * Keys of the projections table, shared by the actions that write it and the tools that read it.
 * `pk` names the object and `sk` the facet, so one Query on `pk` returns everything about a customer.
 *
 * Objects keyed by a Stripe id (`payment#pi_…`, `dispute#dp_…`) never collide: Stripe ids are unique
 * across accounts and modes. Aggregates are not about one object (a balance per currency, running
 * totals), so their partition names the mode and the account they add up: a test-mode event never
 * touches a live total, and a connected account's balance never overwrites the platform's.
 */

/** Whose aggregate an item is: the mode, and the connected account (the platform's own when absent). */
export interface ProjectionScope {
  readonly livemode: boolean;
  readonly account?: string;
}

/** The account named for the platform's own events, which carry no `account`. */
export const PLATFORM_ACCOUNT = 'platform';

/** `live#acct_123`, `test#platform`. */
export function scopeName(scope: ProjectionScope): string {
  return `${scope.livemode ? 'live' : 'test'}#${scope.account ?? PLATFORM_ACCOUNT}`;
}

/** A subscription's facets share the sort-key prefix `subscription#sub_…`, so they sort together under their customer. */
const subscriptionSk = (subscriptionId: string) => `subscription#${subscriptionId}`;

export const projectionKeys = {
  payment: (paymentIntentId: string) => ({ pk: `payment#${paymentIntentId}`, sk: 'payment' }),
  order: (orderId: string) => ({ pk: `order#${orderId}`, sk: 'order' }),
  /** The subscription's own state (its status), written only from the subscription. */
  subscription: (customerId: string, subscriptionId: string) => ({ pk: `customer#${customerId}`, sk: subscriptionSk(subscriptionId) }),
  /** The latest invoice payment attempt against the subscription: paid or failed. */
  subscriptionInvoicePayment: (customerId: string, subscriptionId: string) => ({ pk: `customer#${customerId}`, sk: `${subscriptionSk(subscriptionId)}#invoice_payment` }),
  /** How far paid invoices have paid the subscription. */
  subscriptionPaidThrough: (customerId: string, subscriptionId: string) => ({ pk: `customer#${customerId}`, sk: `${subscriptionSk(subscriptionId)}#paid_through` }),
  /** An invoice that bills no subscription (a one-off purchase), under its customer. */
  oneOffInvoice: (customerId: string, invoiceId: string) => ({ pk: `customer#${customerId}`, sk: `invoice#${invoiceId}` }),
  /** Everything about one customer: one Query on this partition. */
  customerPartition: (customerId: string) => `customer#${customerId}`,
  paymentMethod: (customerId: string, paymentMethodId: string) => ({
    pk: `customer#${customerId}`,
    sk: `payment_method#${paymentMethodId}`,
  }),
  dispute: (disputeId: string) => ({ pk: `dispute#${disputeId}`, sk: 'dispute' }),
  refund: (chargeId: string) => ({ pk: `charge#${chargeId}`, sk: 'refund' }),
  meterErrorReport: (meterId: string) => ({ pk: `meter#${meterId}`, sk: 'error_report' }),
  balance: (scope: ProjectionScope, currency: string) => ({ pk: `balance#${scopeName(scope)}`, sk: `currency#${currency}` }),
  balancePartition: (scope: ProjectionScope) => `balance#${scopeName(scope)}`,
  // Entries sit beside the totals they add to, so one Query returns a scope's entries and totals together.
  ledgerEntry: (scope: ProjectionScope, eventId: string) => ({ pk: `ledger#${scopeName(scope)}`, sk: `entry#${eventId}` }),
  ledgerTotal: (scope: ProjectionScope, currency: string) => ({ pk: `ledger#${scopeName(scope)}`, sk: `total#${currency}` }),
  ledgerPartition: (scope: ProjectionScope) => `ledger#${scopeName(scope)}`,
} as const;

/** What a customer-partition sort key is about: a subscription facet, a one-off invoice, a payment method. */
export type CustomerFacet =
  | { readonly kind: 'subscription'; readonly subscriptionId: string; readonly facet: 'status' | 'invoice_payment' | 'paid_through' }
  | { readonly kind: 'invoice'; readonly invoiceId: string }
  | { readonly kind: 'payment_method'; readonly paymentMethodId: string }
  | { readonly kind: 'other' };

/** The inverse of the customer keys above, so readers never parse sort keys themselves. */
export function customerFacetOf(sk: string): CustomerFacet {
  const [kind, id, facet, ...rest] = sk.split('#');
  if (kind === 'subscription' && id && rest.length === 0) {
    if (facet === undefined) return { kind, subscriptionId: id, facet: 'status' };
    if (facet === 'invoice_payment' || facet === 'paid_through') return { kind, subscriptionId: id, facet };
  }
  if (kind === 'invoice' && id && facet === undefined) return { kind, invoiceId: id };
  if (kind === 'payment_method' && id && facet === undefined) return { kind, paymentMethodId: id };
  return { kind: 'other' };
}
