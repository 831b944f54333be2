/**
 * Listing, searching and showing events without scanning the ledger, against DynamoDB Local, the SQS
 * emulator and the Stripe API stand-in: the index queries (ops/event-queries.ts), one event in full
 * with its payload (ops/event-detail.ts), and `npm run events -- --local` against a running local stack.
 *
 * The listings read the ledger's new index attributes (receivedHour, failedShard, objectId) and its
 * delivery counts, which the worker is being changed to write: those items are put here directly,
 * as the index contract in functions/shared/resources.ts says the worker writes them, so that these
 * tests do not depend on that change. An event's detail needs none of them, and its tests send events
 * through the real pipeline.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { marshall } from '@aws-sdk/util-dynamodb';
import { eventShard, failedShard, receivedHour, RECEIVED_INDEX } from '../../functions/shared/resources';
import { StripeApi } from '../../functions/shared/stripe-api';
import type { DeliveryLogEntry, LedgerRecord } from '../../functions/worker/ledger';
import type { EventStatus } from '../../functions/worker/ledger-rules';
import { sampleEvent, stripeId } from '../../local/sample-events';
import { sampleMeterErrorReport, thinNotificationFor } from '../../local/sample-thin-events';
import type { LocalStack } from '../../local/stack';
import { writeLocalStackFile } from '../../local/stack-file';
import { startStripeApiStandIn, type StripeApiStandIn } from '../../local/stripe-api/server';
import { queueDepth } from '../../ops/dead-letters';
import { eventDetail, type EventDetailDeps } from '../../ops/event-detail';
import { findByObject, listEvents } from '../../ops/event-queries';
import { eventSummary, getLedgerRecord, type EventSummary } from '../../ops/ledger-reads';
import { scanAll } from '../../ops/table-reads';
import type { PipelineResources } from '../../ops/stage';
import { main } from '../../scripts/events';
import { freshResources, receiveAll, testClients } from '../helpers/aws';
import { signedBody, snapshotAttributes } from '../helpers/factories';
import { eventually, getJson, startTestStack } from '../helpers/local-stack';

/**
 * The same listing by a scan: the oracle the index walk is checked against (newest first by receipt,
 * filtered by status, type and time).
 */
