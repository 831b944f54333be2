/**
 * Reconcile against the Stripe API stand-in over HTTP, with DynamoDB Local and the SQS emulator: what
 * it queues, what it leaves alone, and how it resumes after a failure or a crash.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { Message } from '@aws-sdk/client-sqs';
import { marshall } from '@aws-sdk/util-dynamodb';
import { StripeApiError } from '../../functions/shared/errors';
import { MESSAGE_ATTRIBUTE } from '../../functions/shared/message';
import { StripeApi } from '../../functions/shared/stripe-api';
import { dynamoJobStore } from '../../functions/reconcile/job-store';
import { SCHEDULED_JOB_KEY, backfillJobKey, type JobStore } from '../../functions/reconcile/jobs';
import { bundleFunctions } from '../../infra/bundle';
import { sampleEvent } from '../../local/sample-events';
import { startStripeApiStandIn, type StripeApiStandIn } from '../../local/stripe-api/server';
import { backfill, type BackfillDeps, type BackfillOptions } from '../../ops/backfill';
import type { PipelineResources } from '../../ops/stage';
import { emulatorEndpoints, freshResources, getItem, receiveAll, testClients } from '../helpers/aws';

const API_KEY = 'sk_test_reconcile_suite_0001';

describe('reconcile with the Events API', () => {
  const { sqs, db } = testClients();
  let standIn: StripeApiStandIn;
  let resources: PipelineResources;
  let api: StripeApi;
  let sleeps: number[];
  const now = Math.floor(Date.now() / 1000);

  beforeAll(async () => {
    standIn = await startStripeApiStandIn({ apiKeys: [API_KEY] });
  });

  beforeEach(async () => {
    standIn.store.reset();
    resources = await freshResources();
    sleeps = [];
    api = new StripeApi({ apiKey: API_KEY, keyOrigin: 'STRIPE_API_KEY', apiBase: standIn.url, readsPerSecond: 100, sleep: async (ms) => void sleeps.push(ms) });
  });

  afterAll(async () => {
    await standIn.stop();
    sqs.destroy();
    db.destroy();
  });

  /** Events Stripe created `ageSeconds` ago, recorded in the stand-in. */
  function created(count: number, ageSeconds: number, type: 'payment_intent.succeeded' | 'charge.refunded' = 'payment_intent.succeeded') {
    return Array.from({ length: count }, (_, index) => {
      const event = sampleEvent(type, { created: now - ageSeconds - index });
      standIn.store.recordEvent(event, { delivered: false });
      return event;
    });
  }

  async function inLedger(eventId: string, status: 'completed' | 'failed' | 'ignored') {
    await db.send(new PutItemCommand({ TableName: resources.ledgerTableName, Item: marshall({ eventId, status, type: 'payment_intent.succeeded', attempts: 1 }) }));
  }

  const run = (options: Partial<BackfillOptions> = {}, deps: Partial<BackfillDeps> = {}) =>
    backfill({ api, db, sqs, resources, ...deps }, { since: now - 3 * 3600, settleSeconds: 600, ...options });

  const queuedIds = (messages: readonly Message[]) => messages.map((message) => message.MessageAttributes![MESSAGE_ATTRIBUTE.eventId]!.StringValue!).sort();

  it('pages through more than one page and queues only what the ledger has never seen, as backfill', async () => {
    const events = created(230, 900);
    await inLedger(events[0]!.id, 'completed');
    await inLedger(events[120]!.id, 'failed');
    await inLedger(events[229]!.id, 'ignored');

    const report = await run();

    expect(report).toMatchObject({ complete: true, progress: { pages: 3, scanned: 230, known: 3, enqueued: 227 } });
    const messages = await receiveAll(sqs, resources.queueUrl);
    const unseen = events.filter((_, index) => ![0, 120, 229].includes(index)).map((event) => event.id).sort();
    expect(queuedIds(messages)).toEqual(unseen);
    const [first] = messages;
    expect(first!.MessageAttributes![MESSAGE_ATTRIBUTE.source]!.StringValue).toBe('backfill');
    expect(first!.MessageAttributes![MESSAGE_ATTRIBUTE.kind]!.StringValue).toBe('snapshot');
    expect(JSON.parse(first!.Body!)).toEqual(standIn.store.event(JSON.parse(first!.Body!).id));
    // The listing asked for the closed window, a full page at a time.
    const [request] = standIn.requests.filter((entry) => entry.path === '/v1/events');
    expect(request!.query).toMatchObject({ 'created[gte]': String(now - 3 * 3600), 'created[lte]': expect.any(String), limit: '100' });
  });

  it('lists only the types asked for', async () => {
    const wanted = created(3, 900);
    created(4, 900, 'charge.refunded');

    const report = await run({ types: ['payment_intent.succeeded'] });

    expect(report.progress).toMatchObject({ scanned: 3, enqueued: 3 });
    expect(queuedIds(await receiveAll(sqs, resources.queueUrl))).toEqual(wanted.map((event) => event.id).sort());
  });

  it('leaves alone events younger than the settling window', async () => {
    const settled = created(2, 700);
    created(2, 60);

    const report = await run({ settleSeconds: 600 });

    expect(report.progress.scanned).toBe(2);
    expect(queuedIds(await receiveAll(sqs, resources.queueUrl))).toEqual(settled.map((event) => event.id).sort());
  });

  it("waits as long as Stripe's Retry-After says after a 429, then goes on", async () => {
    created(5, 900);
    standIn.injectFault({ method: 'GET', path: /^\/v1\/events$/, status: 429, times: 2, retryAfterSeconds: 3 });

    const report = await run();

    // The read-rate limiter may also wait a few milliseconds on a busy machine; those are not Retry-After.
    expect(sleeps.filter((ms) => ms >= 1000)).toEqual([3000, 3000]);
    expect(report.progress.enqueued).toBe(5);
  });

  it('resumes from the last page done when Stripe fails half-way, and queues nothing twice', async () => {
    const events = created(250, 900);
    const pages: string[] = [];
    await expect(
      run(
        {},
        {
          // The second page's request fails, and so do stripe-node's two retries of it.
          onPage: () => {
            pages.push('done');
            if (pages.length === 1) standIn.injectFault({ method: 'GET', path: /^\/v1\/events$/, status: 503, times: 3 });
          },
        },
      ),
    ).rejects.toThrow(StripeApiError);
    expect(await dynamoJobStore(db, resources.stateTableName).read(backfillJobKey({}))).toMatchObject({ scan: { progress: { pages: 1, enqueued: 100 } } });
    const firstRun = await receiveAll(sqs, resources.queueUrl, { visibilityTimeout: 300 });
    expect(firstRun).toHaveLength(100);

    const before = standIn.requests.length;
    const report = await run({ since: now - 2 * 3600 });

    expect(report).toMatchObject({ resumed: true, complete: true, progress: { pages: 3, enqueued: 250 } });
    // Listed newest first: the first page ended at the 100th event.
    expect(standIn.requests[before]!.query.starting_after).toBe(events[99]!.id);
    const all = [...firstRun, ...(await receiveAll(sqs, resources.queueUrl))];
    expect(queuedIds(all)).toEqual(events.map((event) => event.id).sort());
    // Finished: nothing is saved, and a fresh run plans the window asked for.
    expect(await dynamoJobStore(db, resources.stateTableName).read(backfillJobKey({}))).toBeUndefined();
  });

  it('after a crash between queueing a page and saving its place, queues again none of what the ledger has', async () => {
    const events = created(150, 900);
    const real = dynamoJobStore(db, resources.stateTableName);
    const crashing: JobStore = { read: real.read, save: async () => Promise.reject(new Error('crashed before the checkpoint')) };
    await expect(run({}, { store: crashing })).rejects.toThrow('crashed before the checkpoint');
    const firstRun = await receiveAll(sqs, resources.queueUrl, { visibilityTimeout: 300 });
    expect(firstRun).toHaveLength(100);
    // The worker does the first page's events before the rerun.
    for (const id of queuedIds(firstRun)) await inLedger(id, 'completed');

    const report = await run({}, { store: real });

    expect(report.resumed).toBe(false);
    expect(report.progress).toMatchObject({ scanned: 150, known: 100, enqueued: 50 });
    const secondRun = await receiveAll(sqs, resources.queueUrl);
    expect(queuedIds([...firstRun, ...secondRun])).toEqual(events.map((event) => event.id).sort());
  });

  it('says a refused key is refused, naming where it came from and never the key', async () => {
    created(1, 900);
    const wrongKey = 'sk_test_wrong_key_for_this_suite_9999';
    api = new StripeApi({ apiKey: wrongKey, keyOrigin: 'the secret prod/stripe/api-key', apiBase: standIn.url, readsPerSecond: 100 });

    const error = (await run().catch((caught: unknown) => caught)) as StripeApiError;

    expect(error).toBeInstanceOf(StripeApiError);
    expect(error).toMatchObject({ failure: 'key_refused', status: 401 });
    expect(error.message).toContain('the secret prod/stripe/api-key');
    expect(`${error.message} ${String(error.cause)} ${JSON.stringify(error)}`).not.toContain('9999');
    expect(await receiveAll(sqs, resources.queueUrl)).toHaveLength(0);
  });
});

