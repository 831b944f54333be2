/**
 * Backfill: an operator's reconcile over a window they choose (`npm run backfill`, the console's
 * "Reconcile now"). The same core as the scheduled job (functions/reconcile), with progress reported
 * as it goes and a summary at the end.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { StripeApi } from '../functions/shared/stripe-api';
import { registry } from '../functions/worker/actions';
import { backfillQueue } from '../functions/reconcile/backfill-queue';
import { stripeEventsLister } from '../functions/reconcile/events-api';
import { dynamoJobStore } from '../functions/reconcile/job-store';
import { runBackfillJob, type BackfillRequest, type JobResult, type JobStore } from '../functions/reconcile/jobs';
import { ledgerLookup } from '../functions/reconcile/ledger-lookup';
import type { ListedEvent, ReconcileProgress } from '../functions/reconcile/reconcile';
import type { PipelineResources } from './stage';

export interface BackfillDeps {
  readonly api: StripeApi;
  readonly db: DynamoDBClient;
  readonly sqs: SQSClient;
  readonly resources: Pick<PipelineResources, 'queueUrl' | 'ledgerTableName' | 'stateTableName'>;
  /** Where the scan's place is kept. @default the stage's state table */
  readonly store?: JobStore;
  /** Told after each page. */
  readonly onPage?: (progress: ReconcileProgress, unseen: readonly ListedEvent[]) => void;
  /** @default Date.now */
  readonly now?: () => number;
}

export interface BackfillOptions extends BackfillRequest {
  readonly dryRun?: boolean;
}

export interface BackfillReport extends JobResult {
  /** The events queued (or, in a dry run, that would be): id and type. */
  readonly queued: readonly { readonly id: string; readonly type: string; readonly created: number }[];
}

export async function backfill(deps: BackfillDeps, options: BackfillOptions): Promise<BackfillReport> {
  const now = deps.now ?? Date.now;
  const queued: BackfillReport['queued'][number][] = [];
  const result = await runBackfillJob(
    deps.store ?? dynamoJobStore(deps.db, deps.resources.stateTableName, now),
    {
      listEvents: stripeEventsLister(deps.api),
      knownEventIds: ledgerLookup(deps.db, deps.resources.ledgerTableName),
      enqueue: backfillQueue(deps.sqs, deps.resources.queueUrl, now),
      ...(options.dryRun ? { dryRun: true } : {}),
      onPage: (progress, unseen) => {
        queued.push(...unseen.map(({ id, type, created }) => ({ id, type, created })));
        deps.onPage?.(progress, unseen);
      },
    },
    Math.floor(now() / 1000),
    options,
  );
  return { ...result, queued };
}

/**
 * `72h`, `30m`, `2d`, `90s` before now, or an ISO 8601 time, as epoch seconds.
 *
 * @example
 * parseTime('72h', Date.now()) // three days ago
 */
export function parseTime(value: string, nowMs: number): number {
  const relative = /^(\d+)\s*(s|m|h|d)$/.exec(value.trim());
  if (relative) {
    const unit = { s: 1, m: 60, h: 3600, d: 86_400 }[relative[2] as 's' | 'm' | 'h' | 'd'];
    return Math.floor(nowMs / 1000) - Number(relative[1]) * unit;
  }
  // Only full dates, with or without a time: Date.parse alone would take "7" or "May" too.
  const parsed = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value.trim()) ? Date.parse(value.trim()) : Number.NaN;
  if (Number.isNaN(parsed)) throw new RangeError(`"${value}" is not a time: use a duration before now (90s, 30m, 72h, 7d) or an ISO time (2026-11-20T09:00:00Z)`);
  return Math.floor(parsed / 1000);
}

/**
 * Refuses types no handler handles: a backfilled event of such a type would only be recorded as
 * ignored.
 *
 * @throws RangeError naming them and listing the handled types
 */
export function assertHandledTypes(types: readonly string[]): void {
  const unhandled = types.filter((type) => !registry.snapshotTypes.includes(type));
  if (unhandled.length > 0) {
    throw new RangeError(`Unknown --type ${unhandled.join(', ')}: no handler is registered for it, so a backfilled event would only be recorded as ignored. Handled types: ${registry.snapshotTypes.join(', ')}`);
  }
}
