/**
 * What the worker reads from Stripe's API, and the adapter that reads it with stripe-node through the
 * one Stripe client (functions/shared/stripe-api.ts: rate-limited, retrying 429, errors that never
 * carry the key).
 *
 * - A thin `v1.*` notification folded into its snapshot: `GET /v1/events/{id}` of that snapshot.
 * - Any other thin notification: stripe-node's `fetchEvent` (`GET /v2/core/events/{id}`) and
 *   `fetchRelatedObject`, with the notification's account context.
 * - A handler's current object: `GET` of its path.
 *
 * A failure is a StripeApiError whose message names the event and what to do; processEvent records it
 * and the message is retried through the queue (then dead-lettered), never acknowledged as done.
 */
import type Stripe from 'stripe';
import { StripeApiError } from '../shared/errors';
import type { StripeApi } from '../shared/stripe-api';
import type { ThinNotification } from '../shared/stripe-event';
import type { CurrentObject, ObjectRef } from './registry';

export interface StripeReads {
  /** The snapshot event `id`, on the connected account `account` when given. */
  snapshotEvent(id: string, account: string | undefined): Promise<unknown>;
  /** The event a thin notification names, and its related object (null when it names none). */
  thinEvent(notification: ThinNotification): Promise<{ readonly event: unknown; readonly relatedObject: unknown }>;
  /** The object at `ref`, on the connected account `account` when given. */
  object(ref: ObjectRef, account: string | undefined): Promise<unknown>;
}

/** Reads through a client made on first use, so a worker without an API key starts, and fails only the events that need one. */
export function stripeReads(api: () => Promise<StripeApi>): StripeReads {
  return {
    snapshotEvent: (id, account) =>
      explained(`snapshot event ${id}`, async () => (await api()).read((stripe) => stripe.events.retrieve(id, {}, account ? { stripeAccount: account } : undefined))),
    thinEvent: (notification) =>
      explained(`thin event ${notification.id}`, async () => {
        const client = await api();
        // stripe-node's own notification, for its fetchEvent and fetchRelatedObject (with the account's context).
        const parsed = client.client.parseEventNotificationWithoutVerification(JSON.stringify(notification)) as Stripe.V2.Core.EventNotification & {
          fetchRelatedObject?: () => Promise<unknown>;
        };
        const event = await client.read(() => parsed.fetchEvent() as Promise<unknown>);
        const relatedObject = notification.related_object && parsed.fetchRelatedObject ? await client.read(() => parsed.fetchRelatedObject!()) : null;
        return { event, relatedObject };
      }),
    object: (ref, account) =>
      explained(`current object ${ref.url}`, async () =>
        (await api()).read((stripe) => stripe.rawRequest('GET', ref.url, undefined, account ? { stripeAccount: account } : undefined)),
      ),
  };
}

/**
 * The current-object reads of one batch: each object is fetched once however many of the batch's
 * events ask for it, and every one of them gets the same state and fetch time.
 */
export function currentObjectsOfBatch(reads: StripeReads, now: () => number): (ref: ObjectRef, account: string | undefined) => Promise<CurrentObject> {
  const fetched = new Map<string, Promise<CurrentObject>>();
  return (ref, account) => {
    const key = `${account ?? ''} ${ref.url}`;
    let current = fetched.get(key);
    if (!current) {
      // The time before the request: the state returned is at least this new.
      const fetchedAt = now();
      current = reads.object(ref, account).then((object) => ({ object, fetchedAt }));
      fetched.set(key, current);
    }
    return current;
  };
}

/** Runs a read; a failure says which event it was for, and (for a 404) why Stripe may no longer have it. */
async function explained<T>(what: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (!(error instanceof StripeApiError)) throw error;
    const hint = error.failure === 'not_found' ? ' Stripe keeps events for 30 days; an older one can no longer be fetched.' : '';
    throw new StripeApiError(error.failure, `Could not fetch the ${what}: ${error.message}${hint}`, error.status, { cause: error });
  }
}
