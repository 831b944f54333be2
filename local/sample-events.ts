/**
 * Realistic Stripe events for local use: the trigger command sends them and the tests build fixtures
 * from them. Shapes follow Stripe's API reference for the pinned API version; only the fields a
 * consumer commonly reads are filled in.
 */
import { randomBytes } from 'node:crypto';
import type Stripe from 'stripe';

export const SAMPLE_API_VERSION = '2026-10-28.endive';

export function stripeId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('base64url').replace(/[-_]/g, 'x')}`;
}

export interface SampleOptions {
  /** Event creation time in epoch seconds. @default now */
  readonly created?: number;
  readonly id?: string;
  /** Shallow overrides merged into `data.object`. */
  readonly object?: Record<string, unknown>;
  readonly previousAttributes?: Record<string, unknown>;
  readonly livemode?: boolean;
}

type ObjectBuilder = (ids: SampleIds) => Record<string, unknown>;

/** Ids shared across one sample, so that related fields agree. */
interface SampleIds {
  readonly customer: string;
  readonly paymentIntent: string;
  readonly charge: string;
  readonly created: number;
}

const paymentIntent = (status: string): ObjectBuilder => (ids) => ({
  id: ids.paymentIntent,
  object: 'payment_intent',
  amount: 2000,
  amount_received: status === 'succeeded' ? 2000 : 0,
  currency: 'usd',
  customer: ids.customer,
  status,
  latest_charge: ids.charge,
  metadata: {},
  created: ids.created,
  livemode: false,
  last_payment_error:
    status === 'requires_payment_method' ? { code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.', type: 'card_error' } : null,
});

const charge = (overrides: Record<string, unknown>): ObjectBuilder => (ids) => ({
  id: ids.charge,
  object: 'charge',
  amount: 2000,
  amount_captured: 2000,
  amount_refunded: 0,
  currency: 'usd',
  customer: ids.customer,
  payment_intent: ids.paymentIntent,
  paid: true,
  refunded: false,
  status: 'succeeded',
  created: ids.created,
  livemode: false,
  ...overrides,
});

const dispute = (status: string): ObjectBuilder => (ids) => ({
  id: stripeId('dp'),
  object: 'dispute',
  amount: 2000,
  currency: 'usd',
  charge: ids.charge,
  payment_intent: ids.paymentIntent,
  reason: 'fraudulent',
  status,
  evidence_details: { due_by: ids.created + 7 * 86_400, has_evidence: false, past_due: false, submission_count: 0 },
  created: ids.created,
  livemode: false,
});

const paymentMethod = (customer: string | null): ObjectBuilder => () => ({
  id: stripeId('pm'),
  object: 'payment_method',
  type: 'card',
  customer,
  card: { brand: 'visa', last4: '4242', exp_month: 12, exp_year: 2030, country: 'US' },
  billing_details: { email: 'jenny.rosen@example.com', name: 'Jenny Rosen' },
  livemode: false,
});

const subscription = (status: string): ObjectBuilder => (ids) => ({
  id: stripeId('sub'),
  object: 'subscription',
  customer: ids.customer,
  status,
  cancel_at_period_end: false,
  items: { object: 'list', data: [{ id: stripeId('si'), price: { id: stripeId('price'), unit_amount: 1500, currency: 'usd', recurring: { interval: 'month' } } }] },
  created: ids.created,
  livemode: false,
});

const invoice = (status: string, paid: boolean): ObjectBuilder => (ids) => ({
  id: stripeId('in'),
  object: 'invoice',
  customer: ids.customer,
  status,
  amount_due: 1500,
  amount_paid: paid ? 1500 : 0,
  currency: 'usd',
  parent: { type: 'subscription_details', subscription_details: { subscription: stripeId('sub'), metadata: {} }, quote_details: null },
  created: ids.created,
  livemode: false,
});

const payout = (status: string): ObjectBuilder => (ids) => ({
  id: stripeId('po'),
  object: 'payout',
  amount: 125_000,
  currency: 'usd',
  arrival_date: ids.created + 2 * 86_400,
  method: 'standard',
  status,
  created: ids.created,
  livemode: false,
});

const transfer = (amountReversed: number): ObjectBuilder => (ids) => ({
  id: stripeId('tr'),
  object: 'transfer',
  amount: 7_500,
  amount_reversed: amountReversed,
  currency: 'usd',
  destination: stripeId('acct'),
  reversed: amountReversed > 0,
  created: ids.created,
  livemode: false,
});

/** Every sample type. The reference actions handle most of them; the rest show unhandled types being ignored. */
export const SAMPLE_OBJECTS = {
  'payment_intent.created': paymentIntent('requires_payment_method'),
  'payment_intent.succeeded': paymentIntent('succeeded'),
  'payment_intent.payment_failed': paymentIntent('requires_payment_method'),
  'payment_intent.canceled': paymentIntent('canceled'),
  'payment_method.attached': (ids) => paymentMethod(ids.customer)(ids),
  'payment_method.detached': paymentMethod(null),
  'charge.succeeded': charge({}),
  'charge.refunded': charge({ amount_refunded: 2000, refunded: true }),
  'charge.dispute.created': dispute('needs_response'),
  'charge.dispute.closed': dispute('lost'),
  'balance.available': (ids) => ({
    object: 'balance',
    available: [{ amount: 542_000, currency: 'usd', source_types: { card: 542_000 } }, { amount: 12_300, currency: 'eur', source_types: { card: 12_300 } }],
    pending: [{ amount: 8_000, currency: 'usd', source_types: { card: 8_000 } }],
    livemode: false,
    created: ids.created,
  }),
  'checkout.session.completed': (ids) => ({
    id: stripeId('cs_test'),
    object: 'checkout.session',
    mode: 'payment',
    status: 'complete',
    payment_status: 'paid',
    amount_total: 2000,
    currency: 'usd',
    customer: ids.customer,
    payment_intent: ids.paymentIntent,
    client_reference_id: null,
    metadata: {},
    livemode: false,
  }),
  'customer.created': (ids) => ({ id: ids.customer, object: 'customer', email: 'jenny.rosen@example.com', name: 'Jenny Rosen', created: ids.created, livemode: false }),
  'customer.subscription.created': subscription('active'),
  'customer.subscription.updated': subscription('past_due'),
  'customer.subscription.deleted': subscription('canceled'),
  'invoice.paid': invoice('paid', true),
  'invoice.payment_failed': invoice('open', false),
  'payout.paid': payout('paid'),
  'transfer.created': transfer(0),
  'transfer.reversed': transfer(7_500),
} satisfies Partial<Record<Stripe.Event['type'], ObjectBuilder>>;

export type SampleEventType = keyof typeof SAMPLE_OBJECTS;

export function isSampleEventType(type: string): type is SampleEventType {
  return Object.hasOwn(SAMPLE_OBJECTS, type);
}

/**
 * A complete Stripe event of the given type.
 *
 * @example
 * const event = sampleEvent('payment_intent.succeeded', { object: { amount_received: 500 } });
 */
export function sampleEvent<T extends SampleEventType>(type: T, options: SampleOptions = {}): Extract<Stripe.Event, { type: T }> {
  const created = options.created ?? Math.floor(Date.now() / 1000);
  const ids: SampleIds = { customer: stripeId('cus'), paymentIntent: stripeId('pi'), charge: stripeId('ch'), created };
  const object = { ...SAMPLE_OBJECTS[type](ids), ...options.object };
  return {
    id: options.id ?? stripeId('evt'),
    object: 'event',
    api_version: SAMPLE_API_VERSION,
    created,
    data: { object, ...(options.previousAttributes ? { previous_attributes: options.previousAttributes } : {}) },
    livemode: options.livemode ?? false,
    pending_webhooks: 1,
    request: { id: stripeId('req'), idempotency_key: null },
    type,
  } as unknown as Extract<Stripe.Event, { type: T }>;
}
