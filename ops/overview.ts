/**
 * The console's overview of a time range: events received, completed, ignored and failed, duplicates
 * absorbed, per period, with the dead-letter queue's depth and the age of the oldest queued event.
 *
 * A deployed stage's overview comes from CloudWatch, whose metrics the pipeline already publishes
 * (the queue's NumberOfMessagesSent, the worker's counts): at 10,000 events a second nothing else can
 * count a day in one request. The local stack has no CloudWatch; its overview is counted from its
 * small ledger instead. Both end in the same shape, built by the pure functions here.
 */
import { GetMetricDataCommand, type CloudWatchClient, type Metric, type MetricDataQuery, type MetricDataResult } from '@aws-sdk/client-cloudwatch';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../functions/shared/observability';
import type { LedgerRecord } from '../functions/worker/ledger';
import { queueDepth } from './dead-letters';
import type { PipelineResources } from './stage';
import { scanAll } from './table-reads';

/** What the overview counts per period. */
export const OVERVIEW_SERIES = ['received', 'completed', 'ignored', 'failed', 'duplicates'] as const;
export type OverviewSeries = (typeof OVERVIEW_SERIES)[number];

export type OverviewCounts = Record<OverviewSeries, number>;

export interface OverviewPoint extends OverviewCounts {
  /** The period's start, ISO 8601. */
  readonly at: string;
}

export interface Overview {
  readonly from: string;
  readonly to: string;
  readonly periodSeconds: number;
  readonly points: readonly OverviewPoint[];
  readonly totals: OverviewCounts;
  /** Messages in the dead-letter queue now. */
  readonly deadLetters: number;
  /** How long the oldest event not yet done has waited, in seconds; undefined when none waits. */
  readonly oldestQueuedSeconds?: number;
  readonly source: 'cloudwatch' | 'ledger';
}

export interface OverviewRange {
  /** Epoch milliseconds. */
  readonly from: number;
  readonly to: number;
}

/** CloudWatch keeps 1-minute points for 15 days; the console reads at most 30 days. */
export const MAX_OVERVIEW_MS = 30 * 24 * 3600 * 1000;

/** Per minute up to 6 hours (360 points), then per 5 minutes up to 2 days, then per hour: a chart stays readable. */
export function periodFor(range: OverviewRange): number {
  const span = range.to - range.from;
  if (span <= 0 || span > MAX_OVERVIEW_MS) throw new RangeError('The overview covers from 1 minute to 30 days');
  if (span <= 6 * 3600 * 1000) return 60;
  if (span <= 48 * 3600 * 1000) return 300;
  return 3600;
}

/** The periods of `range`, each at zero, aligned on whole periods (as CloudWatch aligns them). */
export function emptyPoints(range: OverviewRange, periodSeconds: number): OverviewPoint[] {
  const period = periodSeconds * 1000;
  const points: OverviewPoint[] = [];
  for (let at = Math.floor(range.from / period) * period; at < range.to; at += period) {
    points.push({ at: new Date(at).toISOString(), received: 0, completed: 0, ignored: 0, failed: 0, duplicates: 0 });
  }
  return points;
}

function totalsOf(points: readonly OverviewPoint[]): OverviewCounts {
  const totals: OverviewCounts = { received: 0, completed: 0, ignored: 0, failed: 0, duplicates: 0 };
  for (const point of points) for (const series of OVERVIEW_SERIES) totals[series] += point[series];
  return totals;
}

/** The last path segment of a queue URL is its name, which CloudWatch's SQS metrics are keyed on. */
const queueName = (queueUrl: string) => queueUrl.slice(queueUrl.lastIndexOf('/') + 1);

/** The GetMetricData queries for a stage's overview: one per series, and the oldest message's age. */
export function overviewQueries(resources: PipelineResources, periodSeconds: number): MetricDataQuery[] {
  const worker = (metricName: string): Metric => ({ Namespace: METRICS_NAMESPACE, MetricName: metricName, Dimensions: [{ Name: 'service', Value: SERVICE_NAME.worker }] });
  const queue = (metricName: string): Metric => ({ Namespace: 'AWS/SQS', MetricName: metricName, Dimensions: [{ Name: 'QueueName', Value: queueName(resources.queueUrl) }] });
  const sum = (id: string, metric: Metric): MetricDataQuery => ({ Id: id, MetricStat: { Metric: metric, Period: periodSeconds, Stat: 'Sum' }, ReturnData: true });
  return [
    // Every message the event queue took: webhooks, backfills and EventBridge alike.
    sum('received', queue('NumberOfMessagesSent')),
    sum('completed', worker('EventsCompleted')),
    sum('ignored', worker('EventsIgnored')),
    sum('failed', worker('EventsFailed')),
    sum('duplicates', worker('DuplicatesSkipped')),
    { Id: 'oldest', MetricStat: { Metric: queue('ApproximateAgeOfOldestMessage'), Period: periodSeconds, Stat: 'Maximum' }, ReturnData: true },
  ];
}

