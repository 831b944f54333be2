/**
 * An SQS message on the event queue → the envelope the worker core sees. One reader per kind of body
 * (functions/shared/message.ts says what each attribute means):
 * - format 2, written by the ingest and the backfill: a snapshot event or a thin notification;
 * - no attributes, an Amazon EventBridge event from Stripe's partner source: `detail` is the Stripe
 *   event, snapshot or thin, and AWS delivered it (there is no signature to check);
 * - format 1, written before the format was versioned: a snapshot event from the webhook.
 */
import type { SQSRecord } from 'aws-lambda';
import Stripe from 'stripe';
import { snapshotEnvelope, thinEnvelope, type EventEnvelope, type EventSource } from '../shared/envelope';
import { MalformedMessageError } from '../shared/errors';
import { MESSAGE_ATTRIBUTE, MESSAGE_FORMAT, type MessageKind } from '../shared/message';
import { asStripeEvent, asStripePayload, asThinNotification } from '../shared/stripe-event';

export type QueueRecord = Pick<SQSRecord, 'body' | 'messageId' | 'messageAttributes'>;

interface Arrival {
  readonly source: EventSource;
  readonly receivedAt?: string;
}

const READERS: Readonly<Record<MessageKind, (record: QueueRecord, arrival: Arrival) => EventEnvelope>> = {
  snapshot: readSnapshot,
  thin: readThin,
};

/** The sources a format 2 message may name; EventBridge messages carry no attributes. */
const SOURCES: readonly EventSource[] = ['webhook', 'backfill'];

/** The prefix of the partner event sources Stripe creates (`aws.partner/stripe.com/ed_…`). */
const STRIPE_PARTNER_SOURCE = 'aws.partner/stripe.com/';

/** @throws MalformedMessageError when the message is not one the pipeline wrote: it can never succeed. */
export function readMessage(record: QueueRecord): EventEnvelope {
  const attribute = (name: string) => record.messageAttributes?.[name]?.stringValue;
  const receivedAt = attribute(MESSAGE_ATTRIBUTE.receivedAt);
  const format = attribute(MESSAGE_ATTRIBUTE.format);
  if (format === undefined) {
    const body = parseBody(record);
    return isEventBridgeEvent(body) ? readEventBridge(record, body) : snapshotOf(record, body, { source: 'webhook', receivedAt });
  }
  if (format !== MESSAGE_FORMAT) {
    throw new MalformedMessageError(`Message ${record.messageId} has format ${format}, which this worker does not read (it reads 1 and ${MESSAGE_FORMAT})`);
  }
  const kind = attribute(MESSAGE_ATTRIBUTE.kind) as MessageKind | undefined;
  const source = attribute(MESSAGE_ATTRIBUTE.source) as EventSource | undefined;
  const reader = kind !== undefined && Object.hasOwn(READERS, kind) ? READERS[kind] : undefined;
  if (!reader) throw new MalformedMessageError(`Message ${record.messageId} holds a body of unknown kind ${JSON.stringify(kind)}`);
  if (!source || !SOURCES.includes(source)) throw new MalformedMessageError(`Message ${record.messageId} names an unknown source ${JSON.stringify(source)}`);
  return reader(record, { source, receivedAt });
}

/** The body is the raw snapshot event JSON that the ingest verified. */
function readSnapshot(record: QueueRecord, arrival: Arrival): EventEnvelope {
  return snapshotOf(record, parseBody(record), arrival);
}

/** The body is the raw thin notification JSON that the ingest verified. */
function readThin(record: QueueRecord, arrival: Arrival): EventEnvelope {
  const notification = asThinNotification(parseBody(record));
  if (typeof notification === 'string') throw new MalformedMessageError(`Message ${record.messageId} is not a thin event notification: ${notification}`);
  return thinEnvelope(notification, arrival);
}

/** An EventBridge event from Stripe's partner source; its `detail` is the Stripe event, snapshot or thin. */
function readEventBridge(record: QueueRecord, body: EventBridgeEvent): EventEnvelope {
  if (typeof body.source !== 'string' || !body.source.startsWith(STRIPE_PARTNER_SOURCE)) {
    throw new MalformedMessageError(`Message ${record.messageId} is an EventBridge event from ${JSON.stringify(body.source)}, not from Stripe's partner event source (${STRIPE_PARTNER_SOURCE}…)`);
  }
  let detail: unknown;
  try {
    // stripe-node's own unwrapping of a cloud provider's envelope (it takes `detail`).
    detail = Stripe.webhooks.constructEventWithoutVerification(record.body);
  } catch {
    // stripe-node refuses a thin notification here; it is read below.
    detail = body.detail;
  }
  const payload = asStripePayload(detail);
  if (typeof payload === 'string') throw new MalformedMessageError(`Message ${record.messageId} is an EventBridge event whose detail is not a Stripe event: ${payload}`);
  const arrival: Arrival = { source: 'eventbridge', ...receivedAtOf(body.time) };
  return payload.form === 'snapshot' ? snapshotEnvelope(payload.event, arrival) : thinEnvelope(payload.notification, arrival);
}

/**
 * EventBridge's `time` (`2026-11-24T05:01:05Z`) in the precision of every other `receivedAt`
 * (`2026-11-24T05:01:05.000Z`): the ledger's indexes compare these as strings, and `05Z` sorts after
 * `05.600Z`, so a listing up to 05:01:05.600 would leave the event out.
 */
function receivedAtOf(time: unknown): { receivedAt?: string } {
  const at = typeof time === 'string' ? Date.parse(time) : Number.NaN;
  return Number.isNaN(at) ? {} : { receivedAt: new Date(at).toISOString() };
}

interface EventBridgeEvent {
  readonly source: unknown;
  readonly time?: unknown;
  readonly detail: unknown;
}

function isEventBridgeEvent(body: unknown): body is EventBridgeEvent {
  // A Stripe event has neither field; every EventBridge event has both.
  return typeof body === 'object' && body !== null && 'detail' in body && 'source' in body;
}

function parseBody(record: QueueRecord): unknown {
  try {
    return JSON.parse(record.body);
  } catch {
    throw new MalformedMessageError(`Message ${record.messageId} is not JSON`);
  }
}

function snapshotOf(record: QueueRecord, body: unknown, arrival: Arrival): EventEnvelope {
  const event = asStripeEvent(body);
  if (typeof event === 'string') throw new MalformedMessageError(`Message ${record.messageId} is not a Stripe event: ${event}`);
  return snapshotEnvelope(event, arrival);
}
