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
  /** The Stripe object the event is about (`pi_…`, `sub_…`), when it names one. */
  readonly objectId?: string;
  /**
   * The SQS receive count of the message this write is for: on its first receive a message is a
   * delivery of the event, which the write counts. Absent when no queued message is being handled.
   */
  readonly receiveCount?: number;
}

/** One delivery of an event, as the ledger logs it. */
export interface DeliveryLogEntry {
  /** When the worker wrote it (ISO 8601). */
  readonly at: string;
  readonly source: EventSource;
  /** The message's SQS receive count: 1, as only first receives are deliveries. */
  readonly receiveCount: number;
}

/** Entries the delivery log keeps: the first deliveries; the count goes on past it. */
export const DELIVERY_LOG_LIMIT = 20;

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
  /** `<hour of receivedAt>#<shard>`, the key of the received-by-hour index; set with `receivedAt`, from the same value. */
  readonly receivedHour?: string;
  /** The Stripe object the event is about, the key of the by-object index; absent for an event about none. */
  readonly objectId?: string;
  /** The failed-events index shard: present exactly while the status is `failed`. */
  readonly failedShard?: string;
  /**
   * Messages of the event the worker saw on their first receive; their later receives are attempts.
   * Duplicates absorbed: `deliveries - 1`.
   */
  readonly deliveries?: number;
  /** The first DELIVERY_LOG_LIMIT deliveries, in the order they were written. */
  readonly deliveryLog?: readonly DeliveryLogEntry[];
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
   * its dead-letter note cleared, `event.thinEventId` recorded beside it, and the delivery counted.
   */
  doneStatus(event: LedgerEvent, now: number): Promise<'completed' | 'ignored' | undefined>;
}

/** The ledger's view of an envelope, in the message received for the `receiveCount`th time. */
export function ledgerEventOf(envelope: EventEnvelope, receiveCount?: number): LedgerEvent {
  const objectId = objectIdOf(envelope);
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
    ...(objectId === undefined ? {} : { objectId }),
    ...(receiveCount === undefined ? {} : { receiveCount }),
  };
}

/** The object a snapshot event's `data.object` is, or a thin notification's `related_object` names. */
function objectIdOf({ content }: EventEnvelope): string | undefined {
  const id = content.kind === 'snapshot' ? (content.event.data.object as { id?: unknown }).id : content.notification.related_object?.id;
  // An index key may not be an empty string.
  return typeof id === 'string' && id !== '' ? id : undefined;
}
