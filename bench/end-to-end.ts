/**
 * End to end on the local stack (`npm start` in its own process, as a developer runs it): open-loop
 * load at 200 events/s, then closed-loop load as fast as it goes; ack latency, POST-to-completed
 * latency (completion read from the stack's own terminal line), sustained rate, and lost events.
 * Then baseline 1, Stripe's inline pattern, under the same 200 events/s.
 */
import Stripe from 'stripe';
import { freePort } from '../local/emulators';
import { sampleEvent } from '../local/sample-events';
import { load, percentile, round, spawnTs, stopChild, waitForLine, type Delivery, type LoadResult } from './stats';

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
  readonly non200: number;
  readonly ackP50: number;
  readonly ackP99: number;
  readonly completedP50: number;
  readonly completedP99: number;
  readonly sustainedPerSecond: number;
}

export async function endToEnd(seconds = { fixed: 30, max: 30 }, print: (line: string) => void = () => undefined) {
  const port = await freePort();
  const stack = spawnTs('local/start.ts', { PORT: String(port), STRIPE_WEBHOOK_SECRET: SECRET });
  const completedAt = new Map<string, number>();
  let pending = '';
  stack.stdout!.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop()!;
    const now = performance.now();
    for (const line of lines) {
      const match = /✓ \S+ +(evt_\w+) +completed/.exec(line);
      if (match) completedAt.set(match[1]!, now);
    }
  });
  try {
    await waitForLine(stack, /Ready in/, 120_000);
    const url = `http://127.0.0.1:${port}/webhook`;
    // A short warm-up, so that JIT and the emulators' first-call costs stay out of the numbers.
    await load(url, delivery, { rate: 50, durationMs: 3_000 });

    print(`  fixed rate: 200 events/s for ${seconds.fixed} s`);
    const fixed = summarise('200 events/s', await load(url, delivery, { rate: 200, durationMs: seconds.fixed * 1000 }), completedAt);
    print(`  as fast as it goes: 32 concurrent senders for ${seconds.max} s`);
    const max = summarise('32 concurrent senders', await load(url, delivery, { concurrency: 32, durationMs: seconds.max * 1000 }), completedAt);
    return { fixed: await fixed, max: await max };
  } finally {
    await stopChild(stack);
  }
}

async function summarise(offered: string, result: LoadResult, completedAt: Map<string, number>): Promise<PhaseResult> {
  const ids = [...result.startedAt.keys()];
  const deadline = performance.now() + 60_000;
  while (ids.some((id) => !completedAt.has(id)) && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  const done = ids.filter((id) => completedAt.has(id));
  const latencies = done.map((id) => completedAt.get(id)! - result.startedAt.get(id)!);
  const lastCompletion = Math.max(...done.map((id) => completedAt.get(id)!));
  return {
    offered,
    sent: result.sent,
    completed: done.length,
    lost: ids.length - done.length,
    non200: result.sent - (result.statuses.get(200) ?? 0),
    ackP50: round(percentile(result.ackMs, 50)),
    ackP99: round(percentile(result.ackMs, 99)),
    completedP50: round(percentile(latencies, 50)),
    completedP99: round(percentile(latencies, 99)),
    sustainedPerSecond: round(done.length / ((lastCompletion - result.firstAt) / 1000)),
  };
}

/** Baseline 1: ack latency of the inline pattern at 200 events/s. */
export async function inlineBaseline(seconds = 10) {
  const port = await freePort();
  const server = spawnTs('bench/inline-baseline.ts', { PORT: String(port), BASELINE_SECRET: SECRET, BASELINE_WORK_MS: '200' });
  try {
    await waitForLine(server, /listening on/);
    const url = `http://127.0.0.1:${port}/webhook`;
    await load(url, delivery, { rate: 50, durationMs: 2_000 });
    const result = await load(url, delivery, { rate: 200, durationMs: seconds * 1000 });
    return { sent: result.sent, ackP50: round(percentile(result.ackMs, 50)), ackP99: round(percentile(result.ackMs, 99)) };
  } finally {
    await stopChild(server);
  }
}
