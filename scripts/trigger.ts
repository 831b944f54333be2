/**
 * `npm run trigger -- <event type>…`: sends signed, realistic Stripe events to the local stack, like
 * `stripe trigger` but offline.
 *
 *   --count N        events of each type (default 1)
 *   --duplicates K   send each event K times, as Stripe's retries would (default 1)
 *   --shuffle        send in random order (Stripe does not guarantee order)
 *   --thin           send each event as Stripe's thin notification (`v1.<type>`, object v2.core.event),
 *                    which names the event instead of carrying it: the worker fetches it from the Stripe
 *                    API stand-in, where it is recorded first
 *   --via WAY        webhook (default): a signed POST to the webhook; eventbridge: the event goes
 *                    straight on the running npm start's queue, as an Amazon EventBridge event
 *                    destination delivers it (no signature, no message attributes)
 *   --url URL        endpoint (default http://localhost:$PORT/webhook, PORT 4242)
 *   --undelivered    record the events in the Stripe API stand-in without delivering them: missed
 *                    webhooks, for `npm run backfill -- --local` to find
 *   --list           print the supported types
 *
 * A type is a snapshot type of --list, its thin form (`v1.payment_intent.succeeded` is
 * `--thin payment_intent.succeeded`), or a thin-only type (`v1.billing.meter.error_report_triggered`),
 * which is always sent thin.
 *
 * Every event is also recorded in the Stripe API stand-in that `npm start` runs (or the one
 * STRIPE_API_BASE names), as Stripe records every event it creates, so the Events API lists it (and
 * `/v2/core/events/{id}` answers a thin one).
 */
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { parseArgs } from 'node:util';
import Stripe from 'stripe';
import { devSecret } from '../local/dev-secret';
import { LOCAL_AWS } from '../local/emulators';
import { eventBridgeEventFor } from '../local/eventbridge-event';
import { shuffle } from '../local/random';
import { recordAtStandIn, recordThinAtStandIn, type StandInTarget } from '../local/standin-recorder';
import { readLocalStackFile } from '../local/stack-file';
import { SAMPLE_OBJECTS, isSampleEventType, sampleEvent, type SampleEventType } from '../local/sample-events';
import { THIN_ONLY_SAMPLES, isThinOnlySampleType, thinNotificationFor, type ThinOnlySampleType } from '../local/sample-thin-events';
import { parseSecretList } from '../functions/shared/config';
import type { ThinNotification } from '../functions/shared/stripe-event';

/** How an event reaches the pipeline. */
export type Way = 'webhook' | 'eventbridge';
export const WAYS: readonly Way[] = ['webhook', 'eventbridge'];

/** One event as the trigger sent it. */
export interface TriggeredEvent {
  /** The id of what was delivered: the snapshot event's, or the thin notification's. */
  readonly id: string;
  /** Its type as delivered: `payment_intent.succeeded`, or `v1.payment_intent.succeeded` when thin. */
  readonly type: string;
  readonly form: 'snapshot' | 'thin';
  readonly way: Way;
  /** The id the ledger keys it on: the snapshot event's (a thin notification that names one is folded into it), else the notification's. */
  readonly ledgerId: string;
}

export interface TriggerResult {
  /** Deliveries made, duplicates included: webhook POSTs and queued EventBridge messages. */
  readonly sent: number;
  /** What the webhook answered, per status (webhook deliveries only). */
  readonly byStatus: Record<number, number>;
  /** EventBridge messages put on the queue. */
  readonly queued: number;
  /** The ledger ids of the events, in the order built: what to look up in /api/events/{id}. */
  readonly eventIds: readonly string[];
  readonly events: readonly TriggeredEvent[];
}

/** The running stack's event queue, for `--via eventbridge`. */
export interface QueueTarget {
  readonly sqsEndpoint: string;
  readonly queueUrl: string;
}

export interface TriggerOptions {
  readonly types: readonly string[];
  readonly count?: number;
  readonly duplicates?: number;
  readonly shuffle?: boolean;
  /** Send snapshot types as their thin notifications. */
  readonly thin?: boolean;
  /** @default 'webhook' */
  readonly via?: Way;
  readonly url: string;
  readonly secret: string;
  /** Where events are recorded as Stripe records them; none: not recorded (thin forms need it). */
  readonly standIn?: StandInTarget;
  /** The queue `via: 'eventbridge'` puts events on. */
  readonly queue?: QueueTarget;
  /** Record without delivering (needs `standIn`; snapshot events by webhook only). */
  readonly undelivered?: boolean;
  readonly print?: (line: string) => void;
}

