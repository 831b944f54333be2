/**
 * Keys of the projections table, shared by the actions that write it and the tools that read it.
 * `pk` names the object and `sk` the facet, so one Query on `pk` returns everything about a customer.
 */
export const projectionKeys = {
  payment: (paymentIntentId: string) => ({ pk: `payment#${paymentIntentId}`, sk: 'payment' }),
  order: (orderId: string) => ({ pk: `order#${orderId}`, sk: 'order' }),
  membership: (customerId: string) => ({ pk: `customer#${customerId}`, sk: 'membership' }),
  paymentMethod: (customerId: string, paymentMethodId: string) => ({
    pk: `customer#${customerId}`,
    sk: `payment_method#${paymentMethodId}`,
  }),
  dispute: (disputeId: string) => ({ pk: `dispute#${disputeId}`, sk: 'dispute' }),
  refund: (chargeId: string) => ({ pk: `charge#${chargeId}`, sk: 'refund' }),
  balance: (currency: string) => ({ pk: 'balance', sk: `currency#${currency}` }),
  ledgerEntry: (eventId: string) => ({ pk: 'ledger', sk: `entry#${eventId}` }),
  ledgerTotal: (currency: string) => ({ pk: 'ledger', sk: `total#${currency}` }),
} as const;
