/**
 * The event envelope: the one shape the worker core sees, whatever way an event came in.
 *
 * Each way in (today a signed webhook; next thin notifications, Amazon EventBridge and a backfill from
 * Stripe's Events API) is a small adapter that produces an envelope. The core keys exactly-once on
 * `ledgerId`, runs the handler on the Stripe event the envelope carries (or resolves the reference it
 * carries first), and records where the event came from.
 */
import type Stripe from 'stripe';

/**
 * The ways an event reaches the worker: pushed by Stripe to the webhook, or found by reconciling with
 * Stripe's Events API (a delivery that never came).
 */
export type EventSource = 'webhook' | 'backfill';

/** A snapshot event, as Stripe sent it: the handler can run on it as it is. */
export interface SnapshotContent {
  readonly kind: 'snapshot';
  readonly event: Stripe.Event;
}

/** A reference to an event that must be fetched from Stripe before a handler can run (thin events). */
export interface ReferenceContent {
  readonly kind: 'reference';
  /** The id of the event to fetch. */
  readonly eventId: string;
}

export interface EventEnvelope {
  /** The ledger's key: the Stripe event id whose effects happen exactly once. */
  readonly ledgerId: string;
  readonly type: string;
  /** When Stripe created the event, in epoch seconds. */
  readonly created: number;
  readonly livemode: boolean;
  /** The connected account the event happened on (Stripe Connect); absent for the platform's own. */
  readonly account?: string;
  readonly source: EventSource;
  /** When the pipeline first received the event (ISO 8601). */
  readonly receivedAt?: string;
  readonly content: SnapshotContent | ReferenceContent;
}

/** The envelope of a snapshot event. */
export function snapshotEnvelope(event: Stripe.Event, arrival: { readonly source: EventSource; readonly receivedAt?: string }): EventEnvelope {
  return {
    ledgerId: event.id,
    type: event.type,
    created: event.created,
    livemode: event.livemode,
    ...(event.account ? { account: event.account } : {}),
    source: arrival.source,
    ...(arrival.receivedAt ? { receivedAt: arrival.receivedAt } : {}),
    content: { kind: 'snapshot', event },
  };
}
