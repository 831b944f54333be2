import type Stripe from 'stripe';

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
  if (candidate.object === 'v2.core.event') {
    return 'thin events (v2) are not supported: configure a snapshot-event webhook endpoint';
  }
  if (candidate.object !== 'event') return 'body is not a Stripe event (object is not "event")';
  if (typeof candidate.id !== 'string' || !/^evt_[A-Za-z0-9_]{1,250}$/.test(candidate.id)) {
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
