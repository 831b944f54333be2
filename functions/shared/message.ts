/**
 * The contract between the ingest, the worker and the ops tools: what an SQS message carries.
 *
 * The body is the verified raw event JSON, byte for byte as Stripe sent it. The attributes repeat the
 * fields that tools need without parsing the body (DLQ listings, selective redrive by type or id).
 */
import type { StripeEventEnvelope } from './stripe-event';

export const MESSAGE_ATTRIBUTE = {
  eventId: 'EventId',
  eventType: 'EventType',
  livemode: 'Livemode',
  apiVersion: 'ApiVersion',
  receivedAt: 'ReceivedAt',
  /** Set by `npm run redrive -- --force`: redo the event even if the ledger says it is done. */
  forceReprocess: 'ForceReprocess',
} as const;

export type StringAttributes = Record<string, { DataType: 'String'; StringValue: string }>;

/** Attributes for an event received at `receivedAt`. */
export function messageAttributes(event: StripeEventEnvelope, receivedAt: Date): StringAttributes {
  const attribute = (value: string) => ({ DataType: 'String' as const, StringValue: value });
  return {
    [MESSAGE_ATTRIBUTE.eventId]: attribute(event.id),
    [MESSAGE_ATTRIBUTE.eventType]: attribute(event.type),
    [MESSAGE_ATTRIBUTE.livemode]: attribute(String(event.livemode)),
    // SQS rejects empty attribute values; events older than 2014 have no api_version.
    [MESSAGE_ATTRIBUTE.apiVersion]: attribute(event.api_version ?? 'none'),
    [MESSAGE_ATTRIBUTE.receivedAt]: attribute(receivedAt.toISOString()),
  };
}

/**
 * Size of a message as SQS counts it against MaximumMessageSize: the UTF-8 body plus, for each
 * attribute, its name, its data type and its value.
 */
export function messageSize(bodyBytes: number, attributes: StringAttributes): number {
  let size = bodyBytes;
  for (const [name, { DataType, StringValue }] of Object.entries(attributes)) {
    size += Buffer.byteLength(name) + Buffer.byteLength(DataType) + Buffer.byteLength(StringValue);
  }
  return size;
}
