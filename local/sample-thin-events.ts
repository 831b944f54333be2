/**
 * Realistic thin events for local use: the notification Stripe pushes (`object: "v2.core.event"`), and
 * what the API answers when it is fetched. Shapes follow stripe-node 23's `V2.Core.Event` types and
 * Stripe's API reference; the trigger command sends them and the tests build fixtures from them.
 */
import type Stripe from 'stripe';
import type { ThinNotification } from '../functions/shared/stripe-event';
import { stripeId } from './sample-events';

/** The API path of an object, as a thin event's `related_object.url` gives it: `billing.meter` → `/v1/billing/meters/…`. */
export function objectUrl(objectType: string, id: string): string {
  return `/v1/${objectType.replace(/\./g, '/')}s/${id}`;
}

/** The thin notification Stripe sends for the same change as a snapshot event: `v1.<type>`, naming it. */
export function thinNotificationFor(event: Stripe.Event, options: { readonly id?: string } = {}): ThinNotification {
  const object = event.data.object as { id?: string; object?: string };
  return {
    id: options.id ?? stripeId('evt_test'),
    object: 'v2.core.event',
    type: `v1.${event.type}`,
    created: new Date(event.created * 1000).toISOString(),
    livemode: event.livemode,
    ...(event.account ? { context: event.account } : {}),
    ...(object.id && object.object ? { related_object: { id: object.id, type: object.object, url: objectUrl(object.object, object.id) } } : {}),
    snapshot_event: event.id,
  };
}

/** A meter, as `GET /v1/billing/meters/{id}` answers (Stripe's OpenAPI example). */
export function sampleMeter(options: { readonly id?: string; readonly displayName?: string } = {}): Stripe.Billing.Meter {
  return {
    id: options.id ?? stripeId('mtr_test'),
    object: 'billing.meter',
    created: 1_760_000_000,
    customer_mapping: { event_payload_key: 'stripe_customer_id', type: 'by_id' },
    default_aggregation: { formula: 'sum' },
    display_name: options.displayName ?? 'API requests',
    event_name: 'api_requests',
    event_time_window: null,
    livemode: false,
    status: 'active',
    status_transitions: { deactivated_at: null },
    updated: 1_760_000_000,
    value_settings: { event_payload_key: 'value' },
  } as Stripe.Billing.Meter;
}

export type MeterErrorReportEvent = Extract<Stripe.V2.Core.Event, { type: 'v1.billing.meter.error_report_triggered' }>;

export interface ThinSample<E> {
  /** What Stripe pushes. */
  readonly notification: ThinNotification;
  /** What `GET /v2/core/events/{id}` answers. */
  readonly event: E;
  /** What the related object's URL answers. */
  readonly relatedObject: unknown;
}

/**
 * A `v1.billing.meter.error_report_triggered` event: thin only (no snapshot), sent when usage reported
 * to a meter was refused.
 */
export function sampleMeterErrorReport(options: { readonly created?: Date; readonly meter?: Stripe.Billing.Meter; readonly errorCount?: number; readonly context?: string } = {}): ThinSample<MeterErrorReportEvent> {
  const meter = options.meter ?? sampleMeter();
  const created = options.created ?? new Date();
  const errorCount = options.errorCount ?? 3;
  const notification: ThinNotification = {
    id: stripeId('evt_test'),
    object: 'v2.core.event',
    type: 'v1.billing.meter.error_report_triggered',
    created: created.toISOString(),
    livemode: false,
    ...(options.context ? { context: options.context } : {}),
    related_object: { id: meter.id, type: 'billing.meter', url: objectUrl('billing.meter', meter.id) },
  };
  const event = {
    ...notification,
    data: {
      developer_message_summary: `There ${errorCount === 1 ? 'is 1 invalid event' : `are ${errorCount} invalid events`}`,
      reason: {
        error_count: errorCount,
        error_types: [
          {
            code: 'meter_event_no_customer_defined',
            error_count: errorCount,
            sample_errors: [{ error_message: 'Missing expected customer_id in the payload', request: { identifier: stripeId('req') } }],
          },
        ],
      },
      validation_start: new Date(created.getTime() - 60_000).toISOString(),
      validation_end: created.toISOString(),
    },
  } as unknown as MeterErrorReportEvent;
  return { notification, event, relatedObject: meter };
}

/** The thin-only types (no snapshot form) the trigger command can send, each making a fresh sample. */
export const THIN_ONLY_SAMPLES = {
  'v1.billing.meter.error_report_triggered': (): ThinSample<MeterErrorReportEvent> => sampleMeterErrorReport(),
} as const;

export type ThinOnlySampleType = keyof typeof THIN_ONLY_SAMPLES;

export function isThinOnlySampleType(type: string): type is ThinOnlySampleType {
  return Object.hasOwn(THIN_ONLY_SAMPLES, type);
}
