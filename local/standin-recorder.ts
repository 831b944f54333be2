/**
 * Tells the Stripe API stand-in about an event (snapshot or thin) the trigger command sent, as Stripe records every event
 * it creates: the Events API then lists it, and a backfill can find one whose webhook never came.
 * Uses the stand-in's private route (`POST /_standin/events`); the real Stripe API has no such thing.
 */
import { STANDIN_API_KEY } from './stripe-api/server';

export interface StandInTarget {
  readonly apiBase: string;
  /** @default the stand-in's own key */
  readonly apiKey?: string;
}

/** Records a snapshot event; `delivered: false` leaves it for `delivery_success=false` listings. */
export function recordAtStandIn(target: StandInTarget, event: { readonly id: string }, delivered: boolean): Promise<void> {
  return post(target, event, { event, delivered });
}

/** Records a thin (v2) event and the object it names, so that the worker's fetchEvent and fetchRelatedObject find them. */
export function recordThinAtStandIn(target: StandInTarget, event: { readonly id: string }, relatedObject: unknown): Promise<void> {
  return post(target, event, { event, ...(relatedObject === undefined ? {} : { relatedObject }) });
}

async function post(target: StandInTarget, event: { readonly id: string }, body: unknown): Promise<void> {
  let response: Response;
  try {
    response = await fetch(new URL('/_standin/events', target.apiBase), {
      method: 'POST',
      headers: { authorization: `Bearer ${target.apiKey ?? STANDIN_API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  } catch (error) {
    throw new Error(`The Stripe API stand-in at ${target.apiBase} did not answer (${(error as Error).message}): is npm start (or npm run stripe:standin) running?`);
  }
  if (response.status !== 201) {
    const message = ((await response.json().catch(() => ({}))) as { error?: { message?: string } }).error?.message;
    throw new Error(`The Stripe API stand-in at ${target.apiBase} refused event ${event.id} (${response.status}): ${message ?? 'no message'}`);
  }
}
