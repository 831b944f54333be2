/**
 * End to end on the local stack (`npm start` in its own process, as a developer runs it, its terminal
 * output going to a file), beside a bare verify-and-answer server (bare-server.ts) in its own process:
 *
 * 1. Warm-up: a closed loop on the stack (the JIT of Node and of DynamoDB Local's JVM need thousands of
 *    events, not hundreds) and on the bare server, then a wait until the stack has completed them all.
 *    Each closed loop on the stack holds its senders while `backlog` acknowledged events wait to be
 *    completed: the ingest answers several times faster than the worker completes, and without a bound
 *    the figure would be the time to drain a queue the benchmark itself filled.
 * 2. Ack at a fixed rate: open-loop load at `rate` events/s, in slices that alternate between the bare
 *    server and the stack (bare, stack, stack, bare, …), so that both see the same machine: on a shared
 *    machine the noise drifts from one minute to the next, and a ratio of two phases run a minute apart
 *    measures the drift as much as the servers.
 * 3. Closed loop: `senders` concurrent senders as fast as the stack answers, at most `backlog` events
 *    waiting; events completed per second and lost events.
 *
 * Ack latency is POST to response, measured by this process with node:http over keep-alive connections
 * (http-load.ts). POST-to-completed runs from the POST to the time stamp of the stack's own completion
 * line for the event, which is the time of the commit. Then baseline 1, Stripe's inline pattern.
 */
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent } from 'node:http';
import Stripe from 'stripe';
import { freePort } from '../local/emulators';
import { sampleEvent } from '../local/sample-events';
import { CompletionTail } from './completion-tail';
import { loadOverHttp, type LoadOptions } from './http-load';
import { ROOT, percentile, round, spawnTs, stopChild, waitForLine, type Delivery, type LoadResult } from './stats';

const SECRET = 'whsec_bench_e2e_0123456789abcdef';

function delivery(): Delivery {
  const event = sampleEvent('payment_intent.succeeded');
  const body = JSON.stringify(event, null, 2);
  return { id: event.id, body, header: Stripe.webhooks.generateTestHeaderString({ payload: body, secret: SECRET }) };
}

/** One load on the local stack, each sent event followed to its completion. */
export interface PhaseResult {
  readonly offered: string;
  readonly sent: number;
  readonly completed: number;
  /** Acknowledged with 200 and never completed. */
  readonly lost: number;
  /** No answer: refused, reset or timed out (the sender would retry, as Stripe does). */
  readonly unanswered: number;
  readonly non200: number;
  readonly ackP50: number;
  readonly ackP99: number;
  readonly completedP50: number;
  readonly completedP99: number;
  /** Events completed ÷ time from the first POST to the last completion. */
  readonly sustainedPerSecond: number;
}

/** Acks of the bare verify-and-answer server, which completes nothing. */
export interface AckResult {
  readonly sent: number;
  readonly unanswered: number;
  readonly non200: number;
  readonly ackP50: number;
  readonly ackP99: number;
}

/** The stack and the bare server under the same open-loop rate, in alternating slices. */
export interface AckComparison {
  /** Events per second offered to each. */
  readonly rate: number;
  /** Seconds of load each got, in `slices` slices. */
  readonly seconds: number;
  readonly slices: number;
  readonly stack: PhaseResult;
  readonly bare: AckResult;
  /** Stack ÷ bare server. */
  readonly ratioP50: number;
  readonly ratioP99: number;
  /** Each slice's ack p99 (ms), in the order sent: how much the machine's noise moved during the phase. */
  readonly sliceP99s: { readonly stack: readonly number[]; readonly bare: readonly number[] };
}

export interface EndToEndResult {
  readonly atRate: AckComparison;
  readonly closedLoop: PhaseResult;
}

export interface EndToEndOptions {
  /** @default 100 */
  readonly rate?: number;
  /** Seconds of load at `rate` for each of the stack and the bare server. @default 24 */
  readonly rateSeconds?: number;
  /** Short, so that a burst of noise from elsewhere falls on both sides alike. @default 2 */
  readonly sliceSeconds?: number;
  /** Closed-loop seconds. @default 20 */
  readonly closedSeconds?: number;
  /** @default 32 */
  readonly senders?: number;
  /** Acknowledged events not yet completed at which the closed loops' senders wait. @default 600 */
  readonly backlog?: number;
  /** Closed-loop warm-up seconds on the stack. @default 10 */
  readonly warmUpSeconds?: number;
}

