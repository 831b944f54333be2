import type Stripe from 'stripe';

const EVENT_ID = /^evt_[A-Za-z0-9_]{1,250}$/;

/** The fields of a Stripe snapshot event that the pipeline itself relies on. */
export interface SnapshotEventFields {
  readonly id: string;
  readonly object: 'event';
  readonly type: string;
  readonly created: number;
  readonly livemode: boolean;
  readonly api_version: string | null;
  /** The connected account the event happened on (Stripe Connect), absent for the platform's own events. */
  readonly account?: string;
  readonly data: { readonly object: unknown };
}

/**
 * Checks that a parsed JSON value is a Stripe snapshot event and returns it typed as one.
 * Returns a reason string instead when it is not, so callers choose their own error.
 *
 * @example
 * const result = asStripeEvent(JSON.parse(body));
 * if (typeof result === 'string') throw new InvalidEventError(result);
 */
export function asStripeEvent(value: unknown): Stripe.Event | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'body is not a JSON object';
  const candidate = value as Record<string, unknown>;
  if (candidate.object === 'v2.core.event') return 'body is a thin event notification, not a snapshot event';
  if (candidate.object !== 'event') return 'body is not a Stripe event (object is not "event")';
  if (typeof candidate.id !== 'string' || !EVENT_ID.test(candidate.id)) {
    return 'event id is missing or malformed';
  }
  if (typeof candidate.type !== 'string' || candidate.type.length === 0) return 'event type is missing';
  if (typeof candidate.created !== 'number' || !Number.isInteger(candidate.created)) {
    return 'event created timestamp is missing';
  }
  if (typeof candidate.livemode !== 'boolean') return 'event livemode is missing';
  const data = candidate.data as Record<string, unknown> | undefined;
  if (typeof data !== 'object' || data === null || typeof data.object !== 'object' || data.object === null) {
    return 'event data.object is missing';
  }
  if (candidate.api_version !== undefined && candidate.api_version !== null && typeof candidate.api_version !== 'string') {
    return 'event api_version is not a string';
  }
  if (candidate.account !== undefined && candidate.account !== null && typeof candidate.account !== 'string') return 'event account is not a string';
  return value as Stripe.Event;
}

/**
 * A thin event notification (`object: "v2.core.event"`) as Stripe pushes it: no payload, only what
 * names the event. The worker fetches the event itself (functions/worker/thin-events.ts).
 */
export interface ThinNotification {
  readonly id: string;
  readonly object: 'v2.core.event';
  /** e.g. `v1.payment_intent.succeeded` or `v2.core.account.updated`. */
  readonly type: string;
  /** ISO 8601. */
  readonly created: string;
  readonly livemode: boolean;
  /** The account the event happened on (`acct_…`), absent for the platform's own. */
  readonly context?: string;
  readonly related_object?: { readonly id: string; readonly type: string; readonly url: string };
  /** For a thin `v1.*` event that also exists as a snapshot event: that event's id. */
  readonly snapshot_event?: string;
}


/** Checks that a parsed JSON value is a thin event notification; returns a reason string when it is not. */
export function asThinNotification(value: unknown): ThinNotification | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'body is not a JSON object';
  const candidate = value as Record<string, unknown>;
  if (candidate.object !== 'v2.core.event') return 'body is not a thin event notification (object is not "v2.core.event")';
  if (typeof candidate.id !== 'string' || !EVENT_ID.test(candidate.id)) return 'event id is missing or malformed';
  if (typeof candidate.type !== 'string' || !/^v\d+\.[a-z0-9_.]+$/.test(candidate.type)) return 'event type is missing or malformed';
  if (typeof candidate.created !== 'string' || Number.isNaN(Date.parse(candidate.created))) return 'event created time is missing';
  if (typeof candidate.livemode !== 'boolean') return 'event livemode is missing';
  if (candidate.context !== undefined && candidate.context !== null && typeof candidate.context !== 'string') return 'event context is not a string';
  if (candidate.snapshot_event !== undefined && candidate.snapshot_event !== null && (typeof candidate.snapshot_event !== 'string' || !EVENT_ID.test(candidate.snapshot_event))) {
    return 'event snapshot_event is malformed';
  }
  const related = candidate.related_object as Record<string, unknown> | undefined | null;
  if (related !== undefined && related !== null && (typeof related !== 'object' || typeof related.id !== 'string' || typeof related.url !== 'string')) {
    return 'event related_object is malformed';
  }
  return value as ThinNotification;
}

/** A Stripe payload in either form Stripe pushes. */
export type StripePayload = { readonly form: 'snapshot'; readonly event: Stripe.Event } | { readonly form: 'thin'; readonly notification: ThinNotification };

/** Reads a parsed JSON value as a snapshot event or a thin notification; a reason string when it is neither. */
export function asStripePayload(value: unknown): StripePayload | string {
  if (typeof value === 'object' && value !== null && (value as { object?: unknown }).object === 'v2.core.event') {
    const notification = asThinNotification(value);
    return typeof notification === 'string' ? notification : { form: 'thin', notification };
  }
  const event = asStripeEvent(value);
  return typeof event === 'string' ? event : { form: 'snapshot', event };
}