/** GetMetricData's results placed on the range's periods; the oldest message's age from the newest point. */
export function overviewFromMetrics(range: OverviewRange, periodSeconds: number, results: readonly MetricDataResult[]): { points: OverviewPoint[]; oldestQueuedSeconds?: number } {
  const points = emptyPoints(range, periodSeconds);
  const index = new Map(points.map((point, position) => [point.at, position]));
  let oldest: { at: number; value: number } | undefined;
  for (const result of results) {
    (result.Timestamps ?? []).forEach((timestamp, position) => {
      const value = result.Values?.[position] ?? 0;
      if (result.Id === 'oldest') {
        if (!oldest || timestamp.getTime() > oldest.at) oldest = { at: timestamp.getTime(), value };
        return;
      }
      const slot = index.get(timestamp.toISOString());
      if (slot !== undefined && (OVERVIEW_SERIES as readonly string[]).includes(result.Id!)) {
        const point = points[slot] as Record<OverviewSeries, number>;
        point[result.Id as OverviewSeries] += value;
      }
    });
  }
  return { points, ...(oldest && oldest.value > 0 ? { oldestQueuedSeconds: oldest.value } : {}) };
}

/**
 * The same counts from ledger records (the local stack's): received by `receivedAt`, completed and
 * ignored by `processedAt`, failed by `updatedAt` while the event is failed, and each delivery after
 * an event's first (from its delivery log) as a duplicate absorbed.
 */
export function overviewFromLedger(range: OverviewRange, periodSeconds: number, records: readonly LedgerRecord[], now: number): { points: OverviewPoint[]; oldestQueuedSeconds?: number } {
  const points = emptyPoints(range, periodSeconds);
  const period = periodSeconds * 1000;
  const first = points.length > 0 ? Date.parse(points[0]!.at) : range.from;
  const add = (series: OverviewSeries, iso: string | undefined) => {
    if (!iso) return;
    const at = Date.parse(iso);
    if (!(at >= range.from && at < range.to)) return;
    const point = points[Math.floor((at - first) / period)] as Record<OverviewSeries, number> | undefined;
    if (point) point[series] += 1;
  };
  let oldestWaiting: number | undefined;
  for (const record of records) {
    add('received', record.receivedAt);
    if (record.status === 'completed') add('completed', record.processedAt);
    if (record.status === 'ignored') add('ignored', record.processedAt);
    if (record.status === 'failed') add('failed', record.updatedAt);
    for (const delivery of record.deliveryLog?.slice(1) ?? []) add('duplicates', delivery.at);
    const waiting = (record.status === 'processing' || record.status === 'failed') && !record.deadLetteredAt && record.receivedAt;
    if (waiting) oldestWaiting = Math.min(oldestWaiting ?? Infinity, Date.parse(waiting));
  }
  return { points, ...(oldestWaiting === undefined ? {} : { oldestQueuedSeconds: Math.max(0, Math.round((now - oldestWaiting) / 1000)) }) };
}

/** A deployed stage's overview, from CloudWatch and the dead-letter queue's depth. */
export async function stageOverview(deps: { cloudwatch: CloudWatchClient; sqs: SQSClient; resources: PipelineResources }, range: OverviewRange): Promise<Overview> {
  const periodSeconds = periodFor(range);
  const results: MetricDataResult[] = [];
  let nextToken: string | undefined;
  do {
    const page = await deps.cloudwatch.send(
      new GetMetricDataCommand({ MetricDataQueries: overviewQueries(deps.resources, periodSeconds), StartTime: new Date(range.from), EndTime: new Date(range.to), NextToken: nextToken }),
    );
    results.push(...(page.MetricDataResults ?? []));
    nextToken = page.NextToken;
  } while (nextToken);
  const { points, oldestQueuedSeconds } = overviewFromMetrics(range, periodSeconds, mergeById(results));
  const deadLetters = await queueDepth(deps.sqs, deps.resources.deadLetterQueueUrl);
  return finish(range, periodSeconds, points, deadLetters, oldestQueuedSeconds, 'cloudwatch');
}

/** The local stack's overview, counted from its ledger's records: a scan, as the local ledger is small. */
export async function ledgerOverview(deps: { db: DynamoDBClient; sqs: SQSClient; resources: PipelineResources }, range: OverviewRange, now = Date.now()): Promise<Overview> {
  const periodSeconds = periodFor(range);
  const records = await scanAll<LedgerRecord>(deps.db, deps.resources.ledgerTableName);
  const { points, oldestQueuedSeconds } = overviewFromLedger(range, periodSeconds, records, now);
  const deadLetters = await queueDepth(deps.sqs, deps.resources.deadLetterQueueUrl);
  return finish(range, periodSeconds, points, deadLetters, oldestQueuedSeconds, 'ledger');
}

function finish(range: OverviewRange, periodSeconds: number, points: OverviewPoint[], deadLetters: number, oldestQueuedSeconds: number | undefined, source: Overview['source']): Overview {
  return {
    from: new Date(range.from).toISOString(),
    to: new Date(range.to).toISOString(),
    periodSeconds,
    points,
    totals: totalsOf(points),
    deadLetters,
    ...(oldestQueuedSeconds === undefined ? {} : { oldestQueuedSeconds }),
    source,
  };
}

/** A paginated GetMetricData answers each query's points in pieces: one result per query id. */
function mergeById(results: readonly MetricDataResult[]): MetricDataResult[] {
  const merged = new Map<string, { Id: string; Timestamps: Date[]; Values: number[] }>();
  for (const result of results) {
    const into = merged.get(result.Id!) ?? { Id: result.Id!, Timestamps: [], Values: [] };
    into.Timestamps.push(...(result.Timestamps ?? []));
    into.Values.push(...(result.Values ?? []));
    merged.set(result.Id!, into);
  }
  return [...merged.values()];
}
