/**
 * The worker core: one Stripe event → its business effects, exactly once.
 *
 * 1. No handler for the type: record the event as ignored (not an error) and acknowledge it.
 * 2. Effects only in DynamoDB: one transaction writes them and marks the event completed.
 * 3. Effects outside DynamoDB as well: take a lease, run them with the event id as idempotency key,
 *    then commit as in 2, on the condition that we still hold the lease.
 *
 * A delivery of an event that is already done is acknowledged without effect, whether it comes from a
 * Stripe retry, an SQS redelivery or a DLQ redrive: the ledger is keyed on the Stripe event id, never
 * on the SQS message id.
 */
import { randomUUID } from 'node:crypto';
import type Stripe from 'stripe';
import { LeaseHeldError, describeError } from '../shared/errors';
import type { Count, Log } from '../shared/observability';
import type { Effects } from './effects';
import type { CommitClaim, CommitResult, Ledger, LedgerEvent } from './ledger';
import type { Registry } from './registry';

export type Outcome = 'completed' | 'ignored' | 'duplicate';

export interface ProcessDeps {
  readonly ledger: Ledger;
  readonly registry: Registry;
  readonly log: Log;
  readonly count: Count;
  /** Epoch milliseconds. */
  readonly now: () => number;
  readonly leaseMs: number;
  /** @default crypto.randomUUID */
  readonly newLeaseOwner?: () => string;
}

export interface DeliveryInfo {
  /** When the ingest received the event (ISO 8601). */
  readonly receivedAt?: string;
  /** Redo an event that is already completed or ignored (operator replay). */
  readonly force?: boolean;
}

export async function processEvent(event: Stripe.Event, delivery: DeliveryInfo, deps: ProcessDeps): Promise<Outcome> {
  const record: LedgerEvent = { id: event.id, type: event.type, created: event.created, livemode: event.livemode, receivedAt: delivery.receivedAt };
  const context = { eventId: event.id, eventType: event.type };
  const handler = deps.registry.find(event.type);

  if (!handler) {
    const outcome = await deps.ledger.recordIgnored(record, deps.now());
    deps.count(outcome === 'ignored' ? 'EventsIgnored' : 'DuplicatesSkipped');
    deps.log.info(outcome === 'ignored' ? 'Unhandled event type recorded as ignored' : 'Duplicate delivery acknowledged', context);
    return outcome;
  }

  let claim: CommitClaim = { kind: 'direct', force: delivery.force };
  let result: CommitResult;
  let effects: Effects;
  try {
    effects = handler(event);
    if (effects.external) {
      const owner = (deps.newLeaseOwner ?? randomUUID)();
      if ((await deps.ledger.acquireLease(record, owner, deps.leaseMs, deps.now())) === 'duplicate') {
        return duplicate(deps, context);
      }
      claim = { kind: 'lease', owner };
      await effects.external({ idempotencyKey: event.id });
    }
    result = await deps.ledger.commit(record, effects.writes, claim, deps.now());
  } catch (error) {
    // Another delivery is working on it: not a failure of this event, just retry later.
    if (error instanceof LeaseHeldError) throw error;
    await recordFailure(record, error, claim, deps, context);
    throw error;
  }

  if (result.outcome === 'duplicate') return duplicate(deps, context);
  if (result.skippedWrites > 0) {
    deps.count('StaleWritesSkipped', result.skippedWrites);
    deps.log.info('Skipped writes older than the stored state', { ...context, skippedWrites: result.skippedWrites });
  }
  for (const line of effects.logs ?? []) deps.log[line.level](line.message, { ...context, ...line.attributes });
  deps.count('EventsCompleted');
  return 'completed';
}

function duplicate(deps: ProcessDeps, context: Record<string, unknown>): Outcome {
  deps.count('DuplicatesSkipped');
  deps.log.info('Duplicate delivery acknowledged', context);
  return 'duplicate';
}

async function recordFailure(record: LedgerEvent, error: unknown, claim: CommitClaim, deps: ProcessDeps, context: Record<string, unknown>): Promise<void> {
  deps.count('EventsFailed');
  deps.log.error('Event processing failed; it will be retried', { ...context, error: describeError(error) });
  try {
    await deps.ledger.recordFailure(record, describeError(error), claim, deps.now());
  } catch (ledgerError) {
    // The original error is what matters; the message is retried either way.
    deps.log.error('Could not record the failure in the ledger', { ...context, error: describeError(ledgerError) });
  }
}