describe('the scheduled reconcile (bundled handler)', () => {
  const { sqs, db } = testClients();
  const outDir = mkdtempSync(join(tmpdir(), 'reconcile-bundle-'));
  const savedEnv = { ...process.env };
  let standIn: StripeApiStandIn;
  let resources: PipelineResources;
  let handler: (event: unknown, context?: unknown) => Promise<{ complete: boolean; enqueued: number; scanned: number }>;

  beforeAll(async () => {
    standIn = await startStripeApiStandIn({ apiKeys: [API_KEY] });
    resources = await freshResources();
    const bundles = await bundleFunctions(outDir);
    const endpoints = emulatorEndpoints();
    Object.assign(process.env, {
      QUEUE_URL: resources.queueUrl,
      LEDGER_TABLE_NAME: resources.ledgerTableName,
      STATE_TABLE_NAME: resources.stateTableName,
      STRIPE_API_KEY: API_KEY,
      STRIPE_API_BASE: standIn.url,
      AWS_ENDPOINT_URL_SQS: endpoints.sqs,
      AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    });
    handler = require(bundles.reconcile).handler;
  }, 60_000);

  afterAll(async () => {
    process.env = savedEnv;
    await standIn.stop();
    sqs.destroy();
    db.destroy();
    rmSync(outDir, { recursive: true, force: true });
  });

  it('queues the settled events of handled types the ledger lacks, then moves its checkpoint on', async () => {
    const now = Math.floor(Date.now() / 1000);
    const missed = sampleEvent('payment_intent.succeeded', { created: now - 1200 });
    const unhandled = sampleEvent('payment_intent.created', { created: now - 1200 });
    const tooYoung = sampleEvent('payment_intent.succeeded', { created: now - 30 });
    for (const event of [missed, unhandled, tooYoung]) standIn.store.recordEvent(event, { delivered: false });
    const context = { getRemainingTimeInMillis: () => 300_000 };

    expect(await handler({}, context)).toMatchObject({ complete: true, scanned: 1, enqueued: 1 });

    const messages = await receiveAll(sqs, resources.queueUrl);
    expect(messages.map((message) => JSON.parse(message.Body!).id)).toEqual([missed.id]);
    const checkpoint = await getItem<{ reconciledUntil: number }>(db, resources.stateTableName, { key: SCHEDULED_JOB_KEY });
    expect(checkpoint!.reconciledUntil).toBeGreaterThanOrEqual(now - 600);
    expect(checkpoint!.reconciledUntil).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) - 600);
    // The next run starts at the checkpoint minus the overlap, and the ledger-less event was queued only once.
    const before = standIn.requests.length;
    expect(await handler({}, context)).toMatchObject({ complete: true, enqueued: 0 });
    expect(Number(standIn.requests[before]!.query['created[gte]'])).toBe(checkpoint!.reconciledUntil - 300);
  });
});
