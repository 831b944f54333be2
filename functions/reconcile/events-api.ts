/**
 * The Events API as the reconcile core lists it: one page of at most 100 events per call, within the
 * client's read rate limit (functions/shared/stripe-api.ts), each event with its JSON.
 */
import type Stripe from 'stripe';
import type { StripeApi } from '../shared/stripe-api';
import type { EventsPage, EventsQuery, ListedEvent } from './reconcile';

/** Stripe's largest page. */
export const EVENTS_PAGE_SIZE = 100;

export function stripeEventsLister(api: StripeApi, pageSize = EVENTS_PAGE_SIZE): (query: EventsQuery) => Promise<EventsPage> {
  return async (query) => {
    const params: Stripe.EventListParams = {
      created: { gte: query.from, lte: query.to },
      limit: pageSize,
      ...(query.types ? { types: [...query.types] } : {}),
      ...(query.undeliveredOnly ? { delivery_success: false } : {}),
      ...(query.startingAfter ? { starting_after: query.startingAfter } : {}),
    };
    const page = await api.read((stripe) => stripe.events.list(params));
    return { events: page.data.map(listedEvent), hasMore: page.has_more };
  };
}

function listedEvent(event: Stripe.Event): ListedEvent {
  return {
    id: event.id,
    type: event.type,
    created: event.created,
    livemode: event.livemode,
    api_version: event.api_version ?? null,
    // As the API rendered it: in the API version of the event's creation, which handlers must read.
    body: JSON.stringify(event),
  };
}
