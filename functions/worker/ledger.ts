/**
 * The event ledger as the worker core sees it: one record per ledger id (the Stripe event id), the
 * source of truth for "done exactly once". The rules of who may write a record are in
 * ledger-rules.ts; the DynamoDB adapter is dynamo-ledger.ts; decorators (fault injection, the local
 * stack's trace) implement this interface too.
 */
import { formOf, type EventEnvelope, type EventForm, type EventSource } from '../shared/envelope';
import type { ProjectionWrite } from './effects';
import type { DirectClaim, EventStatus, HolderClaim, LeaseClaim, Claim } from './ledger-rules';

/** What the ledger records about the event being written. */
export interface LedgerEvent {
  readonly id: string;
  readonly type: string;
  readonly created: number;
  readonly livemode: boolean;
  readonly source: EventSource;
  /** @default 'snapshot' */
  readonly form?: EventForm;
  readonly account?: string;
  /** The thin event folded into this snapshot event, when one was. */
  readonly thinEventId?: string;
  /** When the pipeline received it (ISO 8601). */
  readonly receivedAt?: string;
}

/** A ledger item as stored. */
export interface LedgerRecord {
  readonly eventId: string;
  readonly type: string;
  readonly status: EventStatus;
  readonly attempts: number;
  readonly created?: number;
  readonly livemode?: boolean;
  readonly source?: EventSource;
  readonly form?: EventForm;
  readonly account?: string;
  readonly thinEventId?: string;
  readonly lastError?: string;
  readonly receivedAt?: string;
  readonly processedAt?: string;
  readonly updatedAt: string;
  readonly skippedWrites?: number;
  readonly leaseOwner?: string;
  readonly leaseExpiresAt?: number;
  /** Set when a delivery failed on its last receive, so SQS moves its message to the dead-letter queue. */
  readonly deadLetteredAt?: string;
  /** The receive count of that last delivery. */
  readonly deadLetterReceiveCount?: number;
  readonly expiresAt: number;
}

export type CommitResult =
  | { readonly outcome: 'completed'; readonly skippedWrites: number }
  | { readonly outcome: 'duplicate'; readonly status: EventStatus };

/** One event's share of a combined commit. */
export interface CommitEntry {
  readonly event: LedgerEvent;
  readonly writes: readonly ProjectionWrite[];
}

export interface CombinedCommit {
  /** Ids of the entries committed. The others are left for one commit each. */
  readonly committed: ReadonlySet<string>;
  /** Errors other than refused conditions (throttling, time-outs) that made a group fall back. */
  readonly errors: readonly unknown[];
}

export interface Ledger {
  /**
   * Marks the event completed and applies `writes`, atomically, if `claim` may. A write that is stale
   * (an older version of an object) or already applied (an accounting entry) is skipped and counted.
   * @throws LeaseHeldError, LeaseLostError, CommitConflictError
   */
  commit(event: LedgerEvent, writes: readonly ProjectionWrite[], claim: DirectClaim | HolderClaim, now: number): Promise<CommitResult>;
  /**
   * Commits as many of these new events as it can together, in as few transactions as it can. Never
   * throws for a failed commit: what it did not commit is left for `commit`, which handles each case.
   */
  commitTogether(entries: readonly CommitEntry[], now: number): Promise<CombinedCommit>;
  /** Records an event whose type has no handler. */
  recordIgnored(event: LedgerEvent, claim: DirectClaim, now: number): Promise<'ignored' | 'duplicate'>;
  /**
   * Takes the lease for `leaseMs`, or finds it already ours.
   * @throws LeaseHeldError when another delivery holds a live lease.
   */
  acquireLease(event: LedgerEvent, claim: LeaseClaim, leaseMs: number, now: number): Promise<'acquired' | 'duplicate'>;
  /** Records a failed attempt with its error, where the rules allow; otherwise does nothing. */
  recordFailure(event: LedgerEvent, error: string, claim: Claim, now: number): Promise<void>;
  /** Notes that the event's message is on its way to the dead-letter queue. Whatever the status. */
  markDeadLettered(event: LedgerEvent, receiveCount: number, now: number): Promise<void>;
  /**
   * The status when the event is already done (completed or ignored), read before anything costly
   * (a Stripe API read) is spent on a duplicate. A done event is acknowledged as a refused commit is:
   * its dead-letter note cleared, and `event.thinEventId` recorded beside it.
   */
  doneStatus(event: LedgerEvent): Promise<'completed' | 'ignored' | undefined>;
}

/** The ledger's view of an envelope. */
export function ledgerEventOf(envelope: EventEnvelope): LedgerEvent {
  return {
    id: envelope.ledgerId,
    type: envelope.type,
    created: envelope.created,
    livemode: envelope.livemode,
    source: envelope.source,
    form: formOf(envelope),
    ...(envelope.account ? { account: envelope.account } : {}),
    ...(envelope.thinEventId ? { thinEventId: envelope.thinEventId } : {}),
    ...(envelope.receivedAt ? { receivedAt: envelope.receivedAt } : {}),
  };
}
