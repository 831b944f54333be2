/**
 * Reading the business projections the reference actions write: payments, orders, customers,
 * disputes, the balance and the accounting ledger. Keys come from the same module the actions use.
 */
import { GetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { PLATFORM_ACCOUNT, customerFacetOf, projectionKeys, type ProjectionScope } from '../functions/shared/projection-keys';
import { queryPartition } from './table-reads';

type Item = Record<string, unknown>;

/**
 * The scope the readers of aggregates default to: the platform's test mode, which is what the local
 * stack and its sample events hold. Pass `{ livemode: true }` (and `account`) for a live stage.
 */
export const DEFAULT_SCOPE: ProjectionScope = { livemode: false };

/** Statuses in which a subscription grants membership (Stripe: the customer may use the service). */
const MEMBER_STATUSES: readonly string[] = ['active', 'trialing'];
/** Which subscription speaks for the customer when none is active: the most alive first. */
const STATUS_PRECEDENCE: readonly string[] = ['active', 'trialing', 'past_due', 'unpaid', 'incomplete', 'paused', 'incomplete_expired', 'canceled'];

/** An item without its table keys. */
function withoutKeys({ pk: _pk, sk: _sk, ...item }: Item): Item {
  return item;
}

/** One projection item, or undefined. */
export async function getProjection(db: DynamoDBClient, tableName: string, key: { pk: string; sk: string }): Promise<Item | undefined> {
  const { Item } = await db.send(new GetItemCommand({ TableName: tableName, Key: { pk: { S: key.pk }, sk: { S: key.sk } }, ConsistentRead: true }));
  return Item ? withoutKeys(unmarshall(Item)) : undefined;
}

/** One subscription of a customer: its own state, and the payments recorded against it. */
export interface SubscriptionView {
  readonly subscriptionId: string;
  /** From the subscription's own events (or its fetched state); null while only its invoices are known. */
  readonly status: string | null;
  readonly cancelAtPeriodEnd: boolean | null;
  /** The subscription's state item as written (version, source event, …), or null. */
  readonly state: Item | null;
  /** The latest invoice payment attempt against it: `lastInvoiceId`, `lastPaymentStatus` (paid|failed), … */
  readonly invoicePayment: Item | null;
  /** Epoch seconds: the end of the latest service period a paid invoice covered. */
  readonly paidThrough: number | null;
}

/** The customer's membership, derived from their subscriptions. */
export interface MembershipView {
  /** Whether any subscription is active or trialing. */
  readonly active: boolean;
  /** The status of the subscription that speaks for the customer: an active one if any, else the most alive. */
  readonly status: string;
  readonly subscriptionId: string;
  readonly cancelAtPeriodEnd: boolean | null;
}

export interface CustomerView {
  readonly customerId: string;
  /** Null when no subscription's status is known. */
  readonly membership: MembershipView | null;
  readonly subscriptions: readonly SubscriptionView[];
  /** One-off invoices (billing no subscription) and their payment. */
  readonly invoices: readonly Item[];
  readonly paymentMethods: readonly Item[];
}

/** A customer's membership, subscriptions, one-off invoices and saved payment methods, or undefined when nothing is known of them. */
export async function getCustomer(db: DynamoDBClient, tableName: string, customerId: string): Promise<CustomerView | undefined> {
  return customerView(customerId, await queryPartition(db, tableName, projectionKeys.customerPartition(customerId)));
}

/** The customer view of the items of a customer's partition. */
export function customerView(customerId: string, items: readonly Item[]): CustomerView | undefined {
  if (items.length === 0) return undefined;
  const subscriptions = new Map<string, { state?: Item; invoicePayment?: Item; paidThrough?: Item }>();
  const facetsOf = (id: string) => subscriptions.get(id) ?? subscriptions.set(id, {}).get(id)!;
  const invoices: Item[] = [];
  const paymentMethods: Item[] = [];
  for (const item of items) {
    const facet = customerFacetOf(String(item.sk));
    if (facet.kind === 'subscription') {
      const facets = facetsOf(facet.subscriptionId);
      if (facet.facet === 'status') facets.state = withoutKeys(item);
      else if (facet.facet === 'invoice_payment') facets.invoicePayment = withoutKeys(item);
      else facets.paidThrough = withoutKeys(item);
    } else if (facet.kind === 'invoice') invoices.push(withoutKeys(item));
    else if (facet.kind === 'payment_method') paymentMethods.push(withoutKeys(item));
  }
  const views = [...subscriptions].map(
    ([subscriptionId, facets]): SubscriptionView => ({
      subscriptionId,
      status: typeof facets.state?.status === 'string' ? facets.state.status : null,
      cancelAtPeriodEnd: typeof facets.state?.cancelAtPeriodEnd === 'boolean' ? facets.state.cancelAtPeriodEnd : null,
      state: facets.state ?? null,
      invoicePayment: facets.invoicePayment ?? null,
      paidThrough: typeof facets.paidThrough?.paidThrough === 'number' ? facets.paidThrough.paidThrough : null,
    }),
  );
  return { customerId, membership: membershipOf(views), subscriptions: views, invoices, paymentMethods };
}

/** Active if any subscription is active or trialing; null when no subscription's status is known. */
export function membershipOf(subscriptions: readonly SubscriptionView[]): MembershipView | null {
  const rank = (status: string) => (STATUS_PRECEDENCE.includes(status) ? STATUS_PRECEDENCE.indexOf(status) : STATUS_PRECEDENCE.length);
  const known = subscriptions.filter((subscription): subscription is SubscriptionView & { status: string } => subscription.status !== null);
  const speaking = [...known].sort((a, b) => rank(a.status) - rank(b.status) || a.subscriptionId.localeCompare(b.subscriptionId))[0];
  if (!speaking) return null;
  return { active: MEMBER_STATUSES.includes(speaking.status), status: speaking.status, subscriptionId: speaking.subscriptionId, cancelAtPeriodEnd: speaking.cancelAtPeriodEnd };
}

/** Which scope an aggregate read returns, named as the writers name it. */
function scopeFields(scope: ProjectionScope) {
  return { livemode: scope.livemode, account: scope.account ?? PLATFORM_ACCOUNT };
}

/** The balance snapshot per currency, of one mode and account (the platform's test mode by default). */
export async function getBalance(db: DynamoDBClient, tableName: string, scope: ProjectionScope = DEFAULT_SCOPE) {
  const items = await queryPartition(db, tableName, projectionKeys.balancePartition(scope));
  return { ...scopeFields(scope), currencies: Object.fromEntries(items.map((item) => [String(item.currency), withoutKeys(item)])) };
}

/** Accounting entries, oldest first, and the running totals per currency, of one mode and account (the platform's test mode by default). */
export async function getAccountingLedger(db: DynamoDBClient, tableName: string, scope: ProjectionScope = DEFAULT_SCOPE) {
  const items = await queryPartition(db, tableName, projectionKeys.ledgerPartition(scope));
  const entries = items
    .filter((item) => String(item.sk).startsWith('entry#'))
    .map(withoutKeys)
    .sort((a, b) => Number(a.created) - Number(b.created));
  const totals = Object.fromEntries(
    items.filter((item) => String(item.sk).startsWith('total#')).map((item) => [String(item.currency), { amount: item.amount, entries: item.entries }]),
  );
  return { ...scopeFields(scope), entries, totals };
}
