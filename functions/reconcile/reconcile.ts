/**
 * The reconcile core: compares Stripe's Events API with the ledger over a window of time, and queues
 * every event the ledger has never seen, so that an event whose webhook never came (a wrong signing
 * secret, an outage longer than Stripe's retries, a type left out of the endpoint, a disabled
 * endpoint) is still done, once.
 *
 * The window is closed (`created` from `from` to `to`, both in the past), so the set of events in it
 * does not change while it is paged: Stripe lists newest first, and cursor paging (`starting_after`)
 * over a closed window neither skips nor repeats an event. After each page the cursor is saved, so a
 * scan that stops (a crash, a time limit, Stripe failing half-way) resumes at the page it was on.
 * A crash between queueing a page and saving the cursor queues that page again on the rerun, but only
 * its events the ledger still has not seen, and the worker does those once whatever the copies.
 *
 * Pure: the Events API, the ledger, the queue and the checkpoint are passed in.
 */

/** Stripe accepts at most this many `types[]` in one list request. */
export const MAX_TYPES_PER_REQUEST = 20;

export interface ReconcileScope {
  /** Oldest `created` to list, epoch seconds, inclusive. */
  readonly from: number;
  /** Newest `created` to list, epoch seconds, inclusive. */
  readonly to: number;
  /** Only these types. @default every type */
  readonly types?: readonly string[];
  /** Only events Stripe has not delivered to every endpoint (`delivery_success=false`). */
  readonly undeliveredOnly?: boolean;
}

/** An event as listed, with its JSON (the message body the worker reads). */
export interface ListedEvent {
  readonly id: string;
  readonly type: string;
  readonly created: number;
  readonly livemode: boolean;
  readonly api_version: string | null;
  readonly body: string;
}

export interface EventsQuery {
  readonly from: number;
  readonly to: number;
  readonly types?: readonly string[];
  readonly undeliveredOnly?: boolean;
  readonly startingAfter?: string;
}

export interface EventsPage {
  readonly events: readonly ListedEvent[];
  readonly hasMore: boolean;
}

/** Where a scan is: which group of types, the cursor in it, and what it has counted so far. */
export interface ReconcileProgress {
  /** Index of the group of at most 20 types being listed. */
  readonly group: number;
  /** The last event id of the last page done in this group; absent at the start of a group. */
  readonly cursor?: string;
  readonly pages: number;
  readonly scanned: number;
  /** Listed events the ledger already had, in any status. */
  readonly known: number;
  readonly enqueued: number;
}

export interface ReconcileDeps {
  readonly listEvents: (query: EventsQuery) => Promise<EventsPage>;
  /** Which of these ids the ledger has, in any status. */
  readonly knownEventIds: (ids: readonly string[]) => Promise<ReadonlySet<string>>;
  /** Queues the events; resolves only when the queue has taken every one. */
  readonly enqueue: (events: readonly ListedEvent[]) => Promise<void>;
  /** Saves the progress after a page, so that a rerun resumes there. */
  readonly saveProgress: (progress: ReconcileProgress) => Promise<void>;
  /** Told after each page, with the events it queued (or, in a dry run, would queue). */
  readonly onPage?: (progress: ReconcileProgress, unseen: readonly ListedEvent[]) => void;
  /** Asked before each page: true stops the scan (its progress is saved), e.g. near a time limit. */
  readonly shouldStop?: () => boolean;
  /** List and look up, but queue and save nothing. */
  readonly dryRun?: boolean;
}

export interface ReconcileOutcome {
  /** Whether the whole scope was listed; false when `shouldStop` ended the scan first. */
  readonly complete: boolean;
  readonly progress: ReconcileProgress;
}

export const NO_PROGRESS: ReconcileProgress = { group: 0, pages: 0, scanned: 0, known: 0, enqueued: 0 };

/**
 * Lists the scope page by page, from `resume` if given, and queues what the ledger has never seen.
 *
 * @example
 * const outcome = await reconcile({ from: since, to: now - 600 }, deps);
 */
export async function reconcile(scope: ReconcileScope, deps: ReconcileDeps, resume: ReconcileProgress = NO_PROGRESS): Promise<ReconcileOutcome> {
  const groups = typeGroups(scope.types);
  let progress = resume;
  while (progress.group < groups.length) {
    if (deps.shouldStop?.()) return { complete: false, progress };
    const page = await deps.listEvents({
      from: scope.from,
      to: scope.to,
      ...(groups[progress.group] ? { types: groups[progress.group] } : {}),
      ...(scope.undeliveredOnly ? { undeliveredOnly: true } : {}),
      ...(progress.cursor ? { startingAfter: progress.cursor } : {}),
    });
    const known = page.events.length > 0 ? await deps.knownEventIds(page.events.map((event) => event.id)) : new Set<string>();
    const unseen = page.events.filter((event) => !known.has(event.id));
    if (unseen.length > 0 && !deps.dryRun) await deps.enqueue(unseen);

    const last = page.events.at(-1);
    const groupContinues = page.hasMore && last !== undefined;
    progress = {
      group: groupContinues ? progress.group : progress.group + 1,
      ...(groupContinues ? { cursor: last.id } : {}),
      pages: progress.pages + 1,
      scanned: progress.scanned + page.events.length,
      known: progress.known + page.events.length - unseen.length,
      enqueued: progress.enqueued + unseen.length,
    };
    if (!deps.dryRun) await deps.saveProgress(progress);
    deps.onPage?.(progress, unseen);
  }
  return { complete: true, progress };
}

/** The types in groups Stripe accepts in one request; one group of "every type" when none are given. */
export function typeGroups(types: readonly string[] | undefined): (readonly string[] | undefined)[] {
  if (!types || types.length === 0) return [undefined];
  const groups: string[][] = [];
  for (let start = 0; start < types.length; start += MAX_TYPES_PER_REQUEST) groups.push(types.slice(start, start + MAX_TYPES_PER_REQUEST));
  return groups;
}
