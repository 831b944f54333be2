/**
 * The event Amazon EventBridge delivers when Stripe sends to an Amazon EventBridge event destination:
 * Stripe's event (snapshot, or a thin notification) as `detail`, its type as `detail-type`, from the
 * partner event source Stripe created (`aws.partner/stripe.com/ed_…`). A rule's SQS target gets this
 * JSON as the message body, with no message attributes; the worker reads it as such
 * (functions/worker/read-message.ts).
 */
import { randomUUID } from 'node:crypto';
import type Stripe from 'stripe';
import type { ThinNotification } from '../functions/shared/stripe-event';
import { LOCAL_AWS } from './emulators';

/** The partner event source of a local, test-mode event destination. */
export const LOCAL_PARTNER_EVENT_SOURCE = 'aws.partner/stripe.com/ed_test_local';

/** The AWS account EventBridge names locally: the emulators accept any. */
export const LOCAL_AWS_ACCOUNT_ID = '000000000000';

export interface EventBridgeEvent<D = Stripe.Event | ThinNotification> {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  /** The 12-digit AWS account of the event bus. */
  readonly account: string;
  /** ISO 8601 to the second, as EventBridge writes it: when the event reached the bus. */
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: D;
}

export interface EventBridgeOptions {
  readonly source?: string;
  readonly account?: string;
  readonly region?: string;
  /** @default now */
  readonly time?: Date;
}

/**
 * Wraps a Stripe event, or a thin notification, as EventBridge delivers it.
 *
 * @example
 * const body = JSON.stringify(eventBridgeEventFor(sampleEvent('payment_intent.succeeded')));
 * await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: body })); // no MessageAttributes, as EventBridge sends
 */
export function eventBridgeEventFor<D extends Stripe.Event | ThinNotification>(detail: D, options: EventBridgeOptions = {}): EventBridgeEvent<D> {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': detail.type,
    source: options.source ?? LOCAL_PARTNER_EVENT_SOURCE,
    account: options.account ?? LOCAL_AWS_ACCOUNT_ID,
    // EventBridge gives whole seconds: 2026-11-01T12:00:00Z.
    time: (options.time ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: options.region ?? LOCAL_AWS.region,
    resources: [],
    detail,
  };
}
