/**
 * Which stretch of time a reconcile lists. Pure: the clock is a parameter.
 *
 * Two rules hold for every window. Events younger than the settling window are left alone: their
 * webhook may still be on its way, and queueing them would only race it. And nothing older than
 * Stripe's 30-day event retention can be listed, so a window reaching past it is cut, and the caller
 * says so.
 */
import type { ReconcileScope } from './reconcile';

/** Stripe keeps events for 30 days; the Events API lists nothing older. */
export const STRIPE_EVENT_RETENTION_SECONDS = 30 * 24 * 3600;
/** An hour's margin: a scan that starts at the edge of retention must not chase events Stripe is deleting. */
const RETENTION_MARGIN_SECONDS = 3600;

export interface WindowSettings {
  /** Events younger than this are left alone. @default 600 (10 minutes) */
  readonly settleSeconds: number;
  /** How far each scheduled scan reaches back before the last one's end, so an event listed late is still listed. @default 300 */
  readonly overlapSeconds: number;
  /** How far the very first scheduled scan reaches back. @default 3600 */
  readonly firstLookbackSeconds: number;
}

export const DEFAULT_WINDOW_SETTINGS: WindowSettings = { settleSeconds: 600, overlapSeconds: 300, firstLookbackSeconds: 3600 };

export interface PlannedWindow {
  readonly scope: ReconcileScope;
  /** Set when the window asked for reached past Stripe's retention and was cut: the start asked for. */
  readonly beyondRetentionFrom?: number;
}

/**
 * The scheduled job's next window: from the end of the last one (minus the overlap), or from the first
 * lookback, to now minus the settling window. Undefined when there is nothing settled to list yet.
 */
export function scheduledWindow(
  reconciledUntil: number | undefined,
  nowSeconds: number,
  settings: WindowSettings,
  filters: Pick<ReconcileScope, 'types'> = {},
): PlannedWindow | undefined {
  const to = nowSeconds - settings.settleSeconds;
  const from = (reconciledUntil ?? to - settings.firstLookbackSeconds) - settings.overlapSeconds;
  return bounded(from, to, nowSeconds, filters);
}

/** A window asked for by an operator (`--since`, `--until`), with the same settling and retention rules. */
export function requestedWindow(
  since: number,
  until: number | undefined,
  nowSeconds: number,
  settleSeconds: number,
  filters: Pick<ReconcileScope, 'types' | 'undeliveredOnly'> = {},
): PlannedWindow | undefined {
  const settled = nowSeconds - settleSeconds;
  return bounded(since, Math.min(until ?? settled, settled), nowSeconds, filters);
}

function bounded(from: number, to: number, nowSeconds: number, filters: Pick<ReconcileScope, 'types' | 'undeliveredOnly'>): PlannedWindow | undefined {
  const oldest = nowSeconds - STRIPE_EVENT_RETENTION_SECONDS + RETENTION_MARGIN_SECONDS;
  const start = Math.max(from, oldest);
  if (start > to) return undefined;
  return {
    scope: { from: start, to, ...(filters.types && filters.types.length > 0 ? { types: filters.types } : {}), ...(filters.undeliveredOnly ? { undeliveredOnly: true } : {}) },
    ...(from < oldest ? { beyondRetentionFrom: from } : {}),
  };
}