async function scannedEvents(
  db: DynamoDBClient,
  ledgerTableName: string,
  filter: { status?: EventStatus; type?: string; since: number; until: number; limit: number },
): Promise<EventSummary[]> {
  const records = await scanAll<LedgerRecord>(db, ledgerTableName);
  const received = (record: LedgerRecord) => (record.receivedAt === undefined ? Number.NaN : Date.parse(record.receivedAt));
  return records
    .filter((record) => (!filter.status || record.status === filter.status) && (!filter.type || record.type === filter.type))
    .filter((record) => received(record) >= filter.since && received(record) <= filter.until)
    .sort((a, b) => (b.receivedAt ?? '').localeCompare(a.receivedAt ?? ''))
    .slice(0, filter.limit)
    .map(eventSummary);
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

interface LedgerItemFields {
  readonly id?: string;
  readonly type?: string;
  readonly status?: EventStatus;
  /** ISO 8601. */
  readonly receivedAt: string;
  /** Epoch seconds. @default a second before receipt */
  readonly created?: number;
  readonly objectId?: string;
  readonly deliveries?: number;
  readonly deliveryLog?: readonly DeliveryLogEntry[];
  readonly lastError?: string;
  readonly deadLetteredAt?: string;
  readonly thinEventId?: string;
  readonly form?: 'snapshot' | 'thin';
}

/** A ledger item as the worker writes it, with the keys of the ledger's indexes computed by resources.ts. */
function ledgerItem(fields: LedgerItemFields): LedgerRecord & Record<string, unknown> {
  const id = fields.id ?? stripeId('evt');
  const status = fields.status ?? 'completed';
  const received = Date.parse(fields.receivedAt);
  return {
    eventId: id,
    type: fields.type ?? 'payment_intent.succeeded',
    status,
    attempts: status === 'failed' ? 5 : 1,
    created: fields.created ?? Math.floor(received / 1000) - 1,
    livemode: false,
    source: 'webhook',
    form: fields.form ?? 'snapshot',
    receivedAt: fields.receivedAt,
    receivedHour: receivedHour(id, fields.receivedAt),
    ...(status === 'failed' ? { failedShard: failedShard(id), lastError: fields.lastError ?? 'Error: the action failed' } : {}),
    ...(status === 'completed' || status === 'ignored' ? { processedAt: new Date(received + 250).toISOString() } : {}),
    ...(fields.objectId ? { objectId: fields.objectId } : {}),
    ...(fields.deliveries ? { deliveries: fields.deliveries } : {}),
    ...(fields.deliveryLog ? { deliveryLog: fields.deliveryLog } : {}),
    ...(fields.deadLetteredAt ? { deadLetteredAt: fields.deadLetteredAt, deadLetterReceiveCount: 5 } : {}),
    ...(fields.thinEventId ? { thinEventId: fields.thinEventId } : {}),
    updatedAt: new Date(received + 250).toISOString(),
    expiresAt: Math.floor(received / 1000) + 90 * 86_400,
  };
}

async function putLedgerItem(db: DynamoDBClient, tableName: string, fields: LedgerItemFields): Promise<LedgerRecord> {
  const item = ledgerItem(fields);
  await db.send(new PutItemCommand({ TableName: tableName, Item: marshall(item, { removeUndefinedValues: true }) }));
  return item;
}

/** An event id whose received-by-hour shard is `shard`, so that a test can spread events over shards on purpose. */
function idInShard(shard: number): string {
  for (;;) {
    const id = stripeId('evt');
    if (eventShard(id, RECEIVED_INDEX.shards) === String(shard)) return id;
  }
}

describe('listEvents and findByObject, over the ledger indexes', () => {
  const { sqs, db } = testClients();
  // Fixed times: the hours walked are then the same on every run.
  const NOW = Date.parse('2026-11-24T12:30:00.000Z');
  let resources: PipelineResources;
  let sent: { name: string; input: Record<string, any> }[];
  /** The test's client, recording every command it sends. */
  const recording = { send: (command: { constructor: { name: string }; input: Record<string, any> }) => (sent.push({ name: command.constructor.name, input: command.input }), db.send(command as never)) } as unknown as DynamoDBClient;

  beforeEach(async () => {
    resources = await freshResources();
    sent = [];
  });
  afterAll(() => {
    sqs.destroy();
    db.destroy();
  });

  const put = (fields: LedgerItemFields) => putLedgerItem(db, resources.ledgerTableName, fields);
  const at = (iso: string) => `2026-11-24T${iso}Z`;
  const list = (query: Partial<Parameters<typeof listEvents>[2]> = {}) => listEvents(recording, resources.ledgerTableName, { since: NOW - DAY, until: NOW, limit: 50, ...query });
  const hoursQueried = () => [...new Set(sent.filter((call) => call.input.IndexName === RECEIVED_INDEX.name).map((call) => (call.input.ExpressionAttributeValues[':partition'].S as string).slice(0, 13)))];

  it('lists newest first across shards and hours, and reads no hour older than the listing needs', async () => {
    const newest = [
      await put({ id: idInShard(3), receivedAt: at('12:25:00.000') }),
      await put({ id: idInShard(9), receivedAt: at('12:20:00.000') }),
      await put({ id: idInShard(3), receivedAt: at('12:10:00.000') }),
      await put({ id: idInShard(15), receivedAt: at('11:59:00.000') }),
    ];
    await put({ id: idInShard(0), receivedAt: at('11:05:00.000') });
    await put({ receivedAt: at('09:00:00.000') });

    const events = await list({ limit: 4 });

    expect(events.map((event) => event.id)).toEqual(newest.map((record) => record.eventId));
    expect(hoursQueried()).toEqual(['2026-11-24T12', '2026-11-24T11']);
    // Each hour's sixteen shards, and never a scan.
    expect(sent.filter((call) => call.name === 'QueryCommand' && call.input.ExpressionAttributeValues[':partition'].S.startsWith('2026-11-24T12'))).toHaveLength(RECEIVED_INDEX.shards);
    expect(sent.map((call) => call.name)).not.toContain('ScanCommand');
  });

  it('walks back to --since and no further, and leaves out what came after --until', async () => {
    const inside = await put({ receivedAt: at('10:00:00.000') });
    await put({ receivedAt: at('08:59:59.999') });
    await put({ receivedAt: at('12:00:00.001') });

    const events = await list({ since: Date.parse(at('09:00:00.000')), until: Date.parse(at('12:00:00.000')) });

    expect(events.map((event) => event.id)).toEqual([inside.eventId]);
    expect(hoursQueried()).toEqual(['2026-11-24T12', '2026-11-24T11', '2026-11-24T10', '2026-11-24T09']);
  });

  it('lists failed events from their own index, newest first, of a type when asked, without reading the records again', async () => {
    const failed = [
      await put({ status: 'failed', type: 'invoice.paid', receivedAt: at('12:00:00.000'), lastError: 'Error: no such customer' }),
      await put({ status: 'failed', type: 'payout.paid', receivedAt: at('06:00:00.000') }),
      await put({ status: 'failed', type: 'invoice.paid', receivedAt: at('01:00:00.000') }),
    ];
    await put({ status: 'completed', type: 'invoice.paid', receivedAt: at('11:00:00.000') });

    expect((await list({ status: 'failed' })).map((event) => event.id)).toEqual(failed.map((record) => record.eventId));
    const invoices = await list({ status: 'failed', type: 'invoice.paid' });
    expect(invoices.map((event) => event.id)).toEqual([failed[0]!.eventId, failed[2]!.eventId]);
    expect(invoices[0]).toMatchObject({ status: 'failed', attempts: 5, lastError: 'Error: no such customer' });
    expect(sent.every((call) => call.name === 'QueryCommand' && call.input.IndexName === 'failed-events')).toBe(true);
  });

  it('filters any other status on the records, going back as many hours as it takes to fill the listing', async () => {
    const ignored = [await put({ status: 'ignored', receivedAt: at('12:05:00.000') }), await put({ status: 'ignored', receivedAt: at('07:00:00.000') })];
    await put({ status: 'ignored', receivedAt: at('03:00:00.000') });
    for (const minute of ['10', '20', '40']) await put({ status: 'completed', receivedAt: at(`11:${minute}:00.000`) });

    const events = await list({ status: 'ignored', limit: 2 });

    expect(events.map((event) => event.id)).toEqual(ignored.map((record) => record.eventId));
    expect(hoursQueried()).toEqual(['2026-11-24T12', '2026-11-24T11', '2026-11-24T10', '2026-11-24T09', '2026-11-24T08', '2026-11-24T07']);
  });

  it('filters a type in the index, and says what it knows of each event', async () => {
    const invoice = await put({ type: 'invoice.paid', receivedAt: at('12:01:00.000'), created: Date.parse(at('12:00:58.000')) / 1000, deliveries: 3, objectId: 'in_1' });
    await put({ type: 'payout.paid', receivedAt: at('12:02:00.000') });
    await put({ type: 'payout.paid', receivedAt: at('12:03:00.000') });

    const events = await list({ type: 'invoice.paid' });

    expect(events).toEqual([
      expect.objectContaining({ id: invoice.eventId, type: 'invoice.paid', deliveries: 3, duplicatesAbsorbed: 2, objectId: 'in_1', receiptLatencyMs: 2000, completionLatencyMs: 2250 }),
    ]);
    expect(sent.filter((call) => call.name === 'QueryCommand').every((call) => call.input.FilterExpression === '#type = :type')).toBe(true);
  });

  it('refuses a range longer than 30 days, before reading anything', async () => {
    await expect(list({ since: NOW - 31 * DAY })).rejects.toThrow(RangeError);
    expect(sent).toEqual([]);
  });

  it('answers as a scan of the ledger with the same filter would', async () => {
    await put({ status: 'ignored', receivedAt: at('12:05:00.000') });
    await put({ status: 'ignored', type: 'invoice.paid', receivedAt: at('11:00:00.000') });
    await put({ status: 'ignored', receivedAt: at('10:00:00.000') });
    await put({ status: 'completed', receivedAt: at('10:30:00.000') });
    await put({ status: 'ignored', receivedAt: at('08:00:00.000') });
    const filter = { status: 'ignored' as const, type: 'payment_intent.succeeded', since: Date.parse(at('09:00:00.000')), until: NOW, limit: 5 };

    const scanned = await scannedEvents(db, resources.ledgerTableName, filter);

    expect(scanned).toHaveLength(2);
    expect(await listEvents(db, resources.ledgerTableName, filter)).toEqual(scanned);
  });

  it('finds the events about an object, newest first, up to the limit', async () => {
    const about = [
      await put({ objectId: 'pi_search', type: 'payment_intent.succeeded', receivedAt: at('12:00:00.000') }),
      await put({ objectId: 'pi_search', type: 'charge.refunded', receivedAt: new Date(NOW - 3 * DAY).toISOString() }),
      await put({ objectId: 'pi_search', type: 'payment_intent.created', receivedAt: new Date(NOW - 40 * DAY).toISOString() }),
    ];
    await put({ objectId: 'pi_other', receivedAt: at('12:10:00.000') });

    expect((await findByObject(recording, resources.ledgerTableName, 'pi_search', 10)).map((event) => event.id)).toEqual(about.map((record) => record.eventId));
    expect((await findByObject(recording, resources.ledgerTableName, 'pi_search', 2)).map((event) => event.type)).toEqual(['payment_intent.succeeded', 'charge.refunded']);
    expect(await findByObject(recording, resources.ledgerTableName, 'pi_none', 10)).toEqual([]);
    expect(sent.filter((call) => call.name === 'QueryCommand').every((call) => call.input.IndexName === 'by-object')).toBe(true);
  });
});

describe('eventDetail', () => {
  const API_KEY = 'sk_test_event_detail_0001';
  const { sqs, db } = testClients();
  let standIn: StripeApiStandIn;
  let resources: PipelineResources;
  let api: StripeApi;
  /** The stand-in's log keeps every test's requests: this test's start after this many. */
  let requestsBefore: number;

  beforeAll(async () => {
    standIn = await startStripeApiStandIn({ apiKeys: [API_KEY] });
    api = new StripeApi({ apiKey: API_KEY, keyOrigin: 'STRIPE_API_KEY', apiBase: standIn.url, readsPerSecond: 100 });
  });
  beforeEach(async () => {
    standIn.store.reset();
    requestsBefore = standIn.requests.length;
    resources = await freshResources();
  });
  afterAll(async () => {
    await standIn.stop();
    sqs.destroy();
    db.destroy();
  });

  const deps = (overrides: Partial<EventDetailDeps> = {}): EventDetailDeps => ({ db, sqs, resources, stripeApi: async () => api, ...overrides });
  const apiRequests = () => standIn.requests.slice(requestsBefore).map((request) => `${request.method} ${request.path}`);

  /** The ledger's record of a snapshot event, received a second after Stripe created it. */
  const recorded = (event: { id: string; type: string; created: number }, fields: Partial<LedgerItemFields> = {}) =>
    putLedgerItem(db, resources.ledgerTableName, { id: event.id, type: event.type, created: event.created, receivedAt: new Date((event.created + 1) * 1000).toISOString(), ...fields });

  const toDeadLetterQueue = (body: unknown, attributes = {}) =>
    sqs.send(new SendMessageCommand({ QueueUrl: resources.deadLetterQueueUrl, MessageBody: JSON.stringify(body), MessageAttributes: attributes }));

  it("finds a dead-lettered event's message in the dead-letter queue, and leaves every message it looked at visible", async () => {
    const others = Array.from({ length: 14 }, () => sampleEvent('payout.paid'));
    for (const other of others.slice(0, 7)) await toDeadLetterQueue(other, snapshotAttributes(other));
    const event = sampleEvent('invoice.paid');
    await toDeadLetterQueue(event, snapshotAttributes(event));
    for (const other of others.slice(7)) await toDeadLetterQueue(other, snapshotAttributes(other));
    await recorded(event, { status: 'failed', deadLetteredAt: new Date().toISOString(), deliveries: 2, deliveryLog: [{ at: new Date().toISOString(), source: 'webhook', receiveCount: 1 }] });

    const detail = await eventDetail(deps(), event.id);

    expect(detail).toMatchObject({ id: event.id, status: 'failed', attempts: 5, deliveries: 2, deadLetterReceiveCount: 5, payloadSource: 'dead-letter-queue', payload: { id: event.id, type: 'invoice.paid' } });
    expect(detail!.deliveryLog).toHaveLength(1);
    expect(detail).not.toHaveProperty('payloadNote');
    expect(apiRequests()).toEqual([]);
    // All 15 are visible again at once: not one waits out the look's 30-second hold.
    expect(await receiveAll(sqs, resources.deadLetterQueueUrl)).toHaveLength(15);
  });

  it('finds the message of a thin notification folded into the event by its own id', async () => {
    const event = sampleEvent('payment_intent.succeeded');
    const notification = thinNotificationFor(event);
    await toDeadLetterQueue(notification);
    await recorded(event, { status: 'failed', form: 'thin', thinEventId: notification.id, deadLetteredAt: new Date().toISOString() });

    expect(await eventDetail(deps(), event.id)).toMatchObject({ payloadSource: 'dead-letter-queue', payload: { id: notification.id, object: 'v2.core.event', snapshot_event: event.id } });
  });

  it('receives no more than its cap, says so, and then fetches the event from Stripe', async () => {
    for (let index = 0; index < 12; index++) await toDeadLetterQueue(sampleEvent('payout.paid'));
    const event = sampleEvent('invoice.paid');
    standIn.store.recordEvent(event);
    await recorded(event, { status: 'failed', deadLetteredAt: new Date().toISOString() });

    const detail = await eventDetail(deps({ deadLetterSearchLimit: 10 }), event.id);

    expect(detail).toMatchObject({ payloadSource: 'events-api', payload: { id: event.id } });
    expect(detail!.payloadNote).toMatch(/^Its message is not among the 10 messages of the dead-letter queue looked at.*; fetched from Stripe's Events API instead$/);
    expect(await receiveAll(sqs, resources.deadLetterQueueUrl)).toHaveLength(12);
  });

  it("fetches an event that was not dead-lettered from Stripe's Events API", async () => {
    const event = sampleEvent('payment_intent.succeeded');
    standIn.store.recordEvent(event);
    await recorded(event);

    const detail = await eventDetail(deps(), event.id);

    expect(detail).toMatchObject({ status: 'completed', payloadSource: 'events-api', payload: { id: event.id, type: 'payment_intent.succeeded', data: { object: { id: event.data.object.id } } } });
    expect(apiRequests()).toEqual([`GET /v1/events/${event.id}`]);
  });

  it('fetches a thin-only event with the v2 API, as the worker did', async () => {
    const report = sampleMeterErrorReport();
    standIn.store.recordThinEvent(report.event, { relatedObject: report.relatedObject });
    await putLedgerItem(db, resources.ledgerTableName, {
      id: report.notification.id,
      type: report.notification.type,
      form: 'thin',
      created: Math.floor(Date.parse(report.notification.created) / 1000),
      receivedAt: new Date().toISOString(),
    });

    const detail = await eventDetail(deps(), report.notification.id);

    expect(detail).toMatchObject({ payloadSource: 'events-api', payload: { id: report.notification.id, object: 'v2.core.event', type: 'v1.billing.meter.error_report_triggered' } });
    expect(apiRequests()).toEqual([`GET /v2/core/events/${report.notification.id}`]);
  });

  it('does not ask Stripe for an event older than the 30 days it keeps them', async () => {
    const event = sampleEvent('payment_intent.succeeded', { created: Math.floor(Date.now() / 1000) - 31 * 86_400 });
    standIn.store.recordEvent(event);
    await recorded(event);

    const detail = await eventDetail(deps(), event.id);

    expect(detail).toMatchObject({ payloadSource: 'none', payloadNote: expect.stringMatching(/^Stripe keeps events 30 days, and this one was created .*: its payload can no longer be fetched$/) });
    expect(detail).not.toHaveProperty('payload');
    expect(apiRequests()).toEqual([]);
  });

  it('says so when Stripe has no such event (404)', async () => {
    const event = sampleEvent('payment_intent.succeeded');
    await recorded(event);

    expect(await eventDetail(deps(), event.id)).toMatchObject({ payloadSource: 'none', payloadNote: expect.stringMatching(new RegExp(`Could not fetch the snapshot event ${event.id}: Stripe has no such object \\(404\\)`)) });
  });

  it('says so when Stripe refuses the key, without the key', async () => {
    const wrongKey = 'sk_test_not_this_key_9876';
    const event = sampleEvent('payment_intent.succeeded');
    standIn.store.recordEvent(event);
    await recorded(event);

    const detail = await eventDetail(deps({ stripeApi: async () => new StripeApi({ apiKey: wrongKey, keyOrigin: 'the secret prod/stripe/api-key', apiBase: standIn.url, readsPerSecond: 100 }) }), event.id);

    expect(detail).toMatchObject({ payloadSource: 'none', payloadNote: expect.stringContaining('Stripe refused the API key in the secret prod/stripe/api-key (401)') });
    expect(JSON.stringify(detail)).not.toContain('not_this_key');
  });

  it('is undefined for an event the ledger has never seen', async () => {
    expect(await eventDetail(deps(), 'evt_never_seen')).toBeUndefined();
  });
});

describe('npm run events -- --local', () => {
  let stack: LocalStack & { lines: string[] };
  let dir: string;

  beforeAll(async () => {
    stack = await startTestStack();
    dir = mkdtempSync(join(tmpdir(), 'events-cli-'));
    writeLocalStackFile(
      { ...stack.resources, sqsEndpoint: stack.endpoints.sqs, dynamodbEndpoint: stack.endpoints.dynamodb, stripeApiBase: stack.stripeApiBase, webhookUrl: `${stack.url}/webhook` },
      join(dir, 'stack.json'),
    );
  });
  afterAll(async () => {
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function events(...argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(['--local', ...argv], (line) => out.push(line), { printError: (line) => err.push(line), localStackFile: join(dir, 'stack.json'), columns: 150 });
    return { code, out, err };
  }

  const put = (fields: LedgerItemFields) => putLedgerItem(stack.db, stack.resources.ledgerTableName, fields);
  const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();

  async function deliver(event: { id: string }): Promise<void> {
    const { body, header } = signedBody(event);
    const response = await fetch(`${stack.url}/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', 'Stripe-Signature': header }, body });
    expect(response.status).toBe(200);
  }

  it('lists events as a table, newest first, with a footer that says when there is more', async () => {
    // A type of its own: events the other tests send through the pipeline stay out of this listing.
    const refunds = [
      await put({ type: 'charge.refunded', status: 'failed', receivedAt: minutesAgo(5), deliveries: 2, lastError: `Error: the refund could not be recorded ${'because of a very long reason '.repeat(8)}` }),
      await put({ type: 'charge.refunded', receivedAt: minutesAgo(30) }),
      await put({ type: 'charge.refunded', receivedAt: minutesAgo(90) }),
    ];

    const all = await events('--type', 'charge.refunded', '--since', '2h');
    expect(all.code).toBe(0);
    expect(all.err).toEqual([]);
    expect(all.out[0]).toMatch(/^RECEIVED +ID +TYPE +STATUS +ATTEMPTS +DELIVERIES +SOURCE +LAST ERROR$/);
    expect(all.out.slice(1, 4).map((line) => line.split(/ {2,}/)[1])).toEqual(refunds.map((record) => record.eventId));
    expect(all.out[1]).toMatch(new RegExp(`^\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}  ${refunds[0]!.eventId}  charge\\.refunded +failed +5 +2  webhook  Error: the refund could not be recorded .*…$`));
    expect(all.out[1]!.length).toBeLessThanOrEqual(150);
    expect(all.out.at(-1)).toMatch(/^3 events received \d{4}-.* → now \(UTC\), newest first$/);

    const two = await events('--type', 'charge.refunded', '--since', '2h', '--limit', '2');
    expect(two.out).toHaveLength(4);
    expect(two.out.at(-1)).toMatch(/^2 events received .*, newest first · more: narrow --since or raise --limit$/);
  });

  it('prints the raw JSON with --json, and lists by status', async () => {
    const failed = await put({ type: 'transfer.created', status: 'failed', receivedAt: minutesAgo(1) });
    await put({ type: 'transfer.created', status: 'completed', receivedAt: minutesAgo(2) });

    const { code, out } = await events('--status', 'failed', '--type', 'transfer.created', '--json');

    expect(code).toBe(0);
    expect(JSON.parse(out.join('\n'))).toEqual([expect.objectContaining({ id: failed.eventId, status: 'failed', type: 'transfer.created', deliveries: 1, duplicatesAbsorbed: 0 })]);
  });

  it('finds the events about an object with --object', async () => {
    const about = [await put({ objectId: 'pi_cli_object', receivedAt: minutesAgo(3) }), await put({ objectId: 'pi_cli_object', type: 'charge.refunded', receivedAt: minutesAgo(60 * 24 * 3) })];

    const { code, out } = await events('--object', 'pi_cli_object', '--json');

    expect(code).toBe(0);
    expect((JSON.parse(out.join('\n')) as { id: string }[]).map((event) => event.id)).toEqual(about.map((record) => record.eventId));
  });

  it("shows an event sent through the pipeline, with its payload from Stripe's Events API", async () => {
    const event = sampleEvent('payment_intent.succeeded');
    stack.stripeStandIn!.store.recordEvent(event);
    await deliver(event);
    await eventually(async () => ((await getLedgerRecord(stack.db, stack.resources.ledgerTableName, event.id))?.status === 'completed' ? true : undefined), 20_000, `${event.id} to complete`);

    const table = await events('--id', event.id);
    expect(table.code).toBe(0);
    expect(table.out[0]).toBe(`${event.id}  payment_intent.succeeded  completed`);
    expect(table.out).toContainEqual(expect.stringMatching(/^ {2}received +\d{4}-.*Z \(.* after creation\)$/));
    expect(table.out).toContainEqual(expect.stringMatching(/^ {2}source +webhook, snapshot, test mode$/));
    expect(table.out).toContain("  payload from Stripe's Events API");
    expect(JSON.parse(table.out.slice(table.out.indexOf("  payload from Stripe's Events API") + 1).join('\n'))).toMatchObject({ id: event.id });

    const json = await events('--id', event.id, '--json');
    expect(JSON.parse(json.out.join('\n'))).toMatchObject({ id: event.id, status: 'completed', attempts: 1, payloadSource: 'events-api', payload: { id: event.id } });
  });

  it('shows a dead-lettered event with its payload from the dead-letter queue, and leaves the message there', async () => {
    const chaos = await getJson(`${stack.url}/api/chaos`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ failTypes: ['invoice.paid'] }) });
    expect(chaos.status).toBe(200);
    try {
      const event = sampleEvent('invoice.paid');
      await deliver(event);
      // Noted at the last failed attempt, the message reaches the dead-letter queue when that attempt's hold ends.
      await eventually(async () => ((await getLedgerRecord(stack.db, stack.resources.ledgerTableName, event.id))?.deadLetteredAt ? true : undefined), 45_000, 'the dead-letter note');
      await eventually(async () => ((await queueDepth(stack.sqs, stack.resources.deadLetterQueueUrl)) >= 1 ? true : undefined), 15_000, 'the message in the dead-letter queue');

      const { code, out } = await events('--id', event.id, '--json');

      expect(code).toBe(0);
      expect(JSON.parse(out.join('\n'))).toMatchObject({ id: event.id, status: 'failed', attempts: 5, payloadSource: 'dead-letter-queue', payload: { id: event.id, type: 'invoice.paid' } });
      const left = await receiveAll(stack.sqs, stack.resources.deadLetterQueueUrl);
      expect(left.map((message) => JSON.parse(message.Body!).id)).toContain(event.id);
    } finally {
      await getJson(`${stack.url}/api/chaos`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ failTypes: [] }) });
    }
  }, 90_000);

  it('says so, and exits 1, for an event the ledger does not have', async () => {
    const { code, err } = await events('--id', 'evt_not_in_this_ledger');
    expect(code).toBe(1);
    expect(err).toEqual(['No event evt_not_in_this_ledger in the ledger of the local stack.']);
  });

  it('says no local stack is running when its file is missing', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(['--local'], (line) => out.push(line), { printError: (line) => err.push(line), localStackFile: join(dir, 'none.json') });
    expect(code).toBe(1);
    expect(err).toEqual(['No local stack is running: start one with npm start']);
  });
});
