/**
 * A reconcile job: a window planned from a saved checkpoint, scanned, and the checkpoint moved on.
 * Two kinds share this: the scheduled job (one checkpoint, each window starting where the last ended)
 * and an operator's backfill (one saved scan per set of filters, so a rerun of a scan that stopped
 * resumes it instead of starting over).
 */
import { NO_PROGRESS, reconcile, type ReconcileDeps, type ReconcileOutcome, type ReconcileProgress, type ReconcileScope } from './reconcile';
import { requestedWindow, scheduledWindow, type PlannedWindow, type WindowSettings } from './windows';

/** What a job keeps between runs. */
export interface JobState {
  /** Scheduled job: every event created up to this time (epoch seconds) has been compared. */
  readonly reconciledUntil?: number;
  /** A scan that has not finished: its scope and where it stopped. */
  readonly scan?: { readonly scope: ReconcileScope; readonly progress: ReconcileProgress };
}

export interface JobStore {
  read(key: string): Promise<JobState | undefined>;
  save(key: string, state: JobState): Promise<void>;
}

export type ScanDeps = Omit<ReconcileDeps, 'saveProgress'>;

export interface JobResult extends ReconcileOutcome {
  readonly scope?: ReconcileScope;
  /** The scan resumed one saved by an earlier run. */
  readonly resumed: boolean;
  /** The window asked for reached past Stripe's 30-day retention: the start that was asked for. */
  readonly beyondRetentionFrom?: number;
  /** After this run, the scheduled job has compared everything up to here (epoch seconds). */
  readonly reconciledUntil?: number;
}

export const SCHEDULED_JOB_KEY = 'reconcile/scheduled';

/**
 * The scheduled job: resumes an unfinished scan, or plans the next window from the checkpoint.
 * `types` are the types the handlers handle: listing others would only queue events to ignore.
 */
export async function runScheduledJob(
  store: JobStore,
  deps: ScanDeps,
  nowSeconds: number,
  settings: WindowSettings,
  types?: readonly string[],
): Promise<JobResult> {
  const state = (await store.read(SCHEDULED_JOB_KEY)) ?? {};
  const planned = state.scan ? { scope: state.scan.scope } : scheduledWindow(state.reconciledUntil, nowSeconds, settings, types ? { types } : {});
  return runJob(store, SCHEDULED_JOB_KEY, state, planned, deps, (scope) => ({ reconciledUntil: scope.to }));
}

export interface BackfillRequest {
  readonly since: number;
  readonly until?: number;
  readonly settleSeconds: number;
  readonly types?: readonly string[];
  readonly undeliveredOnly?: boolean;
  /** Discard a saved scan with the same filters instead of resuming it. */
  readonly fresh?: boolean;
}

/** The key a backfill's saved scan is kept under: one per set of filters. */
export function backfillJobKey(request: Pick<BackfillRequest, 'types' | 'undeliveredOnly'>): string {
  const types = request.types && request.types.length > 0 ? [...request.types].sort().join(',') : '*';
  return `backfill/${types}${request.undeliveredOnly ? '/undelivered' : ''}`;
}

/** An operator's backfill: resumes the saved scan with the same filters, or scans the window asked for. */
export async function runBackfillJob(store: JobStore, deps: ScanDeps, nowSeconds: number, request: BackfillRequest): Promise<JobResult> {
  const key = backfillJobKey(request);
  const state = request.fresh ? {} : ((await store.read(key)) ?? {});
  const planned: PlannedWindow | undefined = state.scan
    ? { scope: state.scan.scope }
    : requestedWindow(request.since, request.until, nowSeconds, request.settleSeconds, request);
  return runJob(store, key, state, planned, deps, () => ({}));
}

async function runJob(
  store: JobStore,
  key: string,
  state: JobState,
  planned: PlannedWindow | undefined,
  deps: ScanDeps,
  finished: (scope: ReconcileScope) => JobState,
): Promise<JobResult> {
  const resumed = state.scan !== undefined;
  if (!planned) return { complete: true, progress: NO_PROGRESS, resumed, ...(state.reconciledUntil ? { reconciledUntil: state.reconciledUntil } : {}) };
  const { scope } = planned;
  const outcome = await reconcile(
    scope,
    { ...deps, saveProgress: (progress) => store.save(key, { ...withoutScan(state), scan: { scope, progress } }) },
    state.scan?.progress,
  );
  const after = outcome.complete ? finished(scope) : undefined;
  if (after && !deps.dryRun) await store.save(key, after);
  const reconciledUntil = after?.reconciledUntil ?? state.reconciledUntil;
  return {
    ...outcome,
    scope,
    resumed,
    ...(planned.beyondRetentionFrom !== undefined ? { beyondRetentionFrom: planned.beyondRetentionFrom } : {}),
    ...(reconciledUntil !== undefined ? { reconciledUntil } : {}),
  };
}

function withoutScan(state: JobState): JobState {
  return state.reconciledUntil === undefined ? {} : { reconciledUntil: state.reconciledUntil };
}
