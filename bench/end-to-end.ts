/**
 * End to end on the local stack (`npm start` in its own process, as a developer runs it, its terminal
 * output going to a file): open-loop load at 50 and 200 events/s, then closed-loop load as fast as it
 * goes. Ack latency is POST to response; POST-to-completed runs from the POST to the time stamp of the
 * stack's own completion line for the event. Then baseline 1, Stripe's inline pattern.
 */
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import Stripe from 'stripe';
import { freePort } from '../local/emulators';
import { sampleEvent } from '../local/sample-events';
import { ROOT, load, percentile, round, spawnTs, stopChild, waitForLine, type Delivery, type LoadResult } from './stats';

const SECRET = 'whsec_bench_e2e_0123456789abcdef';

function delivery(): Delivery {
  const event = sampleEvent('payment_intent.succeeded');
  const body = JSON.stringify(event, null, 2);
  return { id: event.id, body, header: Stripe.webhooks.generateTestHeaderString({ payload: body, secret: SECRET }) };
}

export interface PhaseResult {
  readonly offered: string;
  readonly sent: number;
  readonly completed: number;
  readonly lost: number;
  readonly unanswered: number;
  readonly non200: number;
  readonly ackP50: number;
  readonly ackP99: number;
  readonly completedP50: number;
  readonly completedP99: number;
  readonly sustainedPerSecond: number;
}

/** Completion time (epoch ms) of each event, from the stack's "✓ … evt_… completed" lines. */
function completions(logFile: string, day: string): Map<string, number> {
  const result = new Map<string, number>();
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    const match = /^(\d\d:\d\d:\d\d\.\d\d\d) ✓ \S+ +(evt_\w+) +completed/.exec(line);
    if (match) result.set(match[2]!, Date.parse(`${day}T${match[1]}Z`));
  }
  return result;
}

export async function endToEnd(seconds = { low: 15, fixed: 20, max: 25 }, print: (line: string) => void = () => undefined) {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'bench-e2e-'));
  const logFile = join(dir, 'stack.log');
  const out = openSync(logFile, 'w');
  // Output to a file, not a pipe: a busy reader must not slow the stack's terminal writes.
  const stack = spawn(process.execPath, [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'local/start.ts'], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), STRIPE_WEBHOOK_SECRET: SECRET, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    stdio: ['ignore', out, out],
  });
  try {
    const deadline = Date.now() + 120_000;
    while (!readFileSync(logFile, 'utf8').includes('Ready in')) {
      if (Date.now() > deadline || stack.exitCode !== null) throw new Error(`The local stack did not start:\n${readFileSync(logFile, 'utf8')}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const url = `http://127.0.0.1:${port}/webhook`;
    const day = new Date().toISOString().slice(0, 10);
    // Warm-up: the JIT of Node and of DynamoDB Local's JVM, and the emulators' first-call costs.
    print('  warm-up: 10 s at 50 events/s');
    await load(url, delivery, { rate: 50, durationMs: 10_000 });

    const phases: [string, Parameters<typeof load>[2]][] = [
      ['50 events/s', { rate: 50, durationMs: seconds.low * 1000 }],
      ['200 events/s', { rate: 200, durationMs: seconds.fixed * 1000 }],
      ['32 concurrent senders, closed loop', { concurrency: 32, durationMs: seconds.max * 1000 }],
    ];
    const results: PhaseResult[] = [];
    for (const [offered, options] of phases) {
      print(`  ${offered} for ${options.durationMs / 1000} s`);
      const result = await load(url, delivery, options);
      results.push(await summarise(offered, result, () => completions(logFile, day)));
    }
    return results;
  } finally {
    await stopChild(stack);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function summarise(offered: string, result: LoadResult, read: () => Map<string, number>): Promise<PhaseResult> {
  const ids = [...result.startedAt.keys()];
  let completedAt = read();
  const deadline = Date.now() + 90_000;
  while (ids.some((id) => !completedAt.has(id)) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    completedAt = read();
  }
  const done = ids.filter((id) => completedAt.has(id));
  const latencies = done.map((id) => completedAt.get(id)! - result.startedAt.get(id)!);
  const lastCompletion = Math.max(...done.map((id) => completedAt.get(id)!));
  return {
    offered,
    sent: result.sent,
    completed: done.length,
    lost: ids.length - done.length,
    unanswered: result.errors,
    non200: result.sent - result.errors - (result.statuses.get(200) ?? 0),
    ackP50: round(percentile(result.ackMs, 50)),
    ackP99: round(percentile(result.ackMs, 99)),
    completedP50: round(percentile(latencies, 50)),
    completedP99: round(percentile(latencies, 99)),
    sustainedPerSecond: round(done.length / ((lastCompletion - result.firstAt) / 1000)),
  };
}

/** Baseline 1: ack latency of the inline pattern at a fixed rate. */
export async function inlineBaseline(rate: number, seconds = 10) {
  const port = await freePort();
  const server = spawnTs('bench/inline-baseline.ts', { PORT: String(port), BASELINE_SECRET: SECRET, BASELINE_WORK_MS: '200' });
  try {
    await waitForLine(server, /listening on/);
    const url = `http://127.0.0.1:${port}/webhook`;
    await load(url, delivery, { rate: 50, durationMs: 2_000 });
    const result = await load(url, delivery, { rate, durationMs: seconds * 1000 });
    return { rate, sent: result.sent, ackP50: round(percentile(result.ackMs, 50)), ackP99: round(percentile(result.ackMs, 99)) };
  } finally {
    await stopChild(server);
  }
}
