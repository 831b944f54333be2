/**
 * v1.billing.meter.error_report_triggered: usage reported to a meter was refused. A thin-only event:
 * the handler gets the event fetched from `/v2/core/events` and the meter as its related object.
 *
 * Refused usage is usage that will not be billed, so it is a warning naming the meter, and the latest
 * report per meter is kept for whoever fixes the integration that reports it.
 */
import type Stripe from 'stripe';
import { projectionKeys } from '../../shared/projection-keys';
import { stateVersion, stateWrite, type Effects } from '../effects';
import type { EventOf, HandlerContext, HandlerMap } from '../registry';

type MeterErrorReportEvent = EventOf<'v1.billing.meter.error_report_triggered'>;

/** A v2 timestamp (an ISO string, to the millisecond) in epoch seconds, as v1 events count time. */
export function epochSecondsOf(isoTime: string): number {
  const ms = Date.parse(isoTime);
  if (Number.isNaN(ms)) throw new Error(`Not a timestamp: ${JSON.stringify(isoTime)}`);
  return Math.floor(ms / 1000);
}

/** The related object, when it is the meter the event names (it is null when the event names none). */
function meterOf(relatedObject: unknown, meterId: string): Stripe.Billing.Meter | undefined {
  const meter = relatedObject as Partial<Stripe.Billing.Meter> | null | undefined;
  return typeof meter === 'object' && meter !== null && meter.object === 'billing.meter' && meter.id === meterId ? (meter as Stripe.Billing.Meter) : undefined;
}

function onErrorReport(event: MeterErrorReportEvent, context: HandlerContext): Effects {
  const meterId = event.related_object.id;
  const displayName = meterOf(context.relatedObject, meterId)?.display_name ?? null;
  const { developer_message_summary: summary, reason, validation_start: validationStart, validation_end: validationEnd } = event.data;
  const errorTypes = reason.error_types.map((type) => ({ code: type.code, errorCount: type.error_count }));
  const created = epochSecondsOf(event.created);
  return {
    writes: [
      stateWrite(projectionKeys.meterErrorReport(meterId), stateVersion({ created }, 0), {
        meterId,
        displayName,
        errorCount: reason.error_count,
        developerMessageSummary: summary,
        errorTypes,
        validationStart,
        validationEnd,
        reportedAt: event.created,
      }),
    ],
    logs: [
      {
        level: 'warn',
        message: `Meter ${displayName ? `"${displayName}" ` : ''}(${meterId}) refused ${reason.error_count} usage event${reason.error_count === 1 ? '' : 's'}: ${summary}`,
        attributes: { alert: 'meter_error_report', meterId, displayName, errorCount: reason.error_count, developerMessageSummary: summary, errorCodes: errorTypes.map((type) => type.code) },
      },
    ],
  };
}

export const meterHandlers = { 'v1.billing.meter.error_report_triggered': onErrorReport } satisfies HandlerMap;
