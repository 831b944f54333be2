/**
 * The fast path for a batch: the events that are new and whose effects are DynamoDB writes only are
 * committed together, up to 100 items per TransactWriteItems, instead of one transaction each. Same
 * guarantees (every event's writes and its ledger mark commit atomically, on the condition that it is
 * not done yet), a tenth of the round trips.
 *
 * Anything unusual leaves the fast path: an unhandled type, an action with external effects, a forced
 * redo, a malformed message, an action that throws, or a combined commit whose conditions fail (a
 * duplicate, a stale write). Those events go through processEvent one by one, which handles each case.
 */
import type Stripe from 'stripe';
import type { Effects } from './effects';
import { MAX_TRANSACTION_ITEMS, type CommitEntry } from './ledger';
import type { Outcome, ProcessDeps } from './process-event';

export interface BatchCandidate {
  /** Identifies the record, e.g. the SQS message id. */
  readonly key: string;
  readonly event: Stripe.Event;
  readonly receivedAt?: string;
}

interface Prepared extends CommitEntry {
  readonly key: string;
  readonly effects: Effects;
  readonly itemKeys: readonly string[];
}

/**
 * Commits what it can of `candidates` together and returns the outcome of each record it completed.
 * Records missing from the result must be processed one by one.
 */
export async function commitTogether(candidates: readonly BatchCandidate[], deps: ProcessDeps): Promise<Map<string, Outcome>> {
  const prepared: Prepared[] = [];
  const seen = new Set<string>();
  for (const { key, event, receivedAt } of candidates) {
    const handler = deps.registry.find(event.type);
    if (!handler || seen.has(event.id)) continue;
    seen.add(event.id);
    let effects: Effects;
    try {
      effects = handler(event);
    } catch {
      continue; // processEvent runs it again and records the failure.
    }
    if (effects.external) continue;
    const ledgerEvent = { id: event.id, type: event.type, created: event.created, livemode: event.livemode, receivedAt };
    prepared.push({ key, event: ledgerEvent, writes: effects.writes, effects, itemKeys: deps.ledger.itemKeys(event.id, effects.writes) });
  }

  const outcomes = new Map<string, Outcome>();
  for (const chunk of chunks(prepared)) {
    if (chunk.length < 2) continue; // A single event gains nothing here.
    if (!(await deps.ledger.commitAll(chunk, deps.now()))) continue;
    for (const entry of chunk) {
      for (const line of entry.effects.logs ?? []) deps.log[line.level](line.message, { eventId: entry.event.id, eventType: entry.event.type, ...line.attributes });
      outcomes.set(entry.key, 'completed');
    }
    deps.count('EventsCompleted', chunk.length);
  }
  return outcomes;
}

/** Groups entries into transactions of at most 100 items that never touch one item twice. */
function chunks(prepared: readonly Prepared[]): Prepared[][] {
  const result: { entries: Prepared[]; keys: Set<string>; items: number }[] = [];
  for (const entry of prepared) {
    const items = entry.itemKeys.length;
    const fits = result.find((chunk) => chunk.items + items <= MAX_TRANSACTION_ITEMS && entry.itemKeys.every((key) => !chunk.keys.has(key)));
    const chunk = fits ?? (result[result.push({ entries: [], keys: new Set(), items: 0 }) - 1]!);
    chunk.entries.push(entry);
    entry.itemKeys.forEach((key) => chunk.keys.add(key));
    chunk.items += items;
  }
  return result.map((chunk) => chunk.entries);
}
