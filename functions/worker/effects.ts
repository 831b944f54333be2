/**
 * What a business action returns: a description of its effects, not the effects themselves. Actions
 * stay pure (event in, effects out) and the ledger commits every DynamoDB write atomically with the
 * event's "completed" mark.
 *
 * Ordering rule. Stripe does not deliver events in order. Every write to an object's state carries a
 * version, and DynamoDB applies it only if the stored version is not newer
 * (`attribute_not_exists(stateVersion) OR stateVersion <= :version`). By default the version is
 * `event.created * 100 + rank`: the second the event was created, then a rank for the same second
 * (a terminal state such as `succeeded` or `deleted` outranks an intermediate one). A write that loses
 * is skipped and the event still completes. Limits: two events for one object created in the same
 * second with the same rank are applied in arrival order; and the rule compares events, not the
 * object's history, so a state Stripe reached without an event we handle is not known here.
 *
 * Current state (when it matters, fetch the object). A handler may ask for the object's current state
 * (registry.ts, `currentObject`); the worker fetches it only when an API key is configured.
 * - With a key: the handler projects the fetched object, versioned `currentStateVersion`: the second
 *   of the fetch with the highest rank (99). It wins over every event created up to that second and
 *   over earlier fetches, so whatever order events arrive in, the stored state is the newest state
 *   fetched: what Stripe held when the last event was processed. Same-second ties stop mattering.
 *   What remains: a change made in the very second of a fetch, after it, is not stored until its own
 *   event is processed (which fetches again, later); and the clocks of the workers that fetch must
 *   agree to within a second. When Stripe does not know the object (404), the handler gets no
 *   current state and the payload is projected under the default rule, as without a key.
 * - Without a key: the default rule above decides (created second, then rank); ties of equal rank in
 *   one second fall to arrival order.
 */
export type AttributeValue = string | number | boolean | null | undefined | readonly AttributeValue[] | { readonly [key: string]: AttributeValue };
export type Attributes = { readonly [name: string]: AttributeValue };

export interface ItemKey {
  readonly pk: string;
  readonly sk: string;
}

/** Latest-wins state of one object, guarded by its version. */
export interface StateWrite {
  readonly kind: 'state';
  readonly key: ItemKey;
  readonly version: number;
  readonly attributes: Attributes;
}

/** An append-only entry (keyed by the event) and the running totals it adds to. */
export interface EntryWrite {
  readonly kind: 'entry';
  readonly key: ItemKey;
  readonly attributes: Attributes;
  readonly totals: readonly TotalIncrement[];
}

export interface TotalIncrement {
  readonly key: ItemKey;
  /** Numbers added atomically (DynamoDB ADD). */
  readonly add: Readonly<Record<string, number>>;
  /** Plain attributes set alongside, e.g. the currency. */
  readonly set?: Attributes;
}

export type ProjectionWrite = StateWrite | EntryWrite;

export interface LogLine {
  readonly level: 'info' | 'warn';
  readonly message: string;
  readonly attributes?: Readonly<Record<string, unknown>>;
}

export interface Effects {
  /** Committed in one transaction with the ledger's "completed" mark: all or nothing. */
  readonly writes: readonly ProjectionWrite[];
  /** Logged once the commit has succeeded. */
  readonly logs?: readonly LogLine[];
  /**
   * Effects outside DynamoDB (an e-mail, a call to another API). Runs under a lease so that two
   * deliveries of one event never run it together. Pass `idempotencyKey` (the Stripe event id) to the
   * downstream system so that a retry after a crash is recognised there.
   */
  readonly external?: (context: { readonly idempotencyKey: string }) => Promise<void>;
}

/** The default state version: the event's creation second, then its rank within that second (0–99). */
export function stateVersion(event: { readonly created: number }, rank: number): number {
  return event.created * 100 + rank;
}

/** The highest version a fetch can carry, so that an object's fetched state outranks every event of its second. */
const CURRENT_STATE_RANK = 99;

/** The version of a state projected from an object fetched at `fetchedAt` (epoch ms): newer than any event created up to that second. */
export function currentStateVersion(current: { readonly fetchedAt: number }): number {
  return stateVersion({ created: Math.floor(current.fetchedAt / 1000) }, CURRENT_STATE_RANK);
}

export function stateWrite(key: ItemKey, version: number, attributes: Attributes): StateWrite {
  return { kind: 'state', key, version, attributes };
}

export function entryWrite(key: ItemKey, attributes: Attributes, totals: readonly TotalIncrement[]): EntryWrite {
  return { kind: 'entry', key, attributes, totals };
}

/** The id of an expandable Stripe field, which is either an id string or the expanded object. */
export function idOf(reference: string | { readonly id: string } | null | undefined): string | undefined {
  if (reference === null || reference === undefined) return undefined;
  return typeof reference === 'string' ? reference : reference.id;
}
