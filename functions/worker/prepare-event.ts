/**
 * An envelope and its handler → the event and context the handler runs on. A snapshot needs nothing
 * more. A thin notification is resolved through the Stripe API: folded into its snapshot event
 * (`GET /v1/events/{id}`), or fetched with its related object (`GET /v2/core/events/{id}`). A handler
 * that asks for its object's current state gets it fetched too (once per batch per object).
 */
import type Stripe from 'stripe';
import { formOf, type EventEnvelope } from '../shared/envelope';
import { StripeApiError, UnexpectedEventError, UnresolvedEventError } from '../shared/errors';
import { asStripeEvent } from '../shared/stripe-event';
import type { CurrentObject, HandlerContext, ObjectRef, RegisteredHandler } from './registry';
import type { StripeReads } from './stripe-reads';

export interface PrepareDeps {
  /** Stripe's API, when a key is configured. */
  readonly reads?: StripeReads;
  /** The current state of an object, coalesced within a batch; only with `reads`. */
  readonly currentObject?: (ref: ObjectRef, account: string | undefined) => Promise<CurrentObject>;
}

export interface PreparedEvent {
  readonly event: Stripe.Event | Stripe.V2.Core.Event;
  readonly context: HandlerContext;
}

/** Whether preparing this envelope calls Stripe's API: worth a ledger check first, so a duplicate costs no read. */
export function needsStripeReads(envelope: EventEnvelope, handler: RegisteredHandler, deps: PrepareDeps): boolean {
  return envelope.content.kind === 'thin' || (handler.currentObject !== undefined && deps.currentObject !== undefined);
}

/**
 * @throws UnresolvedEventError when a thin event arrives and no API key is configured
 * @throws StripeApiError when Stripe's API fails (404 past its 30 days, 401, 429, 5xx)
 * @throws UnexpectedEventError when the API returns an event other than the one named
 */
export async function prepareEvent(envelope: EventEnvelope, handler: RegisteredHandler, deps: PrepareDeps): Promise<PreparedEvent> {
  const { event, relatedObject } = await resolve(envelope, deps);
  const base: HandlerContext = {
    livemode: envelope.livemode,
    ...(envelope.account ? { account: envelope.account } : {}),
    form: formOf(envelope),
    source: envelope.source,
    ...(relatedObject === undefined ? {} : { relatedObject }),
  };
  const ref = handler.currentObject && deps.currentObject ? handler.currentObject(event) : undefined;
  const current = ref ? await currentOrNone(deps.currentObject!(ref, envelope.account)) : undefined;
  return { event, context: current ? { ...base, current } : base };
}

/**
 * The current object, or none when Stripe's API does not know it (404): a local stand-in receiving
 * events from real Stripe, say. The handler then projects the payload under the version rule, as
 * without an API key. Any other failure (401, 429, 5xx) fails the event, to be retried.
 */
async function currentOrNone(read: Promise<CurrentObject>): Promise<CurrentObject | undefined> {
  try {
    return await read;
  } catch (error) {
    if (error instanceof StripeApiError && error.failure === 'not_found') return undefined;
    throw error;
  }
}

async function resolve(envelope: EventEnvelope, deps: PrepareDeps): Promise<{ event: PreparedEvent['event']; relatedObject?: unknown }> {
  const { content } = envelope;
  if (content.kind === 'snapshot') return { event: content.event };
  if (!deps.reads) throw new UnresolvedEventError(content.notification.id);
  if (envelope.thinEventId) {
    const fetched = asStripeEvent(await deps.reads.snapshotEvent(envelope.ledgerId, envelope.account));
    if (typeof fetched === 'string') throw new UnexpectedEventError(`Snapshot event ${envelope.ledgerId} (named by thin event ${envelope.thinEventId}) is not a Stripe event: ${fetched}`);
    expectType(fetched, envelope);
    return { event: fetched };
  }
  const { event, relatedObject } = await deps.reads.thinEvent(content.notification);
  const fetched = event as Stripe.V2.Core.Event;
  if (typeof fetched !== 'object' || fetched === null || fetched.id !== content.notification.id) {
    throw new UnexpectedEventError(`Stripe returned another object for thin event ${content.notification.id}`);
  }
  expectType(fetched, envelope);
  return { event: fetched, relatedObject };
}

function expectType(event: { readonly id: string; readonly type: string }, envelope: EventEnvelope): void {
  if (event.type !== envelope.type) {
    throw new UnexpectedEventError(`Event ${event.id} fetched from Stripe has type ${event.type}, but the notification says ${envelope.type}`);
  }
}
