/**
 * The typed registry of business actions. Keys are Stripe event types and each handler receives the
 * matching event type from stripe-node, so `event.data.object` is a PaymentIntent for
 * `payment_intent.succeeded`, an Invoice for `invoice.paid`, and so on.
 *
 * @example
 * const handlers = {
 *   'invoice.paid': (event) => ({ writes: [...] }), // event: Stripe.InvoicePaidEvent
 * } satisfies HandlerMap;
 */
import type Stripe from 'stripe';
import type { Effects } from './effects';

export type EventType = Stripe.Event['type'];
export type EventOf<T extends EventType> = Extract<Stripe.Event, { type: T }>;
export type EventHandler<T extends EventType> = (event: EventOf<T>) => Effects;
export type HandlerMap = { readonly [T in EventType]?: EventHandler<T> };

export interface Registry {
  /** The handler for a type, or undefined when the type is not handled (the event is then ignored). */
  find(type: string): ((event: Stripe.Event) => Effects) | undefined;
  readonly types: readonly string[];
}

export function createRegistry(...maps: readonly HandlerMap[]): Registry {
  // A Map, not a plain object lookup: an event type such as "constructor" must not find Object.prototype.
  const byType = new Map<string, (event: Stripe.Event) => Effects>();
  for (const map of maps) {
    for (const [type, handler] of Object.entries(map)) {
      if (byType.has(type)) throw new Error(`Two handlers are registered for ${type}`);
      byType.set(type, handler as (event: Stripe.Event) => Effects);
    }
  }
  return { find: (type) => byType.get(type), types: [...byType.keys()] };
}
