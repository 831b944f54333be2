/**
 * The ledger's rules: which delivery may write an event's ledger item, from which state. Pure: no
 * DynamoDB here. The DynamoDB adapter (dynamo-ledger.ts) turns each state below into one condition
 * expression, and a test runs every case of this module against DynamoDB Local to prove they agree.
 *
 * A delivery holds one of three claims:
 * - `direct`: it commits without a lease (actions whose effects are DynamoDB writes only, and event
 *   types with no handler);
 * - `lease`: it asks for the lease, which an action with effects outside DynamoDB needs first;
 * - `holder`: it holds the lease it asked for, and commits or records a failure as its holder.
 *
 * The rules, as states a write may start from:
 *
 * | Write                   | Claim            | new | failed | lease expired | own lease | completed, ignored |
 * |-------------------------|------------------|-----|--------|---------------|-----------|--------------------|
 * | finish (commit, ignore) | direct           | yes | yes    | yes           | –         | only forced        |
 * | finish                  | holder           | –   | –      | –             | yes       | –                  |
 * | take the lease          | lease            | yes | yes    | yes           | –         | only forced        |
 * | record a failure        | direct           | yes | yes    | yes           | –         | –                  |
 * | record a failure        | lease            | yes | yes    | yes           | yes       | –                  |
 * | record a failure        | holder           | –   | –      | –             | yes       | –                  |
 *
 * Nothing but its holder writes over a live lease, and a failure never reopens a finished event. A
 * failure after asking for a lease (the answer lost, say) may release that lease if it turns out to be
 * its own, and nobody else's.
 *
 * Deliveries: a message is a delivery of its event on its first receive, and the first write it makes
 * counts it, whichever write that is, applied or refused (a duplicate). Its later receives are
 * attempts. A holder's writes never count: taking the lease did.
 */

export type EventStatus = 'processing' | 'completed' | 'ignored' | 'failed';

/** What the rules read of a ledger item; `undefined` is an event never seen. */
export interface LedgerState {
  readonly status: EventStatus;
  readonly leaseOwner?: string;
  /** Epoch milliseconds. */
  readonly leaseExpiresAt?: number;
}

export interface DirectClaim {
  readonly kind: 'direct';
  /** An operator's replay: a finished event may be done again. */
  readonly force?: boolean;
}

export interface LeaseClaim {
  readonly kind: 'lease';
  readonly owner: string;
  readonly force?: boolean;
}

export interface HolderClaim {
  readonly kind: 'holder';
  readonly owner: string;
}

export type Claim = DirectClaim | LeaseClaim | HolderClaim;

/** The states a write may start from. Each has one condition expression in the DynamoDB adapter. */
export type ClaimableState = 'new' | 'failed' | 'expiredLease' | 'ownLease' | 'completed' | 'ignored';

const OPEN: readonly ClaimableState[] = ['new', 'failed', 'expiredLease'];
const FINISHED: readonly ClaimableState[] = ['completed', 'ignored'];

/** Where a commit (or an ignore) may start from. */
export function finishFrom(claim: DirectClaim | HolderClaim): readonly ClaimableState[] {
  if (claim.kind === 'holder') return ['ownLease'];
  return claim.force ? [...OPEN, ...FINISHED] : OPEN;
}

/** Where taking the lease may start from. */
export function leaseFrom(claim: LeaseClaim): readonly ClaimableState[] {
  return claim.force ? [...OPEN, ...FINISHED] : OPEN;
}

/** Where recording a failure may start from. */
export function failureFrom(claim: Claim): readonly ClaimableState[] {
  if (claim.kind === 'holder') return ['ownLease'];
  return claim.kind === 'lease' ? [...OPEN, 'ownLease'] : OPEN;
}

/** Whether a write made with `claim` for a message received `receiveCount` times counts a delivery. */
export function countsDelivery(receiveCount: number | undefined, claim: Claim): boolean {
  return receiveCount === 1 && claim.kind !== 'holder';
}

/** Whether `record` is in `state` at `now`, for `claim`'s owner. */
function isInState(state: ClaimableState, record: LedgerState | undefined, claim: Claim, now: number): boolean {
  switch (state) {
    case 'new':
      return record === undefined;
    case 'failed':
    case 'completed':
    case 'ignored':
      return record?.status === state;
    case 'expiredLease':
      return record?.status === 'processing' && record.leaseExpiresAt !== undefined && record.leaseExpiresAt < now;
    case 'ownLease':
      return record?.status === 'processing' && claim.kind !== 'direct' && record.leaseOwner === claim.owner;
  }
}

/** Whether a write allowed from `states` may go ahead on `record`. */
export function mayWrite(states: readonly ClaimableState[], record: LedgerState | undefined, claim: Claim, now: number): boolean {
  return states.some((state) => isInState(state, record, claim, now));
}

/** Why a write was refused, read from the item as it was, and what the delivery does about it. */
export type Refusal =
  /** The event is done: acknowledge this delivery without effect. */
  | { readonly kind: 'done'; readonly status: EventStatus }
  /** Another delivery holds a live lease: retry after it ends. */
  | { readonly kind: 'leaseHeld'; readonly leaseExpiresAt: number }
  /** Our lease ended and someone else wrote since: that delivery finishes the event. */
  | { readonly kind: 'leaseLost' }
  /** The lease is already ours: an earlier try of this same request took it (an SDK retry after a lost answer). */
  | { readonly kind: 'alreadyOurs' }
  /** The refusal does not fit the item (it changed in between, or none came back): retry, never acknowledge on a guess. */
  | { readonly kind: 'conflict' };

export function explainRefusal(claim: Claim, record: LedgerState | undefined, now: number): Refusal {
  if (claim.kind === 'holder') return { kind: 'leaseLost' };
  switch (record?.status) {
    case 'completed':
    case 'ignored':
      return { kind: 'done', status: record.status };
    case 'processing':
      if (claim.kind === 'lease' && record.leaseOwner === claim.owner) return { kind: 'alreadyOurs' };
      return { kind: 'leaseHeld', leaseExpiresAt: record.leaseExpiresAt ?? now };
    default:
      return { kind: 'conflict' };
  }
}
