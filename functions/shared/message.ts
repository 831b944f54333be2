/**
 * The contract between the ways in (the ingest, next the backfill), the worker and the ops tools: what
 * an SQS message on the event queue carries.
 *
 * The body is the event JSON, byte for byte as Stripe sent it, so nothing re-serializes what was
 * verified. The attributes say how to read the body (`Format`, `Kind`), where the event came from
 * (`Source`), and repeat the fields that tools need without parsing it (DLQ listings, selective
 * redrive by type or id).
 *
 * Format versions. `2` (this one) adds Format, Source and Kind (snapshot or thin). A message without a Format attribute
 * is format 1, the only one before: a snapshot event from the webhook. The worker reads both, so
 * messages already on a queue or in the dead-letter queue during an upgrade are still processed.
 * SQS allows 10 attributes per message; format 2 uses at most 9 (with ForceReprocess).
 */
import type { EventSource } from './envelope';
import { MAX_MESSAGE_BYTES } from './resources';
import type { SnapshotEventFields, ThinNotification } from './stripe-event';

export const MESSAGE_ATTRIBUTE = {
  format: 'Format',
  kind: 'Kind',
  source: 'Source',
  eventId: 'EventId',
  eventType: 'EventType',
  livemode: 'Livemode',
  apiVersion: 'ApiVersion',
  receivedAt: 'ReceivedAt',
  /** Set by `npm run redrive -- --force`: redo the event even if the ledger says it is done. */
  forceReprocess: 'ForceReprocess',
} as const;

/** The format the ways in write. */
export const MESSAGE_FORMAT = '2';

/**
 * What the body holds: a snapshot event or a thin notification, as Stripe signed it. Each kind has its
 * reader in the worker (functions/worker/read-message.ts). Messages Amazon EventBridge puts on the
 * queue carry no attributes at all: the worker knows them by their body.
 */
export type MessageKind = 'snapshot' | 'thin';

export type StringAttributes = Record<string, { DataType: 'String'; StringValue: string }>;

export interface QueuedMessage {
  readonly body: string;
  readonly attributes: StringAttributes;
}

const attribute = (value: string) => ({ DataType: 'String' as const, StringValue: value });

type Arrival = { readonly source: EventSource; readonly receivedAt: Date };

/** The message for a snapshot event whose JSON is `body`, received at `receivedAt`. */
export function snapshotMessage(event: Pick<SnapshotEventFields, 'id' | 'type' | 'livemode' | 'api_version'>, body: string, arrival: Arrival): QueuedMessage {
  // SQS rejects empty attribute values; events older than 2014 have no api_version.
  return message('snapshot', { ...event, apiVersion: event.api_version ?? 'none' }, body, arrival);
}

/** The message for a thin notification whose JSON is `body`. Thin events have no API version of their own. */
export function thinMessage(notification: Pick<ThinNotification, 'id' | 'type' | 'livemode'>, body: string, arrival: Arrival): QueuedMessage {
  return message('thin', { ...notification, apiVersion: 'none' }, body, arrival);
}

function message(kind: MessageKind, event: { id: string; type: string; livemode: boolean; apiVersion: string }, body: string, arrival: Arrival): QueuedMessage {
  return {
    body,
    attributes: {
      [MESSAGE_ATTRIBUTE.format]: attribute(MESSAGE_FORMAT),
      [MESSAGE_ATTRIBUTE.kind]: attribute(kind),
      [MESSAGE_ATTRIBUTE.source]: attribute(arrival.source),
      [MESSAGE_ATTRIBUTE.eventId]: attribute(event.id),
      [MESSAGE_ATTRIBUTE.eventType]: attribute(event.type),
      [MESSAGE_ATTRIBUTE.livemode]: attribute(String(event.livemode)),
      [MESSAGE_ATTRIBUTE.apiVersion]: attribute(event.apiVersion),
      [MESSAGE_ATTRIBUTE.receivedAt]: attribute(arrival.receivedAt.toISOString()),
    },
  };
}

/**
 * Groups messages into batches SQS accepts: at most 10 entries and 1 MiB in all. A message too big
 * alone goes alone, and SQS says why.
 */
export function sizedBatches<T extends { readonly size: number }>(messages: readonly T[]): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let size = 0;
  for (const message of messages) {
    if (current.length > 0 && (current.length === 10 || size + message.size > MAX_MESSAGE_BYTES)) {
      batches.push(current);
      current = [];
      size = 0;
    }
    current.push(message);
    size += message.size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/**
 * Size of a message as SQS counts it against MaximumMessageSize, and against the 1 MiB a whole
 * SendMessageBatch may carry: the UTF-8 body plus, for each attribute, its name, its data type and its
 * value.
 */
export function messageSize(bodyBytes: number, attributes: Readonly<Record<string, { readonly DataType?: string; readonly StringValue?: string }>>): number {
  let size = bodyBytes;
  for (const [name, { DataType, StringValue }] of Object.entries(attributes)) {
    size += Buffer.byteLength(name) + Buffer.byteLength(DataType ?? '') + Buffer.byteLength(StringValue ?? '');
  }
  return size;
}
