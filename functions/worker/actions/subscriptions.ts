/**
 * customer.subscription.*: each subscription's own state, under its customer.
 *
 * A subscription's status comes only from here, never from an invoice or another object's event, so
 * a canceled subscription is never made active again by anything but the subscription itself. Each
 * subscription is its own item: a customer with several never has one overwrite another's.
 *
 * When an API key is configured the worker fetches the subscription as Stripe holds it now, and that
 * is what is projected, with a version that outranks every older event and fetch (effects.ts). Without
 * a key the event's payload is projected, ordered by the event's created second and rank.
 */
import type Stripe from 'stripe';
import { projectionKeys } from '../../shared/projection-keys';
import { currentStateVersion, idOf, stateVersion, stateWrite, type Effects } from '../effects';
import type { CurrentObject, EventOf, HandlerContext, HandlerMap, HandlerWithCurrentObject, ObjectRef } from '../registry';

/** Within one second: a deletion beats an update, which beats a creation. */
const RANK = { created: 10, updated: 20, deleted: 30 } as const;

type SubscriptionEventType = 'customer.subscription.created' | 'customer.subscription.updated' | 'customer.subscription.deleted';
type SubscriptionEvent = EventOf<SubscriptionEventType>;

/** Where Stripe serves the subscription's current state. */
export function subscriptionRef(subscriptionId: string): ObjectRef {
  return { url: `/v1/subscriptions/${encodeURIComponent(subscriptionId)}` };
}

/** The fetched object, when it is the subscription the event is about (defensive: anything else is ignored). */
function fetchedSubscription(current: CurrentObject | undefined, subscriptionId: string): { subscription: Stripe.Subscription; fetchedAt: number } | undefined {
  const object = current?.object as Partial<Stripe.Subscription> | null | undefined;
  if (!current || typeof object !== 'object' || object === null || object.object !== 'subscription' || object.id !== subscriptionId) return undefined;
  return { subscription: object as Stripe.Subscription, fetchedAt: current.fetchedAt };
}

/** The state to project: the current subscription when fetched, else the event's payload with the event's version. */
function stateToProject(event: SubscriptionEvent, context: HandlerContext, rank: number) {
  const fromEvent = event.data.object;
  const fetched = fetchedSubscription(context.current, fromEvent.id);
  if (fetched) {
    return { subscription: fetched.subscription, version: currentStateVersion(fetched), stateFrom: 'current_object', asOf: Math.floor(fetched.fetchedAt / 1000) } as const;
  }
  // A deleted subscription is canceled whatever status the payload of an older API version shows.
  const subscription = event.type === 'customer.subscription.deleted' ? { ...fromEvent, status: 'canceled' as const } : fromEvent;
  return { subscription, version: stateVersion(event, rank), stateFrom: 'event', asOf: event.created } as const;
}

function onSubscription(rank: number) {
  return (event: SubscriptionEvent, context: HandlerContext): Effects => {
    const { subscription, version, stateFrom, asOf } = stateToProject(event, context, rank);
    const customerId = idOf(subscription.customer) ?? idOf(event.data.object.customer);
    const change = event.type.split('.').pop();
    if (!customerId) {
      return { writes: [], logs: [{ level: 'warn', message: 'Subscription event names no customer; nothing to record', attributes: { subscriptionId: subscription.id } }] };
    }
    return {
      writes: [
        stateWrite(projectionKeys.subscription(customerId, subscription.id), version, {
          customerId,
          subscriptionId: subscription.id,
          status: subscription.status,
          cancelAtPeriodEnd: subscription.cancel_at_period_end,
          canceledAt: subscription.canceled_at ?? null,
          stateFrom,
          asOf,
        }),
      ],
      logs: [{ level: 'info', message: `Subscription ${change}`, attributes: { subscriptionId: subscription.id, customerId, status: subscription.status, stateFrom } }],
    };
  };
}

/** The handler for one subscription event type, asking the worker for the subscription's current state. */
function withCurrentSubscription<T extends SubscriptionEventType>(rank: number): HandlerWithCurrentObject<T> {
  return { handle: onSubscription(rank), currentObject: (event) => subscriptionRef(event.data.object.id) };
}

export const subscriptionHandlers = {
  'customer.subscription.created': withCurrentSubscription<'customer.subscription.created'>(RANK.created),
  'customer.subscription.updated': withCurrentSubscription<'customer.subscription.updated'>(RANK.updated),
  'customer.subscription.deleted': withCurrentSubscription<'customer.subscription.deleted'>(RANK.deleted),
} satisfies HandlerMap;
