/**
 * `npm run drill`: a reliability drill against the local stack.
 *
 * It sends thousands of events, each delivered one to three times in shuffled order, some of them also
 * as a thin notification and as an Amazon EventBridge event (a migration running every destination at
 * once), with chaos on (failing actions, crashes after commit, refused enqueues) and a sender that
 * retries as Stripe does.
 * Poison events fail until the fault is cleared, land in the DLQ, and are redriven. At the end it
 * checks from the ledger and the projections that nothing was lost and nothing was done twice.
 *
 *   npm run drill                      2 000 events
 *   npm run drill -- --events 5000 --seed 7
 */
import { parseArgs } from 'node:util';
import { GetQueueAttributesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import Stripe from 'stripe';
import { projectionKeys } from '../functions/shared/projection-keys';
import type { LedgerRecord } from '../functions/worker/ledger';
import { NO_CHAOS, type ChaosSettings } from '../local/chaos';
import type { Outcome } from '../local/event-log';
import { seededRandom, shuffle } from '../local/random';
import { sampleEvent } from '../local/sample-events';
import { thinNotificationFor } from '../local/sample-thin-events';
import { startLocalStack, type LocalStack } from '../local/stack';
import { queryPartition, scanAll } from '../ops/table-reads';
import { listDeadLetters, moveDeadLetters, queueDepth, type ListedDeadLetter } from '../ops/dead-letters';

export interface DrillOptions {
  /** @default 2000 */
  readonly events?: number;
  readonly seed?: number;
  /** @default 10 % each */
  readonly chaos?: Partial<Omit<ChaosSettings, 'failTypes'>>;
  /** Run over these emulators instead of starting new ones. */
  readonly endpoints?: { readonly sqs: string; readonly dynamodb: string };
  readonly print?: (line: string) => void;
  /** @default 16 */
  readonly senders?: number;
  /** How long to wait for everything to settle. @default 300 s */
  readonly timeoutMs?: number;
}

export interface Check {
  readonly name: string;
  readonly expected: string;
  readonly actual: string;
  readonly passed: boolean;
}

export interface DrillReport {
  readonly injected: Record<string, number>;
  readonly checks: readonly Check[];
  readonly passed: boolean;
  readonly seconds: number;
}

const POISON_TYPE = 'invoice.payment_failed';
const SECRET = 'whsec_drill_0123456789abcdef';

/** One delivery of an event: by webhook (signed, through the ingest) or by EventBridge (straight onto the queue), as a snapshot or thin. */
interface Delivery {
  readonly event: Stripe.Event;
  readonly way: 'webhook' | 'eventbridge';
  readonly body: string;
}

interface Planned {
  readonly event: Stripe.Event;
  readonly deliveries: readonly Delivery[];
}

interface Expectations {
  readonly accounting: Map<string, { amount: number; entries: number }>;
  /** Customer → their subscription and the id of its newest event. */
  readonly memberships: Map<string, { readonly subscriptionId: string; readonly newest: string }>;
  readonly payments: Map<string, string>;
  readonly ignored: Set<string>;
  readonly poison: Set<string>;
}

export async function runDrill(options: DrillOptions = {}): Promise<DrillReport> {
  const started = Date.now();
  const print = options.print ?? (() => undefined);
  const random = seededRandom(options.seed ?? 1);
  const { planned, expect } = plan(options.events ?? 2000, random);
  const chaos = { ...NO_CHAOS, workerFailRate: 0.1, workerCrashAfterCommitRate: 0.1, enqueueFailRate: 0.1, ...options.chaos, failTypes: [POISON_TYPE] };

  const commits = new Map<string, number>();
  const done = new Set<string>();
  const stack = await startLocalStack({
    port: 0,
    secrets: [SECRET],
    stage: `drill${Math.floor(random() * 1e9).toString(36)}`,
    endpoints: options.endpoints,
    visibilityTimeoutSeconds: 1,
    chaos,
    chaosSeed: options.seed ?? 1,
    print: () => undefined,
    onOutcome: (eventId: string, outcome: Outcome) => {
      if (outcome === 'completed' || outcome === 'ignored') {
        commits.set(eventId, (commits.get(eventId) ?? 0) + 1);
        done.add(eventId);
      }
    },
  });

  try {
    // Stripe's API has every event, so the worker can fetch what a thin notification names.
    for (const { event } of planned) stack.stripeStandIn!.store.recordEvent(event);
    const deliveries = shuffle(planned.flatMap((item) => item.deliveries), random);
    const forms = { thin: deliveries.filter((delivery) => delivery.body.includes('"v2.core.event"')).length, eventbridge: deliveries.filter((delivery) => delivery.way === 'eventbridge').length };
    print(`Sending ${deliveries.length} deliveries (${forms.thin} thin, ${forms.eventbridge} by EventBridge) of ${planned.length} events with chaos ${JSON.stringify({ ...chaos, failTypes: undefined })}…`);
    const sender = await send(stack, deliveries, options.senders ?? 16);
    print(`  sent: ${sender.retries} retries after ${sender.refused} refusals`);

    const deadline = started + (options.timeoutMs ?? 300_000);
    const healthy = planned.filter((item) => !expect.poison.has(item.event.id)).map((item) => item.event.id);
    await until(() => healthy.every((id) => done.has(id)), deadline, 'every healthy event to complete');
    // Every poison message (a poison event may be delivered up to 3 times) ends in the DLQ once the queue is empty.
    await settleQueue(stack, deadline);
    const inDlq = await queueDepth(stack.sqs, stack.resources.deadLetterQueueUrl);
    const listedBefore = (await listDeadLetters(stack, stack.resources)).letters;
    print(`  ${inDlq} messages in the DLQ, ${listedBefore.length} events listed as dead letters; clearing the fault and redriving`);

    stack.chaos.update({ failTypes: [] });
    const { moved } = await moveDeadLetters(stack.sqs, { from: stack.resources.deadLetterQueueUrl, to: stack.resources.queueUrl });
    await until(() => planned.every((item) => done.has(item.event.id)), deadline, 'every event to complete after the redrive');
    // Let redelivered duplicates still in flight reach the worker before counting.
    await settleQueue(stack, deadline);

    const checks = await verify(stack, planned, expect, commits, listedBefore);
    const injected = {
      events: planned.length,
      deliveries: deliveries.length,
      'duplicate deliveries': deliveries.length - planned.length,
      'thin notifications': forms.thin,
      'EventBridge deliveries': forms.eventbridge,
      'enqueues refused (503)': stack.chaos.injected.enqueueFailures,
      'sender retries': sender.retries,
      'actions failed': stack.chaos.injected.workerFailures,
      'crashes after commit': stack.chaos.injected.crashesAfterCommit,
      'poison events': expect.poison.size,
      'poison failures': stack.chaos.injected.failTypeFailures,
      'messages redriven': moved,
    };
    return { injected, checks, passed: checks.every((check) => check.passed), seconds: (Date.now() - started) / 1000 };
  } finally {
    await stack.stop();
  }
}

/** The events: accounting entries, subscription and payment histories (for ordering), unhandled types, poison. */
function plan(count: number, random: () => number): { planned: Planned[]; expect: Expectations } {
  const expect: Expectations = { accounting: new Map(), memberships: new Map(), payments: new Map(), ignored: new Set(), poison: new Set() };
  const events: Stripe.Event[] = [];
  const base = Math.floor(Date.now() / 1000) - 3600;
  while (events.length < count) {
    const roll = random();
    const created = base + Math.floor(random() * 1000);
    if (roll < 0.4) {
      const amount = 100 + Math.floor(random() * 100_000);
      const currency = random() < 0.7 ? 'usd' : 'eur';
      const event = random() < 0.5 ? sampleEvent('payout.paid', { created, object: { amount, currency } }) : sampleEvent('transfer.created', { created, object: { amount, currency } });
      const total = expect.accounting.get(currency) ?? { amount: 0, entries: 0 };
      expect.accounting.set(currency, { amount: total.amount + amount, entries: total.entries + 1 });
      events.push(event);
    } else if (roll < 0.65) {
      // One customer's subscription history: the deletion is newest, whatever order it arrives in.
      const customer = `cus_drill${events.length}`;
      const id = `sub_drill${events.length}`;
      const history = [
        sampleEvent('customer.subscription.created', { created, object: { id, customer, status: 'active' } }),
        sampleEvent('customer.subscription.updated', { created: created + 10, object: { id, customer, status: 'past_due' } }),
        sampleEvent('customer.subscription.deleted', { created: created + 20, object: { id, customer } }),
      ];
      expect.memberships.set(customer, { subscriptionId: id, newest: history[2]!.id });
      events.push(...history);
    } else if (roll < 0.85) {
      // A failed attempt, then success, for one PaymentIntent.
      const id = `pi_drill${events.length}`;
      const failed = sampleEvent('payment_intent.payment_failed', { created, object: { id } });
      const succeeded = sampleEvent('payment_intent.succeeded', { created: created + 5, object: { id } });
      expect.payments.set(id, succeeded.id);
      events.push(failed, succeeded);
    } else if (roll < 0.99) {
      const event = sampleEvent('customer.created', { created });
      expect.ignored.add(event.id);
      events.push(event);
    } else {
      const event = sampleEvent(POISON_TYPE, { created });
      expect.poison.add(event.id);
      events.push(event);
    }
  }
  const planned = events.map((event) => ({ event, deliveries: deliveriesOf(event, random) }));
  return { planned, expect };
}

/** One to three webhook deliveries; for a third of events a thin notification too, and for a tenth EventBridge copies of both forms. */
function deliveriesOf(event: Stripe.Event, random: () => number): Delivery[] {
  const snapshot = JSON.stringify(event);
  const thin = JSON.stringify(thinNotificationFor(event));
  const deliveries: Delivery[] = Array.from({ length: 1 + Math.floor(random() * 3) }, () => ({ event, way: 'webhook' as const, body: snapshot }));
  if (random() < 0.33) deliveries.push({ event, way: 'webhook', body: thin });
  if (random() < 0.1) {
    for (const detail of [snapshot, thin]) deliveries.push({ event, way: 'eventbridge', body: eventBridgeBody(event.type, detail) });
  }
  return deliveries;
}

/** What Amazon EventBridge puts on the queue for an event from Stripe's partner source. */
function eventBridgeBody(type: string, detail: string): string {
  return `{"version":"0","id":"drill","detail-type":"${type}","source":"aws.partner/stripe.com/ed_test_drill","account":"123456789012","time":"${new Date().toISOString()}","region":"us-east-1","resources":[],"detail":${detail}}`;
}

/** Sends every delivery, retrying refusals with backoff as Stripe does (compressed from hours to ms). */
async function send(stack: LocalStack, deliveries: readonly Delivery[], senders: number): Promise<{ retries: number; refused: number }> {
  let next = 0;
  let retries = 0;
  let refused = 0;
  const url = `${stack.url}/webhook`;
  const worker = async () => {
    while (next < deliveries.length) {
      const delivery = deliveries[next++]!;
      if (delivery.way === 'eventbridge') {
        // EventBridge sends straight to the queue, with no message attributes.
        await stack.sqs.send(new SendMessageCommand({ QueueUrl: stack.resources.queueUrl, MessageBody: delivery.body }));
        continue;
      }
      for (let attempt = 0; ; attempt++) {
        const header = Stripe.webhooks.generateTestHeaderString({ payload: delivery.body, secret: SECRET });
        const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': header }, body: delivery.body }).catch(() => undefined);
        await response?.arrayBuffer();
        if (response?.status === 200) break;
        if (response && response.status < 500) throw new Error(`Drill delivery refused with ${response.status}: the drill itself is broken`);
        refused += 1;
        if (attempt >= 20) throw new Error(`Delivery of ${delivery.event.id} failed 20 times`);
        retries += 1;
        await new Promise((resolve) => setTimeout(resolve, 10 * 2 ** Math.min(attempt, 6)));
      }
    }
  };
  await Promise.all(Array.from({ length: senders }, worker));
  return { retries, refused };
}

async function verify(stack: LocalStack, planned: Planned[], expect: Expectations, commits: Map<string, number>, listedBefore: readonly ListedDeadLetter[]): Promise<Check[]> {
  const records = await scanAll<LedgerRecord>(stack.db, stack.resources.ledgerTableName);
  const ledger = new Map(records.map((record) => [record.eventId, record]));

  const ids = planned.map((item) => item.event.id);
  const finished = ids.filter((id) => ['completed', 'ignored'].includes(ledger.get(id)?.status ?? ''));
  const wrongIgnored = ids.filter((id) => (ledger.get(id)?.status === 'ignored') !== expect.ignored.has(id));
  const notOnce = ids.filter((id) => commits.get(id) !== 1);

  // The drill's events are the platform's test-mode events.
  const projections = await queryAll(stack, projectionKeys.ledgerPartition({ livemode: false }));
  const totals = new Map(projections.filter((item) => String(item.sk).startsWith('total#')).map((item) => [String(item.currency), item]));
  const entries = projections.filter((item) => String(item.sk).startsWith('entry#')).length;
  const expectedEntries = [...expect.accounting.values()].reduce((sum, total) => sum + total.entries, 0);
  const totalsRight = [...expect.accounting].every(([currency, total]) => totals.get(currency)?.amount === total.amount && totals.get(currency)?.entries === total.entries);

  let staleWins = 0;
  for (const [customer, { subscriptionId, newest }] of expect.memberships) {
    const item = await getProjection(stack, projectionKeys.subscription(customer, subscriptionId));
    // With an API key the subscription is fetched, so any of its events may have written its current
    // (canceled) state; from a payload, only the newest event may have.
    const fromNewest = item?.stateFrom === 'current_object' || item?.sourceEventId === newest;
    if (!fromNewest || item?.status !== 'canceled') staleWins += 1;
  }
  for (const [intent, newest] of expect.payments) {
    const item = await getProjection(stack, projectionKeys.payment(intent));
    if (item?.sourceEventId !== newest || item?.status !== 'succeeded') staleWins += 1;
  }
  const dlq = await queueDepth(stack.sqs, stack.resources.deadLetterQueueUrl);
  const listedAfter = (await listDeadLetters(stack, stack.resources)).letters.length;
  // A healthy event may be listed too, completed, when a message of it failed its last receive after
  // the event was done (a crash before the acknowledgement); the ones listed as not done are the poison.
  const listedUndone = listedBefore.filter((letter) => letter.status !== 'completed' && letter.status !== 'ignored');
  const listedPoison = listedUndone.filter((letter) => expect.poison.has(letter.id)).length;

  const check = (name: string, expected: string | number, actual: string | number): Check => ({ name, expected: String(expected), actual: String(actual), passed: String(expected) === String(actual) });
  return [
    check('events in the ledger as completed or ignored (nothing lost)', ids.length, finished.length),
    check('events whose effects committed exactly once', ids.length, ids.length - notOnce.length),
    check('unhandled types recorded as ignored, handled ones not', 0, wrongIgnored.length),
    check('accounting entries = distinct accounting events', expectedEntries, entries),
    check('ledger totals = sum over distinct events, per currency', 'equal', totalsRight ? 'equal' : `differ: ${JSON.stringify([...totals.values()])}`),
    check('objects whose state came from an older event', 0, staleWins),
    check('dead letters listed from the ledger as not done, before the redrive', `${expect.poison.size} poison, 0 other`, `${listedPoison} poison, ${listedUndone.length - listedPoison} other`),
    check('messages left in the DLQ after the redrive', 0, dlq),
    check('events still listed as dead letters after the redrive', 0, listedAfter),
  ];
}

function queryAll(stack: LocalStack, pk: string): Promise<Record<string, unknown>[]> {
  return queryPartition(stack.db, stack.resources.projectionsTableName, pk);
}

async function getProjection(stack: LocalStack, key: { pk: string; sk: string }): Promise<Record<string, unknown> | undefined> {
  const items = await queryAll(stack, key.pk);
  return items.find((item) => item.sk === key.sk);
}

/** Waits until the queue has been empty (nothing visible or in flight) twice in a row. */
async function settleQueue(stack: LocalStack, deadline: number): Promise<void> {
  let quiet = 0;
  while (quiet < 2) {
    const { Attributes = {} } = await stack.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: stack.resources.queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
    );
    quiet = Number(Attributes.ApproximateNumberOfMessages) + Number(Attributes.ApproximateNumberOfMessagesNotVisible) === 0 ? quiet + 1 : 0;
    if (Date.now() > deadline) throw new Error('The queue did not drain in time');
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function until(condition: () => boolean | Promise<boolean>, deadline: number, what: string): Promise<void> {
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Drill timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

export function formatReport(report: DrillReport): string {
  const injected = Object.entries(report.injected).map(([name, value]) => `| ${name} | ${value} |`);
  const checks = report.checks.map((check) => `| ${check.name} | ${check.expected} | ${check.actual} | ${check.passed ? 'pass' : 'FAIL'} |`);
  return [
    '| Injected | Count |',
    '|---|---|',
    ...injected,
    '',
    '| Verified | Expected | Actual | Result |',
    '|---|---|---|---|',
    ...checks,
    '',
    `${report.passed ? 'PASSED' : 'FAILED'} in ${report.seconds.toFixed(1)} s`,
  ].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { events: { type: 'string', default: '2000' }, seed: { type: 'string', default: '1' } } });
  const events = Number(values.events);
  const seed = Number(values.seed);
  if (!Number.isInteger(events) || events < 10) throw new Error('--events must be a whole number of at least 10');
  console.log('Starting the local stack (DynamoDB Local, SQS emulator)…');
  const report = await runDrill({ events, seed, print: console.log });
  console.log(`\n${formatReport(report)}`);
  if (!report.passed) process.exitCode = 1;
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
