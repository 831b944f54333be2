/**
 * The worker and its poller in a thread of their own, as on AWS the worker is a Lambda of its own: the
 * ingest's HTTP answers then never wait behind a batch being read, committed and logged on the same
 * event loop. The thread (worker-thread-entry.ts) reports back what the terminal and the console show:
 * each event's outcome, the functions' log lines and the faults it injected; chaos settings changed
 * here (PUT /api/chaos) are passed on to it.
 */
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import type { Chaos, ChaosSettings, InjectedCounts } from './chaos';
import type { Outcome } from './ledger-trace';

/** What the thread needs to build the worker and its poller: plain data, copied into the thread. */
export interface WorkerThreadSetup {
  readonly endpoints: { readonly sqs: string; readonly dynamodb: string };
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly ledgerTableName: string;
  readonly projectionsTableName: string;
  /** The Stripe API the worker reads thin events and current objects from, and its configuration. */
  readonly stripeApi: { readonly base: string; readonly env: Readonly<Record<string, string>> };
  readonly batchSize: number;
  readonly batchingWindowMs?: number;
  readonly concurrency?: number;
  readonly chaos: { readonly settings: ChaosSettings; readonly seed?: number };
  /** The thread below normal CPU priority (Linux only). */
  readonly lowPriority?: boolean;
}

/** Thread → host, in the order things happened. */
export type ThreadReport =
  | { readonly kind: 'ready' }
  | { readonly kind: 'outcome'; readonly eventId: string; readonly type: string; readonly outcome: Outcome; readonly detail?: string; readonly at: number }
  | { readonly kind: 'deadLettered'; readonly eventId: string; readonly type: string; readonly receiveCount: number; readonly at: number }
  | { readonly kind: 'print'; readonly line: string }
  | { readonly kind: 'injected'; readonly fault: keyof InjectedCounts }
  | { readonly kind: 'stopped' };

/** Host → thread. */
export type HostCommand = { readonly kind: 'chaos'; readonly settings: ChaosSettings } | { readonly kind: 'stop' };

export interface WorkerThreadHost {
  readonly outcome: (eventId: string, type: string, outcome: Outcome, detail: string | undefined, at: number) => void;
  readonly deadLettered: (eventId: string, type: string, receiveCount: number, at: number) => void;
  readonly print: (line: string) => void;
  readonly chaos: Chaos;
}

export interface WorkerThread {
  /** Stops receiving, lets the batches in hand finish, and ends the thread. */
  stop(): Promise<void>;
}

/** Starts the thread and resolves once its poller runs. */
export async function startWorkerThread(setup: WorkerThreadSetup, host: WorkerThreadHost): Promise<WorkerThread> {
  // A plain module that loads TypeScript in the thread, under `npm start` (tsx) and under Jest alike.
  const thread = new Worker(join(__dirname, 'worker-thread-boot.mjs'), { workerData: setup, execArgv: [] });
  let stopped: (() => void) | undefined;
  const ready = new Promise<void>((resolve, reject) => {
    thread.on('message', (reports: readonly ThreadReport[]) => {
      for (const report of reports) {
        if (report.kind === 'ready') resolve();
        else if (report.kind === 'outcome') host.outcome(report.eventId, report.type, report.outcome, report.detail, report.at);
        else if (report.kind === 'deadLettered') host.deadLettered(report.eventId, report.type, report.receiveCount, report.at);
        else if (report.kind === 'print') host.print(report.line);
        else if (report.kind === 'injected') host.chaos.count(report.fault);
        else if (report.kind === 'stopped') stopped?.();
      }
    });
    thread.once('error', (error) => {
      host.print(`worker thread: ${String(error)}`);
      reject(error);
    });
    thread.once('exit', (code) => reject(new Error(`The worker thread exited with code ${code} before it was ready`)));
  });
  const command = (message: HostCommand) => thread.postMessage(message);
  host.chaos.onChange((settings) => command({ kind: 'chaos', settings }));
  try {
    await ready;
  } catch (error) {
    await thread.terminate();
    throw error;
  }
  return {
    async stop() {
      if (thread.threadId === -1) return;
      // Its last reports arrive before 'stopped'; the thread is ended either way, and soon.
      const done = new Promise<void>((resolve) => {
        stopped = resolve;
        thread.once('exit', () => resolve());
        setTimeout(resolve, 10_000).unref();
      });
      command({ kind: 'stop' });
      await done;
      await thread.terminate();
    },
  };
}
