/**
 * The fast path for a batch: its new events whose effects are DynamoDB writes only are committed
 * together (the ledger adapter packs them into as few transactions as it can) instead of one
 * transaction each. Same guarantees: every event's writes and its ledger mark commit atomically, on
 * the condition that it is not done yet.
 *
 * Anything unusual leaves the fast path: an unhandled type, an action with external effects, an
 * envelope that needs Stripe's API first (a thin notification, a current object), a refused event, a forced redo, a malformed message, an action that throws, or
 * a combined commit that fails for any reason (a duplicate, a stale write, throttling, a time-out).
 * Those events go through processEvent one by one, which handles each case.
 */
import type { EventEnvelope } from '../shared/envelope';
import { describeError } from '../shared/errors';
import { refusalOf } from './acceptance';
import type { Effects } from './effects';
import { ledgerEventOf, type CommitEntry } from './ledger';
import { needsStripeReads, prepareEvent } from './prepare-event';
import { logEffects, type Outcome, type ProcessDeps } from './process-event';

export interface BatchCandidate {
  /** Identifies the record, e.g. the SQS message id. */
  readonly key: string;
  readonly envelope: EventEnvelope;
  /** The message's SQS receive count. */
  readonly receiveCount?: number;
}

/**
 * Commits what it can of `candidates` together and returns the outcome of each record it completed.
 * Records missing from the result must be processed one by one.
 */
export async function commitTogether(candidates: readonly BatchCandidate[], deps: ProcessDeps): Promise<Map<string, Outcome>> {
  const prepared: { key: string; entry: CommitEntry; effects: Effects }[] = [];
  const seen = new Set<string>();
  for (const { key, envelope, receiveCount } of candidates) {
    const handler = deps.registry.find(envelope.type);
    if (!handler || needsStripeReads(envelope, handler, deps) || seen.has(envelope.ledgerId)) continue;
    if (deps.acceptance && refusalOf(envelope, deps.acceptance)) continue;
    seen.add(envelope.ledgerId);
    let effects: Effects;
    try {
      const { event, context } = await prepareEvent(envelope, handler, deps);
      effects = handler.handle(event, context);
    } catch {
      continue; // processEvent runs it again and records the failure.
    }
    if (effects.external) continue;
    prepared.push({ key, entry: { event: ledgerEventOf(envelope, receiveCount), writes: effects.writes }, effects });
  }

  const outcomes = new Map<string, Outcome>();
  if (prepared.length < 2) return outcomes; // A single event gains nothing here.
  const { committed, errors } = await deps.ledger.commitTogether(
    prepared.map(({ entry }) => entry),
    deps.now(),
  );
  if (errors.length > 0) {
    deps.count('CombinedCommitFallbacks', errors.length);
    deps.log.warn('A combined commit failed; its events are committed one by one', { failures: errors.length, error: describeError(errors[0]) });
  }
  for (const { key, entry, effects } of prepared) {
    if (!committed.has(entry.event.id)) continue;
    logEffects(effects, deps, { eventId: entry.event.id, eventType: entry.event.type, source: entry.event.source });
    outcomes.set(key, 'completed');
  }
  if (outcomes.size > 0) deps.count('EventsCompleted', outcomes.size);
  return outcomes;
}
