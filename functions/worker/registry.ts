/**
 * The typed registry of business actions: one handler contract for every form an event comes in.
 *
 * Keys are Stripe event types. A snapshot type (`invoice.paid`) gets stripe-node's event of that type,
 * whether it came as a snapshot or as a thin `v1.invoice.paid` notification folded into its snapshot.
 * A thin-only type (`v1.billing.meter.error_report_triggered`, any `v2.*`) gets the event fetched from
 * `/v2/core/events`, typed as stripe-node's `V2.Core.Event` of that type, with its related object in
 * the context. Either way the handler is pure: event and context in, effects out.
 *
 * A handler may also ask for the current state of the object an event is about (`currentObject`):
 * when an API key is configured, the worker fetches it and passes it in the context, so the handler
 * projects what Stripe holds now instead of what the event carried (see effects.ts on ordering).
 *
 * @example
 * const handlers = {
 *   'invoice.paid': (event) => ({ writes: [...] }), // event: Stripe.InvoicePaidEvent
 *   'customer.subscription.updated': { handle: onSubscription, currentObject: (event) => subscriptionRef(event) },
 * } satisfies HandlerMap;
 */
import type Stripe from 'stripe';
import type { EventForm, EventSource } from '../shared/envelope';
import type { Effects } from './effects';

export type SnapshotEventType = Stripe.Event['type'];
export type ThinEventType = Stripe.V2.Core.Event['type'];
export type EventType = SnapshotEventType | ThinEventType;
export type EventOf<T extends EventType> = T extends SnapshotEventType ? Extract<Stripe.Event, { type: T }> : Extract<Stripe.V2.Core.Event, { type: T }>;

/** An object's state as the API returned it, and when it was fetched. */
export interface CurrentObject<O = unknown> {
  readonly object: O;
  /** Epoch milliseconds. */
  readonly fetchedAt: number;
}

/** A Stripe object the API can return, by its path (`/v1/subscriptions/sub_…`). */
export interface ObjectRef {
  readonly url: string;
}

export interface HandlerContext {
  readonly livemode: boolean;
  /** The connected account the event happened on (Stripe Connect); absent for the platform's own. */
  readonly account?: string;
  readonly form: EventForm;
  readonly source: EventSource;
  /** For an event fetched from `/v2/core/events`: its related object, fetched too (null when it names none). */
  readonly relatedObject?: unknown;
  /** The object's current state, when the handler asked for it and an API key is configured. */
  readonly current?: CurrentObject;
}

export type EventHandler<T extends EventType> = (event: EventOf<T>, context: HandlerContext) => Effects;

/** A handler that asks for the current state of the object its event is about. */
export interface HandlerWithCurrentObject<T extends EventType> {
  readonly handle: EventHandler<T>;
  /** The object to fetch, or undefined when there is none to fetch for this event. */
  readonly currentObject: (event: EventOf<T>) => ObjectRef | undefined;
}

export type HandlerEntry<T extends EventType> = EventHandler<T> | HandlerWithCurrentObject<T>;
export type HandlerMap = { readonly [T in EventType]?: HandlerEntry<T> };

/** What the worker runs for one type. */
export interface RegisteredHandler {
  readonly handle: (event: Stripe.Event | Stripe.V2.Core.Event, context: HandlerContext) => Effects;
  readonly currentObject?: (event: Stripe.Event | Stripe.V2.Core.Event) => ObjectRef | undefined;
}

export interface Registry {
  /** The handler for a type, or undefined when the type is not handled (the event is then ignored). */
  find(type: string): RegisteredHandler | undefined;
  /** Every handled type. */
  readonly types: readonly string[];
  /** The handled types Stripe also sends as snapshot events: what a webhook endpoint subscribes to and `/v1/events` lists. */
  readonly snapshotTypes: readonly string[];
}

export function createRegistry(...maps: readonly HandlerMap[]): Registry {
  // A Map, not a plain object lookup: an event type such as "constructor" must not find Object.prototype.
  const byType = new Map<string, RegisteredHandler>();
  for (const map of maps) {
    for (const [type, entry] of Object.entries(map)) {
      if (byType.has(type)) throw new Error(`Two handlers are registered for ${type}`);
      byType.set(type, (typeof entry === 'function' ? { handle: entry } : entry) as RegisteredHandler);
    }
  }
  const types = [...byType.keys()];
  return { find: (type) => byType.get(type), types, snapshotTypes: types.filter((type) => !isThinOnlyType(type)) };
}

/** Whether a type is delivered only as a thin event (fetched from `/v2/core/events`), never as a snapshot. */
export function isThinOnlyType(type: string): boolean {
  return /^v\d+\./.test(type);
}