export async function endToEnd(options: EndToEndOptions = {}, print: (line: string) => void = () => undefined): Promise<EndToEndResult> {
  const rate = options.rate ?? 100;
  const sliceSeconds = options.sliceSeconds ?? 2;
  const slices = Math.max(1, Math.round((options.rateSeconds ?? 24) / sliceSeconds));
  const senders = options.senders ?? 32;
  const backlog = options.backlog ?? 600;
  const dir = mkdtempSync(join(tmpdir(), 'bench-e2e-'));
  const logFile = join(dir, 'stack.log');
  const [stackPort, barePort] = [await freePort(), await freePort()];
  const stack = startStack(stackPort, logFile);
  const bare = spawnTs('bench/bare-server.ts', { PORT: String(barePort), BARE_SECRET: SECRET });
  let tail: CompletionTail | undefined;
  try {
    await Promise.all([waitForLine(bare, /listening on/), waitForReady(stack, logFile)]);
    const stackUrl = `http://127.0.0.1:${stackPort}/webhook`;
    const bareUrl = `http://127.0.0.1:${barePort}/webhook`;
    tail = new CompletionTail(logFile);
    const completions = tail;
    const closedLoop = (durationMs: number) => loadOverHttp(stackUrl, delivery, { concurrency: senders, durationMs, beforeSend: backlogGate(completions, backlog) });

    const warmUpSeconds = options.warmUpSeconds ?? 10;
    print(`  warm-up: ${warmUpSeconds} s closed loop on the stack, 3 s on the bare server, until every event completed`);
    await waitForCompletions(await closedLoop(warmUpSeconds * 1000), completions);
    await loadOverHttp(bareUrl, delivery, { concurrency: 16, durationMs: 3000 });

    print(`  ${rate} events/s on the bare server and on the stack: ${slices} slices of ${sliceSeconds} s each, alternating`);
    // Each side keeps its connections from one slice to the next, as Stripe keeps its own.
    const [stackAgent, bareAgent] = [new Agent({ keepAlive: true }), new Agent({ keepAlive: true })];
    const slice: LoadOptions = { rate, durationMs: sliceSeconds * 1000 };
    const stackSlices: LoadResult[] = [];
    const bareSlices: LoadResult[] = [];
    for (let index = 0; index < slices; index++) {
      // bare, stack, stack, bare, bare, stack, …: neither side always goes first after a pause.
      const order = index % 2 === 0 ? (['bare', 'stack'] as const) : (['stack', 'bare'] as const);
      for (const side of order) {
        if (side === 'bare') bareSlices.push(await loadOverHttp(bareUrl, delivery, { ...slice, agent: bareAgent }));
        else stackSlices.push(await loadOverHttp(stackUrl, delivery, { ...slice, agent: stackAgent }));
      }
    }
    stackAgent.destroy();
    bareAgent.destroy();
    const atStack = await summarise(`${rate} events/s`, merge(stackSlices), completions);
    const atBare = acks(merge(bareSlices));

    const closedSeconds = options.closedSeconds ?? 20;
    print(`  ${senders} concurrent senders, closed loop, at most ${backlog} events waiting, for ${closedSeconds} s`);
    const closed = await summarise(`${senders} concurrent senders, closed loop`, await closedLoop(closedSeconds * 1000), completions);

    return {
      atRate: {
        rate,
        seconds: slices * sliceSeconds,
        slices,
        stack: atStack,
        bare: atBare,
        ratioP50: round(atStack.ackP50 / atBare.ackP50),
        ratioP99: round(atStack.ackP99 / atBare.ackP99),
        sliceP99s: { stack: stackSlices.map(p99), bare: bareSlices.map(p99) },
      },
      closedLoop: closed,
    };
  } finally {
    tail?.stop();
    await Promise.all([stopChild(stack), stopChild(bare)]);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `npm start` as a developer runs it, its output to a file: a busy reader must not slow its terminal writes. */
function startStack(port: number, logFile: string): ChildProcess {
  const out = openSync(logFile, 'w');
  return spawn(process.execPath, [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'local/start.ts'], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), STRIPE_WEBHOOK_SECRET: SECRET, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    stdio: ['ignore', out, out],
  });
}