/** An event ready to send, with what the stand-in must hold for it. */
interface Prepared extends TriggeredEvent {
  /** What is delivered: the snapshot event, or the thin notification. */
  readonly payload: Stripe.Event | ThinNotification;
  readonly snapshot?: Stripe.Event;
  /** The v2 event `/v2/core/events/{id}` answers, and the object it names when only it carries that object. */
  readonly v2Event?: { readonly event: object & { readonly id: string }; readonly relatedObject?: unknown };
}

type Plan = { readonly kind: 'snapshot'; readonly type: SampleEventType; readonly thin: boolean } | { readonly kind: 'thin-only'; readonly type: ThinOnlySampleType };

const V1_PREFIX = 'v1.';

/** Builds the events, records them as Stripe would, and delivers them (signed POST or EventBridge message); resolves with how it went. */
export async function trigger(options: TriggerOptions): Promise<TriggerResult> {
  const print = options.print ?? (() => undefined);
  const way = options.via ?? 'webhook';
  if (!WAYS.includes(way)) throw new Error(`--via must be ${WAYS.join(' or ')}, got "${way}"`);
  const plans = planTypes(options.types, options.thin ?? false);
  const anyThin = plans.some((plan) => plan.kind === 'thin-only' || plan.thin);
  if (options.undelivered && (anyThin || way !== 'webhook')) {
    throw new Error('--undelivered records snapshot events for the backfill to find in /v1/events, which lists no thin-only event; it takes neither --thin, --via eventbridge nor a thin-only type');
  }
  if (anyThin && !options.standIn) {
    throw new Error('A thin notification names an event the worker then fetches from the Stripe API, and no stand-in is known to record it in: start npm start, or set STRIPE_API_BASE');
  }
  if (way === 'eventbridge' && !options.queue) throw new Error('--via eventbridge puts events on the running npm start\'s queue, and none is known: start npm start');
  const count = options.count ?? 1;
  const duplicates = options.duplicates ?? 1;

  const events = plans.flatMap((plan) => Array.from({ length: count }, () => prepare(plan, way)));
  let deliveries = events.flatMap((event) => Array.from({ length: duplicates }, () => event));
  if (options.shuffle) deliveries = shuffle(deliveries);
  const result = (sent: number, byStatus: Record<number, number>, queued: number): TriggerResult => ({
    sent,
    byStatus,
    queued,
    eventIds: events.map((event) => event.ledgerId),
    events: events.map(({ id, type, form, way: eventWay, ledgerId }) => ({ id, type, form, way: eventWay, ledgerId })),
  });

  if (options.undelivered) {
    if (!options.standIn) throw new Error('--undelivered records events in the Stripe API stand-in, and none is known: start npm start, or set STRIPE_API_BASE');
    for (const event of events) {
      await recordAtStandIn(options.standIn, event.snapshot!, false);
      print(`[not delivered] ${event.type} ${event.id}: recorded in the Stripe API only, as a missed webhook`);
    }
    return result(0, {}, 0);
  }

  // Recorded before any delivery, since the worker fetches a thin one's event as soon as it arrives; as
  // not delivered until a delivery succeeds, so that an interrupted run leaves what a missed webhook leaves.
  if (options.standIn) for (const event of events) await record(options.standIn, event, false);
  const delivered = new Set<string>();
  const byStatus: Record<number, number> = {};
  let queued = 0;
  const sqs = way === 'eventbridge' ? new SQSClient({ endpoint: options.queue!.sqsEndpoint, ...LOCAL_AWS }) : undefined;
  // Built once per event: a repeated delivery is the same EventBridge event, as AWS delivers at least once.
  const eventBridgeBodies = new Map(way === 'eventbridge' ? events.map((event) => [event.id, JSON.stringify(eventBridgeEventFor(event.payload))] as const) : []);
  try {
    for (const delivery of deliveries) {
      const how = `(${delivery.form} via ${delivery.way}${delivery.ledgerId !== delivery.id ? `, for snapshot ${delivery.ledgerId}` : ''})`;
      if (sqs) {
        // No message attributes: EventBridge sends none, and that is how the worker knows the body.
        await sqs.send(new SendMessageCommand({ QueueUrl: options.queue!.queueUrl, MessageBody: eventBridgeBodies.get(delivery.id)! }));
        queued += 1;
        delivered.add(delivery.id);
        print(`[queued] ${delivery.type} ${delivery.id} ${how}`);
        continue;
      }
      const { status, ok, text } = await post(options.url, JSON.stringify(delivery.payload, null, 2), options.secret);
      byStatus[status] = (byStatus[status] ?? 0) + 1;
      if (ok) delivered.add(delivery.id);
      print(`[${status} POST] ${ok ? 'OK' : text} ${delivery.type} ${delivery.id} ${how}`);
    }
  } finally {
    sqs?.destroy();
  }
  // A snapshot event none of whose deliveries succeeded stays undelivered, for the backfill to find.
  if (options.standIn) {
    for (const event of events) if (delivered.has(event.id) && event.snapshot) await recordAtStandIn(options.standIn, event.snapshot, true);
  }
  return result(deliveries.length, byStatus, queued);
}

