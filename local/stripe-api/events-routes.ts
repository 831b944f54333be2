/**
 * The Events APIs (`GET /v1/events`, `GET /v1/events/{id}`, and v2's `GET /v2/core/events/{id}`, which
 * a thin notification's `fetchEvent` reads) and the retrieval of the objects events carry
 * (`GET /v1/payment_intents/{id}`, a thin event's `related_object.url` such as
 * `/v1/billing/meters/{id}`, and the like), answered from what the store recorded.
 */
import { MAX_TYPES_PER_REQUEST as MAX_TYPES } from '../../functions/reconcile/reconcile';
import { STRIPE_EVENT_RETENTION_SECONDS } from '../../functions/reconcile/windows';
import { invalidParam, resourceMissing, v2NotFound } from './errors';
import type { FormHash } from './form';
import { PAGE_PARAMS, pageParams, paginate, type ListPage } from './list';
import { integer, optionalBoolean, optionalString, optionalStringArray, rejectUnknown } from './params';
import type { RouteContext } from './context';
import type { RecordedEvent } from './store';

/**
 * The collections whose objects can be retrieved, and the `object` value each holds: the objects of the
 * sample events, and those thin events name (`billing.meter`) or handlers read current (`subscription`).
 */
export const OBJECT_COLLECTIONS: Readonly<Record<string, string>> = {
  payment_intents: 'payment_intent',
  charges: 'charge',
  customers: 'customer',
  invoices: 'invoice',
  subscriptions: 'subscription',
  disputes: 'dispute',
  refunds: 'refund',
  payment_methods: 'payment_method',
  payouts: 'payout',
  transfers: 'transfer',
  'checkout/sessions': 'checkout.session',
  setup_intents: 'setup_intent',
  products: 'product',
  prices: 'price',
  'billing/meters': 'billing.meter',
};

/** Stripe keeps events, snapshot and v2 alike, for 30 days. */
const retained = (context: RouteContext) => {
  const cutoff = Math.floor(context.now() / 1000) - STRIPE_EVENT_RETENTION_SECONDS;
  return (event: { readonly created: number }) => event.created >= cutoff;
};

/** `GET /v1/events`: newest first, filtered by `created`, `type` or `types`, and `delivery_success`. */
export function listEvents(params: FormHash, context: RouteContext): ListPage<Readonly<Record<string, unknown>>> {
  rejectUnknown(params, ['created', 'type', 'types', 'delivery_success', ...PAGE_PARAMS]);
  const keep = [createdFilter(params), typeFilter(params), deliveryFilter(params)];
  const page = pageParams(params);
  const all = context.store.listedEvents().filter(retained(context));
  const listed = paginate(all, (event) => keep.every((matches) => matches(event)), page, '/v1/events', 'event');
  return { ...listed, data: listed.data.map((recorded) => recorded.event) };
}

/** `GET /v1/events/{id}`: the event exactly as recorded. */
export function retrieveEvent(id: string, params: FormHash, context: RouteContext): Readonly<Record<string, unknown>> {
  rejectUnknown(params, []);
  const recorded = context.store.recordedEvent(id);
  if (!recorded || !retained(context)(recorded)) throw resourceMissing('event', id);
  return recorded.event;
}

/**
 * `GET /v2/core/events/{id}`: the v2 event exactly as recorded; a v1 (snapshot) event id is not one,
 * as in Stripe's API. A missing or expired one gets v2's 404.
 */
export function retrieveThinEvent(id: string, params: FormHash, context: RouteContext): Readonly<Record<string, unknown>> {
  rejectUnknown(params, []);
  const recorded = context.store.recordedThinEvent(id);
  if (!recorded || !retained(context)(recorded)) throw v2NotFound('event', id);
  return recorded.event;
}

/** `GET /v1/{collection}/{id}`: the latest state recorded for that object, if it is of that collection. */
export function retrieveObject(collection: string, id: string, params: FormHash, context: RouteContext): Readonly<Record<string, unknown>> {
  rejectUnknown(params, []);
  const objectType = OBJECT_COLLECTIONS[collection]!;
  const object = context.store.object(id);
  if (!object || object.object !== objectType) throw resourceMissing(objectType, id);
  return object;
}

type EventFilter = (event: RecordedEvent) => boolean;

/** `created=N`, or a range: `created[gte]`, `created[gt]`, `created[lte]`, `created[lt]` (epoch seconds). */
function createdFilter(params: FormHash): EventFilter {
  const created = params.created;
  if (created === undefined) return () => true;
  if (typeof created === 'string') {
    const at = integer(created, 'created');
    return (event) => event.created === at;
  }
  if (Array.isArray(created)) throw invalidParam('created', 'Invalid created: pass an integer or a hash of gt, gte, lt, lte');
  const bounds = created as FormHash;
  const tests: EventFilter[] = Object.entries(bounds).map(([operator, value]) => {
    const bound = integer(value, `created[${operator}]`);
    switch (operator) {
      case 'gt':
        return (event) => event.created > bound;
      case 'gte':
        return (event) => event.created >= bound;
      case 'lt':
        return (event) => event.created < bound;
      case 'lte':
        return (event) => event.created <= bound;
      default:
        throw invalidParam(`created[${operator}]`, `Received unknown parameter: created[${operator}]`, 'parameter_unknown');
    }
  });
  return (event) => tests.every((test) => test(event));
}

/** `type` (exact, or a group with `*`: `payment_intent.*`) or `types` (up to 20 exact names), not both. */
function typeFilter(params: FormHash): EventFilter {
  const type = optionalString(params, 'type');
  const types = optionalStringArray(params, 'types');
  if (type !== undefined && types !== undefined) throw invalidParam('types', 'You may pass either type or types, but not both.');
  if (types !== undefined) {
    if (types.length > MAX_TYPES) throw invalidParam('types', `Invalid array: types may contain at most ${MAX_TYPES} event types, got ${types.length}.`);
    const wanted = new Set(types);
    return (event) => wanted.has(event.type);
  }
  if (type === undefined || type === '') return () => true;
  const pattern = new RegExp(`^${type.split('*').map(escapeRegExp).join('.*')}$`);
  return (event) => pattern.test(event.type);
}

/** `delivery_success=false` lists the events not (yet) delivered to every endpoint; `true` the others. */
function deliveryFilter(params: FormHash): EventFilter {
  const delivered = optionalBoolean(params, 'delivery_success');
  if (delivered === undefined) return () => true;
  return (event) => event.delivered === delivered;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
