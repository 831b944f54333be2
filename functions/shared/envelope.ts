/**
 * The event envelope: the one shape the worker core sees, whatever way an event came in.
 *
 * Each way in (today a signed webhook; next thin notifications, Amazon EventBridge and a backfill from
 * Stripe's Events API) is a small adapter that produces an envelope. The core keys exactly-once on
 * `ledgerId`, runs the handler on the Stripe event the envelope carries (or resolves the reference it
 * carries first), and records where the event came from.
 */
import type Stripe from 'stripe';
import type { ThinNotification } from './stripe-event';

/**
 * The ways an event reaches the worker: pushed by Stripe to the webhook, put on the queue by Amazon
 * EventBridge (Stripe's event destination on a partner event bus), or found by reconciling with
 * Stripe's Events API (a delivery that never came).
 */
export type EventSource = 'webhook' | 'eventbridge' | 'backfill';

/** The forms Stripe sends an event in: the whole event (snapshot), or a notification naming it (thin). */
export type EventForm = 'snapshot' | 'thin';

/** A snapshot event, as Stripe sent it: the handler can run on it as it is. */
export interface SnapshotContent {
  readonly kind: 'snapshot';
  readonly event: Stripe.Event;
}

/** A thin notification: the event it names must be fetched from Stripe before a handler can run. */
export interface ThinContent {
  readonly kind: 'thin';
  readonly notification: ThinNotification;
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
  /**
   * The thin event's id when a thin `v1.*` notification is folded into its snapshot event: the
   * ledger then keys on the snapshot's id, so both forms of one change are done once.
   */
  readonly thinEventId?: string;
  /** When the pipeline first received the event (ISO 8601). */
  readonly receivedAt?: string;
  readonly content: SnapshotContent | ThinContent;
}

type Arrival = { readonly source: EventSource; readonly receivedAt?: string };

/** The envelope of a snapshot event. */
export function snapshotEnvelope(event: Stripe.Event, arrival: Arrival): EventEnvelope {
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

/** The prefix a thin notification puts before the type of a v1 (snapshot) event. */
const V1_PREFIX = 'v1.';

/**
 * The envelope of a thin notification. One that names its snapshot event (a `v1.*` change that also
 * exists as a snapshot) is folded into it: same ledger id, same type, same handler as the snapshot.
 * Any other (every `v2.*` event, thin-only v1 events) is keyed and handled by its own id and type.
 */
export function thinEnvelope(notification: ThinNotification, arrival: Arrival): EventEnvelope {
  const folded = notification.snapshot_event && notification.type.startsWith(V1_PREFIX) ? notification.snapshot_event : undefined;
  return {
    ledgerId: folded ?? notification.id,
    type: folded ? notification.type.slice(V1_PREFIX.length) : notification.type,
    created: Math.floor(Date.parse(notification.created) / 1000),
    livemode: notification.livemode,
    ...(notification.context ? { account: notification.context } : {}),
    source: arrival.source,
    ...(folded ? { thinEventId: notification.id } : {}),
    ...(arrival.receivedAt ? { receivedAt: arrival.receivedAt } : {}),
    content: { kind: 'thin', notification },
  };
}

/** The form an envelope's event came in. */
export function formOf(envelope: EventEnvelope): EventForm {
  return envelope.content.kind === 'thin' ? 'thin' : 'snapshot';
}
