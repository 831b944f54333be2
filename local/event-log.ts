/**
 * The local stack's view of events as they move: one readable terminal line per step
 * (received → queued → completed / ignored / failed, with timings), and the payloads the console shows.
 * Bounded in memory; the ledger in DynamoDB stays the source of truth for status.
 */
import type { Log } from '../functions/shared/observability';
import type { Outcome, OutcomeReport } from './ledger-trace';

export type { Outcome } from './ledger-trace';

interface Trace {
  readonly type: string;
  readonly receivedAt: number;
  readonly payload: string;
  attempts: number;
}

export type Print = (line: string) => void;

export type OutcomeListener = (eventId: string, outcome: Outcome, at: number) => void;

export class EventLog implements OutcomeReport {
  private readonly traces = new Map<string, Trace>();

  constructor(
    private readonly print: Print,
    private readonly onOutcome?: OutcomeListener,
    private readonly capacity = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The ingest answered 200: the event is on the queue. */
  queued(eventId: string, type: string, payload: string, ackMs: number): void {
    if (!this.traces.has(eventId)) {
      this.traces.set(eventId, { type, receivedAt: this.now() - ackMs, payload, attempts: 0 });
      if (this.traces.size > this.capacity) this.traces.delete(this.traces.keys().next().value!);
    }
    this.line('←', type, eventId, `received → queued in ${ackMs} ms`);
  }

  rejected(status: number, reason: string): void {
    this.print(`${clock(this.now())} ✗ ${status} ${reason}`);
  }

  /** `at`: when it happened, which the worker's thread tells; the line shows that time, not when it is printed. */
  outcome(eventId: string, type: string, outcome: Outcome, detail?: string, at = this.now()): void {
    this.onOutcome?.(eventId, outcome, at);
    const trace = this.traces.get(eventId);
    if (trace && outcome !== 'duplicate') trace.attempts += 1;
    const since = trace ? ` ${at - trace.receivedAt} ms after receipt` : '';
    const attempt = trace ? ` (attempt ${trace.attempts})` : '';
    const text = {
      completed: `completed${since}${attempt}`,
      ignored: `ignored: no handler for this type${attempt}`,
      duplicate: 'duplicate delivery acknowledged, nothing done',
      failed: `failed${attempt}: ${detail ?? ''} → will retry`,
    }[outcome];
    this.line({ completed: '✓', ignored: '·', duplicate: '↺', failed: '✗' }[outcome], type, eventId, text, at);
  }

  deadLettered(eventId: string, type: string, receiveCount: number, at = this.now()): void {
    this.line('☠', type, eventId, `dead-lettered after ${receiveCount} receives: fix the cause, then npm run redrive -- --local`, at);
  }

  payload(eventId: string): string | undefined {
    return this.traces.get(eventId)?.payload;
  }

  private line(mark: string, type: string, eventId: string, text: string, at = this.now()): void {
    this.print(`${clock(at)} ${mark} ${type.padEnd(30)} ${eventId}  ${text}`);
  }
}

/** Messages the timeline already shows; everything else the functions log is printed. */
const SHOWN_BY_TIMELINE = new Set([
  'Event queued',
  'Duplicate delivery acknowledged',
  'Unhandled event type recorded as ignored',
  'Event processing failed; it will be retried',
  'Event failed its last attempt and goes to the dead-letter queue',
  'Signature verification failed',
  'Bad request',
]);

/** The functions' structured logs as indented terminal lines: "PaymentIntent was successful! amount=2000 …". */
export function terminalLog(print: Print): Log {
  const write = (level: string) => (message: string, ...attributes: Record<string, unknown>[]) => {
    if (SHOWN_BY_TIMELINE.has(message)) return;
    const fields = Object.entries(Object.assign({}, ...attributes) as Record<string, unknown>)
      // The timeline line above names the type, and every local event comes by webhook.
      .filter(([name, value]) => value !== undefined && name !== 'eventType' && name !== 'source')
      .map(([name, value]) => `${name}=${typeof value === 'object' ? JSON.stringify(value) : String(value)}`)
      .join(' ');
    print(`             ${level === 'info' ? ' ' : level === 'warn' ? '!' : '✗'} ${message}${fields ? `  ${fields}` : ''}`);
  };
  return { debug: () => undefined, info: write('info'), warn: write('warn'), error: write('error') };
}

function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 23);
}
