/**
 * The worker core: one event envelope → its business effects, exactly once.
 *
 * 0. An event the stage does not accept (mode, account) is refused: recorded as failed, never done.
 * 1. No handler for the type: record the event as ignored (not an error) and acknowledge it.
 * 2. Effects only in DynamoDB: one transaction writes them and marks the event completed.
 * 3. Effects outside DynamoDB as well: take a lease, run them with the ledger id as idempotency key,
 *    then commit as in 2, as the lease's holder.
 *
 * A delivery of an event that is already done is acknowledged without effect, whether it comes from a
 * Stripe retry, an SQS redelivery or a DLQ redrive: the ledger is keyed on the ledger id (the Stripe
 * event id), never on the SQS message id. Who may write when is the ledger's rules (ledger-rules.ts).
 */
import { randomUUID } from 'node:crypto';
import type { Acceptance } from '../shared/config';
import type { EventEnvelope } from '../shared/envelope';
import { LeaseHeldError, RefusedEventError, describeError } from '../shared/errors';
import type { Count, Log } from '../shared/observability';
import { refusalOf } from './acceptance';
import type { Effects } from './effects';
import { ledgerEventOf, type CommitResult, type Ledger, type LedgerEvent } from './ledger';
import type { Claim, DirectClaim, HolderClaim, LeaseClaim } from './ledger-rules';
import { needsStripeReads, prepareEvent, type PrepareDeps } from './prepare-event';
import type { Registry } from './registry';

export type Outcome = 'completed' | 'ignored' | 'duplicate';

export interface ProcessDeps extends PrepareDeps {
  readonly ledger: Ledger;
  readonly registry: Registry;
  readonly log: Log;
  readonly count: Count;
  /** Epoch milliseconds. */
  readonly now: () => number;
  readonly leaseMs: number;
  /** @default crypto.randomUUID */
  readonly newLeaseOwner?: () => string;
  /** Which events the stage accepts. @default all */
  readonly acceptance?: Acceptance;
}

export interface DeliveryInfo {
  /** Redo an event that is already completed or ignored (operator replay). */
  readonly force?: boolean;
  /** The message's SQS receive count: on its first receive, it is counted as a delivery of the event. */
  readonly receiveCount?: number;
}

export async function processEvent(envelope: EventEnvelope, delivery: DeliveryInfo, deps: ProcessDeps): Promise<Outcome> {
  const record = ledgerEventOf(envelope, delivery.receiveCount);
  const context = { eventId: record.id, eventType: record.type, source: record.source, form: record.form, ...(record.thinEventId ? { thinEventId: record.thinEventId } : {}) };
  const force = delivery.force ?? false;

  const refusal = deps.acceptance && refusalOf(envelope, deps.acceptance);
  if (refusal) {
    deps.count('EventsRefused');
    const error = new RefusedEventError(refusal);
    await recordFailure(record, error, { kind: 'direct' }, deps, context);
    throw error;
  }

  const handler = deps.registry.find(envelope.type);

  if (!handler) {
    const outcome = await deps.ledger.recordIgnored(record, { kind: 'direct', force }, deps.now());
    deps.count(outcome === 'ignored' ? 'EventsIgnored' : 'DuplicatesSkipped');
    deps.log.info(outcome === 'ignored' ? 'Unhandled event type recorded as ignored' : 'Duplicate delivery acknowledged', context);
    return outcome;
  }

  let commitClaim: DirectClaim | HolderClaim = { kind: 'direct', force };
  // What this delivery may record a failure as, updated as it learns more.
  let failureClaim: Claim = commitClaim;
  let result: CommitResult;
  let effects: Effects;
  // A duplicate of an event that is done costs no Stripe API read.
  if (!force && needsStripeReads(envelope, handler, deps) && (await deps.ledger.doneStatus(record, deps.now()))) return duplicate(deps, context);
  try {
    const { event, context: handlerContext } = await prepareEvent(envelope, handler, deps);
    effects = handler.handle(event, handlerContext);
    if (effects.external) {
      const lease: LeaseClaim = { kind: 'lease', owner: (deps.newLeaseOwner ?? randomUUID)(), force };
      // Should the answer be lost, the lease may be ours: a failure then releases it, and nobody else's.
      failureClaim = lease;
      if ((await deps.ledger.acquireLease(record, lease, deps.leaseMs, deps.now())) === 'duplicate') return duplicate(deps, context);
      failureClaim = commitClaim = { kind: 'holder', owner: lease.owner };
      await effects.external({ idempotencyKey: record.id });
    }
    result = await deps.ledger.commit(record, effects.writes, commitClaim, deps.now());
  } catch (error) {
    // Another delivery is working on it: not a failure of this event, just retry later.
    if (error instanceof LeaseHeldError) throw error;
    await recordFailure(record, error, failureClaim, deps, context);
    throw error;
  }

  if (result.outcome === 'duplicate') return duplicate(deps, context);
  if (result.skippedWrites > 0) {
    deps.count('StaleWritesSkipped', result.skippedWrites);
    deps.log.info('Skipped writes older than the stored state', { ...context, skippedWrites: result.skippedWrites });
  }
  logEffects(effects, deps, context);
  deps.count('EventsCompleted');
  return 'completed';
}

/**
 * The handler's log lines, once its effects are committed. Object.assign rather than
 * `{ ...context, ...attributes }`: on Node 20 (the local stack) a literal that starts with a spread and
 * adds more costs about 5 µs, once per event; Lambda's Node 24 makes both equally cheap.
 */
export function logEffects(effects: Effects, deps: Pick<ProcessDeps, 'log'>, context: Record<string, unknown>): void {
  for (const line of effects.logs ?? []) deps.log[line.level](line.message, Object.assign({}, context, line.attributes));
}

function duplicate(deps: ProcessDeps, context: Record<string, unknown>): Outcome {
  deps.count('DuplicatesSkipped');
  deps.log.info('Duplicate delivery acknowledged', context);
  return 'duplicate';
}

async function recordFailure(record: LedgerEvent, error: unknown, claim: Claim, deps: ProcessDeps, context: Record<string, unknown>): Promise<void> {
  deps.count('EventsFailed');
  deps.log.error('Event processing failed; it will be retried', { ...context, error: describeError(error) });
  try {
    await deps.ledger.recordFailure(record, describeError(error), claim, deps.now());
  } catch (ledgerError) {
    // The original error is what matters; the message is retried either way.
    deps.log.error('Could not record the failure in the ledger', { ...context, error: describeError(ledgerError) });
  }
}