/** Reads the requested types; all unknown ones are named at once. */
function planTypes(types: readonly string[], thin: boolean): Plan[] {
  const unknown: string[] = [];
  const plans = types.flatMap((name): Plan[] => {
    if (isThinOnlySampleType(name)) return [{ kind: 'thin-only', type: name }];
    const snapshotType = name.startsWith(V1_PREFIX) ? name.slice(V1_PREFIX.length) : name;
    if (isSampleEventType(snapshotType)) return [{ kind: 'snapshot', type: snapshotType, thin: thin || snapshotType !== name }];
    unknown.push(name);
    return [];
  });
  if (unknown.length > 0) {
    throw new Error(
      `Unknown event type ${unknown.join(', ')}. Supported: ${Object.keys(SAMPLE_OBJECTS).join(', ')} (each also thin, as v1.<type> or with --thin); ` +
        `thin only: ${Object.keys(THIN_ONLY_SAMPLES).join(', ')}`,
    );
  }
  return plans;
}

function prepare(plan: Plan, way: Way): Prepared {
  if (plan.kind === 'thin-only') {
    const { notification, event, relatedObject } = THIN_ONLY_SAMPLES[plan.type]();
    return { id: notification.id, type: notification.type, form: 'thin', way, ledgerId: notification.id, payload: notification, v2Event: { event, relatedObject } };
  }
  const snapshot = sampleEvent(plan.type);
  if (!plan.thin) return { id: snapshot.id, type: snapshot.type, form: 'snapshot', way, ledgerId: snapshot.id, payload: snapshot, snapshot };
  const notification = thinNotificationFor(snapshot);
  // The v2 form of a thin v1 event is the notification itself; its related object is the snapshot's data.object, recorded with it.
  return { id: notification.id, type: notification.type, form: 'thin', way, ledgerId: snapshot.id, payload: notification, snapshot, v2Event: { event: notification } };
}

async function record(standIn: StandInTarget, event: Prepared, delivered: boolean): Promise<void> {
  if (event.snapshot) await recordAtStandIn(standIn, event.snapshot, delivered);
  if (event.v2Event) await recordThinAtStandIn(standIn, event.v2Event.event, event.v2Event.relatedObject);
}

/** Signed at send time, as Stripe signs each attempt anew; thin notifications are signed the same way. */
async function post(url: string, body: string, secret: string): Promise<{ status: number; ok: boolean; text: string }> {
  const header = Stripe.webhooks.generateTestHeaderString({ payload: body, secret });
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': header, 'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)' },
    body,
  });
  return { status: response.status, ok: response.ok, text: await response.text() };
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      count: { type: 'string', default: '1' },
      duplicates: { type: 'string', default: '1' },
      shuffle: { type: 'boolean', default: false },
      url: { type: 'string' },
      thin: { type: 'boolean', default: false },
      via: { type: 'string', default: 'webhook' },
      list: { type: 'boolean', default: false },
      undelivered: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.list) {
    // Snapshot types (each also sent thin with --thin), then the thin-only ones.
    console.log([...Object.keys(SAMPLE_OBJECTS), ...Object.keys(THIN_ONLY_SAMPLES)].join('\n'));
    return;
  }
  if (values.help || positionals.length === 0) {
    console.log('Usage: npm run trigger -- <event type>… [--thin] [--via webhook|eventbridge] [--count N] [--duplicates K] [--shuffle] [--undelivered] [--url URL] [--list]');
    if (!values.help) process.exitCode = 2;
    return;
  }
  const via = values.via as Way;
  if (!WAYS.includes(via)) throw new Error(`--via must be ${WAYS.join(' or ')}, got "${values.via}"`);
  if (via === 'eventbridge' && values.url !== undefined) throw new Error('--url names a webhook; --via eventbridge puts events straight on the queue, so it takes no --url');
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
      thin: values.thin,
      via,
      ...(via === 'eventbridge' ? { queue: localQueue() } : {}),
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
  if (via === 'eventbridge') {
    console.log(`Put ${result.queued} EventBridge messages of ${result.eventIds.length} events on the queue.`);
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

/** The running npm start's event queue, which EventBridge would deliver to. */
function localQueue(): QueueTarget {
  try {
    const { sqsEndpoint, queueUrl } = readLocalStackFile();
    return { sqsEndpoint, queueUrl };
  } catch (error) {
    throw new Error(`--via eventbridge puts events on the running npm start's queue: ${(error as Error).message}`);
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