async function waitForReady(stack: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (!readFileSync(logFile, 'utf8').includes('Ready in')) {
    if (Date.now() > deadline || stack.exitCode !== null) throw new Error(`The local stack did not start:\n${readFileSync(logFile, 'utf8')}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * Holds a sender while `limit` events sent through this gate are not yet completed. Every event sent
 * before it was made has completed (the phases wait for that), so completions since then are its own.
 */
function backlogGate(tail: CompletionTail, limit: number): () => Promise<void> {
  const completedBefore = tail.completedAt.size;
  let sent = 0;
  return async () => {
    while (sent - (tail.completedAt.size - completedBefore) >= limit) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      tail.read();
    }
    sent += 1;
  };
}

/** Waits until every acknowledged event of `result` has completed, or 90 s have passed. */
async function waitForCompletions(result: LoadResult, tail: CompletionTail): Promise<ReadonlyMap<string, number>> {
  const ids = [...result.startedAt.keys()];
  const deadline = Date.now() + 90_000;
  for (tail.read(); ids.some((id) => !tail.completedAt.has(id)) && Date.now() < deadline; tail.read()) {
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return tail.completedAt;
}

async function summarise(offered: string, result: LoadResult, tail: CompletionTail): Promise<PhaseResult> {
  const completedAt = await waitForCompletions(result, tail);
  const ids = [...result.startedAt.keys()];
  const done = ids.filter((id) => completedAt.has(id));
  const latencies = done.map((id) => completedAt.get(id)! - result.startedAt.get(id)!);
  const lastCompletion = Math.max(...done.map((id) => completedAt.get(id)!));
  return {
    offered,
    ...acks(result),
    completed: done.length,
    lost: ids.length - done.length,
    completedP50: round(percentile(latencies, 50)),
    completedP99: round(percentile(latencies, 99)),
    sustainedPerSecond: round(done.length / ((lastCompletion - result.firstAt) / 1000)),
  };
}

const p99 = (result: LoadResult) => round(percentile(result.ackMs, 99), 1);

function acks(result: LoadResult): AckResult {
  return {
    sent: result.sent,
    unanswered: result.errors,
    non200: result.sent - result.errors - (result.statuses.get(200) ?? 0),
    ackP50: round(percentile(result.ackMs, 50), 2),
    ackP99: round(percentile(result.ackMs, 99), 2),
  };
}

/** Slices of one load as if sent in one go (their POST times are their own). */
function merge(results: readonly LoadResult[]): LoadResult {
  const statuses = new Map<number, number>();
  for (const result of results) for (const [status, count] of result.statuses) statuses.set(status, (statuses.get(status) ?? 0) + count);
  return {
    sent: results.reduce((sum, result) => sum + result.sent, 0),
    errors: results.reduce((sum, result) => sum + result.errors, 0),
    ackMs: results.flatMap((result) => result.ackMs),
    statuses,
    startedAt: new Map(results.flatMap((result) => [...result.startedAt])),
    firstAt: Math.min(...results.map((result) => result.firstAt)),
    lastAt: Math.max(...results.map((result) => result.lastAt)),
  };
}

/** Baseline 1: ack latency of the inline pattern at a fixed rate. */
export async function inlineBaseline(rate: number, seconds = 10) {
  const port = await freePort();
  const server = spawnTs('bench/inline-baseline.ts', { PORT: String(port), BASELINE_SECRET: SECRET, BASELINE_WORK_MS: '200' });
  try {
    await waitForLine(server, /listening on/);
    const url = `http://127.0.0.1:${port}/webhook`;
    await loadOverHttp(url, delivery, { rate: 50, durationMs: 2_000 });
    const result = await loadOverHttp(url, delivery, { rate, durationMs: seconds * 1000 });
    return { rate, sent: result.sent, ackP50: round(percentile(result.ackMs, 50)), ackP99: round(percentile(result.ackMs, 99)) };
  } finally {
    await stopChild(server);
  }
}
