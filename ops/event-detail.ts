/**
 * One event in full, for the events CLI and the stage console: its ledger record with each delivery,
 * and its payload from wherever it can still be found. A dead-lettered event's message waits in the
 * dead-letter queue, as it was delivered; any other event (or one whose message is not found there)
 * is fetched from Stripe's Events API, which keeps events 30 days. When neither has it, the detail
 * says why instead.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { StripeApiError, describeError, redactSecrets } from '../functions/shared/errors';
import type { StripeApi } from '../functions/shared/stripe-api';
import type { ThinNotification } from '../functions/shared/stripe-event';
import { STRIPE_EVENT_RETENTION_SECONDS } from '../functions/reconcile/windows';
import type { LedgerRecord } from '../functions/worker/ledger';
import { stripeReads } from '../functions/worker/stripe-reads';
import { accessErrorIn, explainingAccess } from './access-errors';
import { eventInBody, findDeadLetter } from './dead-letters';
import { eventRecordDetail, getLedgerRecord, type EventRecordDetail } from './ledger-reads';
import type { PipelineResources } from './stage';

export type PayloadSource = 'received' | 'dead-letter-queue' | 'events-api' | 'none';

export interface EventDetail extends EventRecordDetail {
  /** The event as it was delivered (from the dead-letter queue) or as Stripe holds it (from its Events API). */
  readonly payload?: unknown;
  readonly payloadSource: PayloadSource;
  /** Why there is no payload, or why it came from the Events API although the event was dead-lettered. */
  readonly payloadNote?: string;
}

export interface EventDetailDeps {
  readonly db: DynamoDBClient;
  readonly sqs: SQSClient;
  readonly resources: Pick<PipelineResources, 'ledgerTableName' | 'deadLetterQueueUrl'>;
  /** The stage's Stripe API, asked for only when a payload is fetched from it (a stage's key is read then). */
  readonly stripeApi: () => Promise<StripeApi>;
  /** Messages of the dead-letter queue received, at the most, to find the event's. @default 1000 */
  readonly deadLetterSearchLimit?: number;
  /** Epoch milliseconds. @default Date.now */
  readonly now?: () => number;
  /** The event's body as this server received it, when it kept it (npm start's event log): tried first. */
  readonly receivedBody?: (eventId: string) => string | undefined;
}

/** A payload found, or why not. */
export type Lookup = { readonly payload: unknown } | { readonly note: string };

/**
 * The event's record, deliveries and payload; undefined when the ledger has never seen the event.
 * Every way the payload can be missing (a message not found, an event past Stripe's 30 days, a 404, a
 * key Stripe refuses, a permission the operator lacks) is said in `payloadNote`, never thrown.
 *
 * @throws AccessError when the operator's credentials may not read the ledger
 *
 * @example
 * const detail = await eventDetail({ db, sqs, resources, stripeApi: target.stripeApi }, 'evt_1Pgc6y…');
 * detail?.payloadSource // 'dead-letter-queue'
 */
export async function eventDetail(deps: EventDetailDeps, eventId: string): Promise<EventDetail | undefined> {
  const record = await getLedgerRecord(explainingAccess(deps.db, "to read the event's record"), deps.resources.ledgerTableName, eventId);
  if (!record) return undefined;
  return { ...eventRecordDetail(record), ...(await payloadOf(deps, record)) };
}

async function payloadOf(deps: EventDetailDeps, record: LedgerRecord): Promise<Pick<EventDetail, 'payload' | 'payloadSource' | 'payloadNote'>> {
  const received = deps.receivedBody?.(record.eventId);
  if (received !== undefined) return { payload: JSON.parse(received) as unknown, payloadSource: 'received' };
  let missed: string | undefined;
  if (record.deadLetteredAt) {
    const queued = await fromDeadLetterQueue(deps, record);
    if ('payload' in queued) return { payload: queued.payload, payloadSource: 'dead-letter-queue' };
    missed = queued.note;
  }
  const fetched = await fromEventsApi(deps, record);
  if ('payload' in fetched) return { payload: fetched.payload, payloadSource: 'events-api', ...(missed ? { payloadNote: `${missed}; fetched from Stripe's Events API instead` } : {}) };
  return { payloadSource: 'none', payloadNote: redactSecrets(missed ? `${missed}. ${fetched.note}` : fetched.note) };
}

async function fromDeadLetterQueue(deps: EventDetailDeps, record: LedgerRecord): Promise<Lookup> {
  const limit = deps.deadLetterSearchLimit ?? 1000;
  // A thin notification folded into this event carries its own id.
  const ids = [record.eventId, ...(record.thinEventId ? [record.thinEventId] : [])];
  try {
    const sqs = explainingAccess(deps.sqs, "to find the event's message in the dead-letter queue");
    const { letter, scanned } = await findDeadLetter(sqs, deps.resources.deadLetterQueueUrl, ids, { limit });
    if (letter) return { payload: eventInBody(letter.body) ?? letter.body };
    return {
      note:
        scanned >= limit
          ? `Its message is not among the ${limit} messages of the dead-letter queue looked at, the most one look receives`
          : `Its message is not in the dead-letter queue (${scanned} messages looked at): it may still be on its way there, redriven already, or past the queue's 14 days`,
    };
  } catch (error) {
    const access = accessErrorIn(error);
    if (!access) throw error;
    return { note: access.message };
  }
}

/**
 * The event as Stripe's Events API holds it (a thin-only event: the v2 event), or why it cannot be
 * fetched: past Stripe's 30 days, refused, or not found. Never throws for a Stripe or access error.
 */
export async function fromEventsApi(deps: Pick<EventDetailDeps, 'stripeApi' | 'now'>, record: LedgerRecord): Promise<Lookup> {
  const now = (deps.now ?? Date.now)();
  if (record.created !== undefined && (record.created + STRIPE_EVENT_RETENTION_SECONDS) * 1000 < now) {
    return { note: `Stripe keeps events 30 days, and this one was created ${new Date(record.created * 1000).toISOString()}: its payload can no longer be fetched` };
  }
  const reads = stripeReads(deps.stripeApi);
  try {
    // A thin-only event (no snapshot folded in) is a v2 event, fetched as the worker fetched it.
    const payload = record.form === 'thin' && !record.thinEventId ? (await reads.thinEvent(notificationOf(record))).event : await reads.snapshotEvent(record.eventId, record.account);
    return { payload };
  } catch (error) {
    // StripeApiError messages are safe to show (they never carry the key); anything else is redacted on the way out.
    return { note: accessErrorIn(error)?.message ?? (error instanceof StripeApiError ? error.message : describeError(error)) };
  }
}

/** The thin notification naming a thin-only event, as the worker received it: enough for stripe-node to fetch the event. */
export function notificationOf(record: LedgerRecord): ThinNotification {
  return {
    id: record.eventId,
    object: 'v2.core.event',
    type: record.type,
    created: record.created === undefined ? record.updatedAt : new Date(record.created * 1000).toISOString(),
    livemode: record.livemode ?? false,
    ...(record.account ? { context: record.account } : {}),
  };
}
