/**
 * The load generator of the end-to-end section: the same open and closed loops as `load` (stats.ts), sent
 * with node:http over keep-alive connections instead of fetch. fetch costs this process about 1 to 2.5 ms
 * of CPU per request on a 2-core machine, node:http a fifth of that; the generator shares the cores with
 * what it measures, so the cheaper it is, the less it weighs on either side of a comparison.
 */
import { Agent, request } from 'node:http';
import type { Delivery, LoadResult } from './stats';

export interface LoadOptions {
  /** Open loop: requests leave on schedule at this many per second, whatever the previous ones do. */
  readonly rate?: number;
  /** Closed loop: this many senders, each sending when its previous answer came. @default 16 */
  readonly concurrency?: number;
  readonly durationMs: number;
  /** Awaited before each request, e.g. to hold the senders while the stack has too much to do. */
  readonly beforeSend?: () => Promise<void>;
  /** Keep-alive connections to reuse across loads (slices of one phase); by default, this load's own. */
  readonly agent?: Agent;
}

/** An answer's status, or undefined when none came (refused, reset, or 30 s without one). */
function post(agent: Agent, url: URL, delivery: Delivery): Promise<number | undefined> {
  return new Promise((resolve) => {
    const outgoing = request(
      url,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(delivery.body), 'stripe-signature': delivery.header } },
      (response) => {
        response.resume();
        response.once('end', () => resolve(response.statusCode));
        response.once('error', () => resolve(undefined));
      },
    );
    outgoing.setTimeout(30_000, () => outgoing.destroy());
    outgoing.once('error', () => resolve(undefined));
    outgoing.end(delivery.body);
  });
}

export async function loadOverHttp(target: string, next: () => Delivery, options: LoadOptions): Promise<LoadResult> {
  const url = new URL(target);
  const agent = options.agent ?? new Agent({ keepAlive: true });
  const ackMs: number[] = [];
  const statuses = new Map<number, number>();
  const startedAt = new Map<string, number>();
  const firstAt = Date.now();
  let sent = 0;
  let errors = 0;
  const send = async () => {
    await options.beforeSend?.();
    const delivery = next();
    startedAt.set(delivery.id, Date.now());
    sent += 1;
    const start = performance.now();
    const status = await post(agent, url, delivery);
    if (status === undefined) {
      errors += 1;
      startedAt.delete(delivery.id);
      return;
    }
    ackMs.push(performance.now() - start);
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
  };
  const end = firstAt + options.durationMs;
  if (options.rate) {
    const inFlight = new Set<Promise<void>>();
    for (let index = 0; ; index++) {
      const due = firstAt + (index * 1000) / options.rate;
      if (due >= end) break;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const sending = send().finally(() => inFlight.delete(sending));
      inFlight.add(sending);
    }
    await Promise.all(inFlight);
  } else {
    await Promise.all(
      Array.from({ length: options.concurrency ?? 16 }, async () => {
        while (Date.now() < end) await send();
      }),
    );
  }
  if (!options.agent) agent.destroy();
  return { sent, errors, ackMs, statuses, startedAt, firstAt, lastAt: Date.now() };
}
