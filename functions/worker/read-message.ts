/**
 * An SQS message on the event queue → the envelope the worker core sees. One reader per kind of body
 * (functions/shared/message.ts says what each attribute means); format 1 messages, written before the
 * format was versioned, are snapshot events from the webhook and are still read.
 */
import type { SQSRecord } from 'aws-lambda';
import { snapshotEnvelope, type EventEnvelope, type EventSource } from '../shared/envelope';
import { MalformedMessageError } from '../shared/errors';
import { MESSAGE_ATTRIBUTE, MESSAGE_FORMAT, type MessageKind } from '../shared/message';
import { asStripeEvent } from '../shared/stripe-event';

export type QueueRecord = Pick<SQSRecord, 'body' | 'messageId' | 'messageAttributes'>;

interface Arrival {
  readonly source: EventSource;
  readonly receivedAt?: string;
}

const READERS: Readonly<Record<MessageKind, (record: QueueRecord, arrival: Arrival) => EventEnvelope>> = {
  snapshot: readSnapshot,
};

const SOURCES: readonly EventSource[] = ['webhook', 'backfill'];

/** @throws MalformedMessageError when the message is not one the pipeline wrote: it can never succeed. */
export function readMessage(record: QueueRecord): EventEnvelope {
  const attribute = (name: string) => record.messageAttributes?.[name]?.stringValue;
  const receivedAt = attribute(MESSAGE_ATTRIBUTE.receivedAt);
  const format = attribute(MESSAGE_ATTRIBUTE.format);
  if (format === undefined) return readSnapshot(record, { source: 'webhook', receivedAt });
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
  let parsed: unknown;
  try {
    parsed = JSON.parse(record.body);
  } catch {
    throw new MalformedMessageError(`Message ${record.messageId} is not JSON`);
  }
  const event = asStripeEvent(parsed);
  if (typeof event === 'string') throw new MalformedMessageError(`Message ${record.messageId} is not a Stripe event: ${event}`);
  return snapshotEnvelope(event, arrival);
}
