/**
 * `npm run trigger -- <event type>…`: sends signed, realistic Stripe events to the local stack, like
 * `stripe trigger` but offline.
 *
 *   --count N        events of each type (default 1)
 *   --duplicates K   send each event K times, as Stripe's retries would (default 1)
 *   --shuffle        send in random order (Stripe does not guarantee order)
 *   --url URL        endpoint (default http://localhost:$PORT/webhook, PORT 4242)
 *   --undelivered    record the events in the Stripe API stand-in without delivering them: missed
 *                    webhooks, for `npm run backfill -- --local` to find
 *   --list           print the supported types
 *
 * Every event is also recorded in the Stripe API stand-in that `npm start` runs (or the one
 * STRIPE_API_BASE names), as Stripe records every event it creates, so the Events API lists it.
 */
import { parseArgs } from 'node:util';
import Stripe from 'stripe';
import { devSecret } from '../local/dev-secret';
import { shuffle } from '../local/random';
import { recordAtStandIn, type StandInTarget } from '../local/standin-recorder';
import { readLocalStackFile } from '../local/stack-file';
import { SAMPLE_OBJECTS, isSampleEventType, sampleEvent } from '../local/sample-events';
import { parseSecretList } from '../functions/shared/config';

interface Delivery {
  readonly id: string;
  readonly type: string;
  readonly body: string;
}

export interface TriggerResult {
  readonly sent: number;
  readonly byStatus: Record<number, number>;
  readonly eventIds: readonly string[];
}

export interface TriggerOptions {
  readonly types: readonly string[];
  readonly count?: number;
  readonly duplicates?: number;
  readonly shuffle?: boolean;
  readonly url: string;
  readonly secret: string;
  /** Where events are recorded as Stripe records them; none: not recorded. */
  readonly standIn?: StandInTarget;
  /** Record without delivering (needs `standIn`). */
  readonly undelivered?: boolean;
  readonly print?: (line: string) => void;
}

/** Builds, signs and POSTs the events; resolves with what the endpoint answered. */
export async function trigger(options: TriggerOptions): Promise<TriggerResult> {
  const print = options.print ?? (() => undefined);
  const unknown = options.types.filter((type) => !isSampleEventType(type));
  if (unknown.length > 0) throw new Error(`Unknown event type ${unknown.join(', ')}. Supported: ${Object.keys(SAMPLE_OBJECTS).join(', ')}`);
  const count = options.count ?? 1;
  const duplicates = options.duplicates ?? 1;

  const events: Delivery[] = options.types.flatMap((type) =>
    Array.from({ length: count }, () => {
      const event = sampleEvent(type as keyof typeof SAMPLE_OBJECTS);
      return { id: event.id, type, body: JSON.stringify(event, null, 2) };
    }),
  );
  let deliveries = events.flatMap((event) => Array.from({ length: duplicates }, () => event));
  if (options.shuffle) deliveries = shuffle(deliveries);

  const byStatus: Record<number, number> = {};
  if (options.undelivered) {
    if (!options.standIn) throw new Error('--undelivered records events in the Stripe API stand-in, and none is known: start npm start, or set STRIPE_API_BASE');
    for (const event of events) {
      await recordAtStandIn(options.standIn, JSON.parse(event.body) as { id: string }, false);
      print(`[not delivered] ${event.type} ${event.id}: recorded in the Stripe API only, as a missed webhook`);
    }
    return { sent: 0, byStatus, eventIds: events.map((event) => event.id) };
  }
  const recorded = new Set<string>();
  for (const delivery of deliveries) {
    // Signed at send time, as Stripe signs each attempt anew.
    const header = Stripe.webhooks.generateTestHeaderString({ payload: delivery.body, secret: options.secret });
    const response = await fetch(options.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': header, 'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)' },
      body: delivery.body,
    });
    const text = await response.text();
    byStatus[response.status] = (byStatus[response.status] ?? 0) + 1;
    print(`[${response.status} POST] ${response.ok ? 'OK' : text} ${delivery.type} ${delivery.id}`);
    if (options.standIn && !recorded.has(delivery.id)) {
      recorded.add(delivery.id);
      await recordAtStandIn(options.standIn, JSON.parse(delivery.body) as { id: string }, response.ok);
    }
  }
  return { sent: deliveries.length, byStatus, eventIds: events.map((event) => event.id) };
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      count: { type: 'string', default: '1' },
      duplicates: { type: 'string', default: '1' },
      shuffle: { type: 'boolean', default: false },
      url: { type: 'string' },
      list: { type: 'boolean', default: false },
      undelivered: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.list) {
    console.log(Object.keys(SAMPLE_OBJECTS).join('\n'));
    return;
  }
  if (values.help || positionals.length === 0) {
    console.log('Usage: npm run trigger -- <event type>… [--count N] [--duplicates K] [--shuffle] [--undelivered] [--url URL] [--list]');
    if (!values.help) process.exitCode = 2;
    return;
  }
  const count = positiveInteger('--count', values.count!);
  const duplicates = positiveInteger('--duplicates', values.duplicates!);
  const url = values.url ?? `http://localhost:${process.env.PORT ?? 4242}/webhook`;
  const fromEnv = process.env.STRIPE_WEBHOOK_SECRET ? parseSecretList(process.env.STRIPE_WEBHOOK_SECRET)[0] : undefined;

  let result: TriggerResult;
  try {
    result = await trigger({
      types: positionals,
      count,
      duplicates,
      shuffle: values.shuffle,
      url,
      secret: fromEnv ?? devSecret(),
      ...(standInTarget() ? { standIn: standInTarget() } : {}),
      undelivered: values.undelivered,
      print: console.log,
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    if (cause?.code === 'ECONNREFUSED') throw new Error(`Nothing is listening at ${url}: start the local stack with npm start (or pass --url)`);
    throw error;
  }
  if (values.undelivered) {
    console.log(`Recorded ${result.eventIds.length} events without delivering them. Find them with: npm run backfill -- --local --since 1h`);
    return;
  }
  const summary = Object.entries(result.byStatus).map(([status, n]) => `${n}× ${status}`).join(', ');
  console.log(`Sent ${result.sent} deliveries of ${result.eventIds.length} events: ${summary}`);
  if (Object.keys(result.byStatus).some((status) => status !== '200')) process.exitCode = 1;
}

/** The stand-in STRIPE_API_BASE names, or the one the running npm start uses; none when neither is there. */
function standInTarget(): StandInTarget | undefined {
  const apiKey = process.env.STRIPE_API_KEY;
  if (process.env.STRIPE_API_BASE) return { apiBase: process.env.STRIPE_API_BASE, ...(apiKey ? { apiKey } : {}) };
  try {
    return { apiBase: readLocalStackFile().stripeApiBase, ...(apiKey ? { apiKey } : {}) };
  } catch {
    return undefined;
  }
}

function positiveInteger(name: string, value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new Error(`${name} must be a whole number of at least 1, got "${value}"`);
  return number;
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
