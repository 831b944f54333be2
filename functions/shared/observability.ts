/**
 * Logging and metrics for both functions, through Powertools: structured JSON logs and CloudWatch
 * metrics in Embedded Metric Format (written to stdout, so publishing them costs no API call).
 *
 * The cores depend only on the small `Log` and `Count` shapes below, so tests pass plain recorders.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/** The CloudWatch namespace of every pipeline metric; the CDK alarms read the same constant. */
export const METRICS_NAMESPACE = 'StripeWebhooks';

/** Powertools' `service` dimension of each function's metrics; the CDK alarms read these too. */
export const SERVICE_NAME = { ingest: 'stripe-webhook-ingest', worker: 'stripe-webhook-worker', reconcile: 'stripe-webhook-reconcile' } as const;

/** The reconcile job's metrics; the CDK alarm and dashboard read these names. */
export const RECONCILE_METRIC = {
  scanned: 'ReconcileEventsScanned',
  known: 'ReconcileEventsKnown',
  enqueued: 'ReconcileEventsEnqueued',
  pages: 'ReconcilePages',
  lagSeconds: 'ReconcileLagSeconds',
} as const;

type LogMethod = (message: string, ...attributes: Record<string, unknown>[]) => void;

/** The part of Powertools' Logger that the cores use: a message, then structured attributes. */
export interface Log {
  debug: LogMethod;
  info: LogMethod;
  warn: LogMethod;
  error: LogMethod;
}

/** Adds to a count metric, e.g. `count('SignatureFailures')`. */
export type Count = (metric: string, value?: number) => void;

export interface Observability {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly count: Count;
}

export function createObservability(serviceName: string): Observability {
  const logger = new Logger({ serviceName });
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName });
  const count: Count = (metric, value = 1) => metrics.addMetric(metric, MetricUnit.Count, value);
  return { logger, metrics, count };
}
