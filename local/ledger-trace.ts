/**
 * A ledger decorator that reports what happened to each event (completed, ignored, duplicate, failed,
 * dead-lettered) to whoever shows it: the event log in the same thread, or a relay to the main thread
 * when the worker runs in a thread of its own (worker-thread.ts).
 */
import type { Ledger } from '../functions/worker/ledger';
import { delegate } from './chaos';

export type Outcome = 'completed' | 'ignored' | 'duplicate' | 'failed';

/** Where outcomes go. `at` is when it happened (epoch ms), which can be earlier than when it is shown. */
export interface OutcomeReport {
  outcome(eventId: string, type: string, outcome: Outcome, detail: string | undefined, at: number): void;
  deadLettered(eventId: string, type: string, receiveCount: number, at: number): void;
}

export function traceLedger(ledger: Ledger, report: OutcomeReport, now: () => number = Date.now): Ledger {
  return {
    ...delegate(ledger),
    commit: async (event, ...rest) => {
      const result = await ledger.commit(event, ...rest);
      report.outcome(event.id, event.type, result.outcome === 'completed' ? 'completed' : 'duplicate', undefined, now());
      return result;
    },
    commitTogether: async (entries, at) => {
      const result = await ledger.commitTogether(entries, at);
      const committedAt = now();
      for (const { event } of entries) if (result.committed.has(event.id)) report.outcome(event.id, event.type, 'completed', undefined, committedAt);
      return result;
    },
    recordIgnored: async (event, ...rest) => {
      const result = await ledger.recordIgnored(event, ...rest);
      report.outcome(event.id, event.type, result, undefined, now());
      return result;
    },
    recordFailure: async (event, error, ...rest) => {
      report.outcome(event.id, event.type, 'failed', error, now());
      return ledger.recordFailure(event, error, ...rest);
    },
    // After the last attempt's failure line: this one says there is no next attempt.
    markDeadLettered: async (event, receiveCount, at) => {
      report.deadLettered(event.id, event.type, receiveCount, now());
      return ledger.markDeadLettered(event, receiveCount, at);
    },
  };
}
