/**
 * The worker against DynamoDB Local: exactly-once effects under duplicates, crashes, partial batch
 * failures and out-of-order delivery; the keys of the ledger's indexes and the count of deliveries.
 */
import { DeleteItemCommand, ProvisionedThroughputExceededException, QueryCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type Stripe from 'stripe';
import { createDynamoDbClient } from '../../functions/shared/clients';
import { loadWorkerConfig } from '../../functions/shared/config';
import { snapshotEnvelope, thinEnvelope } from '../../functions/shared/envelope';
import { CommitConflictError, LeaseHeldError, StripeApiError, UnresolvedEventError } from '../../functions/shared/errors';
import { projectionKeys } from '../../functions/shared/projection-keys';
import { FAILED_INDEX, OBJECT_INDEX, RECEIVED_INDEX, failedShard, receivedHour, type IndexDefinition } from '../../functions/shared/resources';
import { DELIVERY_LOG_LIMIT, type LedgerRecord } from '../../functions/worker/ledger';
import { processEvent, type ProcessDeps } from '../../functions/worker/process-event';
import { createRegistry, type Registry } from '../../functions/worker/registry';
import { createWorkerHandler } from '../../functions/worker/sqs-batch';
import type { StripeReads } from '../../functions/worker/stripe-reads';
import { workerDeps, type WorkerParts } from '../../functions/worker/wiring';
import { LOCAL_AWS } from '../../local/emulators';
import { eventBridgeEventFor } from '../../local/eventbridge-event';
import { sampleEvent } from '../../local/sample-events';
import { sampleMeterErrorReport, thinNotificationFor } from '../../local/sample-thin-events';
import { STANDIN_API_KEY, type StripeApiStandIn } from '../../local/stripe-api/server';
import { queryPartition } from '../../ops/table-reads';
import { emulatorEndpoints, freshResources, getItem } from '../helpers/aws';
import { formatOneAttributes, snapshotAttributes, sqsRecord } from '../helpers/factories';
import { startStandInReads } from '../helpers/standin-reads';
import { thinMessage } from '../../functions/shared/message';
import type { ThinNotification } from '../../functions/shared/stripe-event';
import { SimulatedCrash, connectionReset, crashOn, injectFault } from '../helpers/faults';
import { recordingCount, recordingLog } from '../helpers/recorders';

const newClient = () => createDynamoDbClient({ endpoint: emulatorEndpoints().dynamodb, ...LOCAL_AWS });

describe('worker', () => {
  const db = newClient();
  let tables: { ledgerTableName: string; projectionsTableName: string };

  beforeEach(async () => {
    const resources = await freshResources();
    tables = { ledgerTableName: resources.ledgerTableName, projectionsTableName: resources.projectionsTableName };
  });
  afterAll(() => db.destroy());

  /** The worker's dependencies from its one wiring, over the test's tables, with recorders for logs and metrics. */
  function depsFor(overrides: Partial<Omit<WorkerParts, 'config'>> & { client?: ReturnType<typeof newClient>; env?: Record<string, string> } = {}) {
    const log = recordingLog();
    const count = recordingCount();
    const { client, env, ...parts } = overrides;
    const deps = workerDeps({
      config: loadWorkerConfig({ LEDGER_TABLE_NAME: tables.ledgerTableName, PROJECTIONS_TABLE_NAME: tables.projectionsTableName, ...env }),
      db: client ?? db,
      log,
      count,
      ...parts,
    });
    return { deps, log, count };
  }

  /** The core on a snapshot event, as the webhook way in hands it over. */
  function processSnapshot(event: Stripe.Event, delivery: { receivedAt?: string; force?: boolean; receiveCount?: number }, deps: ProcessDeps) {
    return processEvent(snapshotEnvelope(event, { source: 'webhook', receivedAt: delivery.receivedAt }), { force: delivery.force, receiveCount: delivery.receiveCount }, deps);
  }

  /** A registry whose one action sends a "welcome e-mail": an effect outside DynamoDB, recorded in `calls`. */
  function externalRegistry(calls: string[], behaviour: () => Promise<void> = async () => undefined): Registry {
    return createRegistry({
      'customer.created': (event) => ({
        writes: [],
        external: async ({ idempotencyKey }) => {
          calls.push(idempotencyKey);
          await behaviour();
        },
        logs: [{ level: 'info', message: `Welcome e-mail sent to ${event.data.object.id}` }],
      }),
    });
  }

  const ledgerRecord = (eventId: string) => getItem<LedgerRecord>(db, tables.ledgerTableName, { eventId });
  const projection = (key: { pk: string; sk: string }) => getItem<Record<string, unknown>>(db, tables.projectionsTableName, key);
  // The sample events are the platform's test-mode events: their ledger is the test#platform scope.
  const ledgerEntries = () => queryPartition<{ sk: string; amount: number; entries?: number; currency: string }>(db, tables.projectionsTableName, projectionKeys.ledgerPartition({ livemode: false }));

  /** Delivers an event until it no longer fails, as SQS redelivery would; returns the outcomes. */
  async function deliverUntilDone(event: Stripe.Event, deps: ProcessDeps, limit = 10) {
    for (let attempt = 1; attempt <= limit; attempt++) {
      try {
        return await processSnapshot(event, {}, deps);
      } catch (error) {
        if (!(error instanceof CommitConflictError || error instanceof LeaseHeldError)) throw error;
      }
    }
    throw new Error(`${event.id} still failing after ${limit} deliveries`);
  }

  /** A client of its own that records the name of every command it sends. */
  function countingClient() {
    const client = newClient();
    const calls: string[] = [];
    client.middlewareStack.add((next, context) => async (args) => {
      calls.push(context.commandName!);
      return next(args);
    }, { step: 'initialize' });
    return { client, calls };
  }

  describe('a handled event', () => {
    it('writes its projections and marks the ledger completed in one go', async () => {
      const { deps, log, count } = depsFor();
      const event = sampleEvent('payment_intent.succeeded', { object: { metadata: { order_id: 'order_42' } } });
      const intent = event.data.object;

      expect(await processSnapshot(event, { receivedAt: '2026-11-22T10:00:00.000Z' }, deps)).toBe('completed');

      expect(await projection(projectionKeys.payment(intent.id))).toMatchObject({ status: 'succeeded', amountReceived: 2000, currency: 'usd', orderId: 'order_42', sourceEventId: event.id });
      expect(await projection(projectionKeys.order('order_42'))).toMatchObject({ status: 'ready_to_fulfil', paymentIntentId: intent.id });
      const record = await ledgerRecord(event.id);
      expect(record).toMatchObject({ status: 'completed', type: 'payment_intent.succeeded', attempts: 1, receivedAt: '2026-11-22T10:00:00.000Z' });
      expect(record!.expiresAt).toBeGreaterThan(Date.now() / 1000 + 60 * 86_400);
      expect(log.messages()).toContain('PaymentIntent was successful!');
      expect(count.totals.EventsCompleted).toBe(1);
    });

    it('does nothing the second time the same event is delivered, and acknowledges it', async () => {
      const { deps, count } = depsFor();
      const event = sampleEvent('payout.paid');

      expect(await processSnapshot(event, {}, deps)).toBe('completed');
      expect(await processSnapshot(event, {}, deps)).toBe('duplicate');

      expect(await ledgerRecord(event.id)).toMatchObject({ status: 'completed', attempts: 1 });
      expect(await ledgerEntries()).toEqual(
        expect.arrayContaining([expect.objectContaining({ sk: 'total#usd', amount: 125_000, entries: 1 })]),
      );
      expect(count.totals.DuplicatesSkipped).toBe(1);
    });

    it('logs an opened dispute as an alert', async () => {
      const { deps, log } = depsFor();
      const event = sampleEvent('charge.dispute.created');
      await processSnapshot(event, {}, deps);
      expect(log.entries.find((entry) => entry.attributes.alert === 'dispute_opened')).toMatchObject({ level: 'warn' });
      expect(await projection(projectionKeys.dispute(event.data.object.id))).toMatchObject({ status: 'needs_response', reason: 'fraudulent' });
    });
  });

  describe('an unhandled event type', () => {
    it('is recorded as ignored, not as an error, and acknowledged once', async () => {
      const { deps, count } = depsFor();
      const event = sampleEvent('customer.created');

      expect(await processSnapshot(event, {}, deps)).toBe('ignored');
      expect(await processSnapshot(event, {}, deps)).toBe('duplicate');

      expect(await ledgerRecord(event.id)).toMatchObject({ status: 'ignored', attempts: 1 });
      expect(count.totals.EventsIgnored).toBe(1);
      expect(count.totals.EventsFailed).toBeUndefined();
    });
  });

  describe('a crash', () => {
    it('after the commit but before the acknowledgement: the redelivery does nothing more', async () => {
      const crashing = newClient();
      crashOn(crashing, 'TransactWriteItemsCommand', 'after');
      const event = sampleEvent('transfer.created');

      await expect(processSnapshot(event, {}, depsFor({ client: crashing }).deps)).rejects.toBeInstanceOf(SimulatedCrash);
      expect(await processSnapshot(event, {}, depsFor().deps)).toBe('duplicate');

      const totals = (await ledgerEntries()).filter((item) => item.sk.startsWith('total#'));
      expect(totals).toEqual([expect.objectContaining({ amount: 7_500, entries: 1 })]);
      expect(await ledgerRecord(event.id)).toMatchObject({ status: 'completed', attempts: 1 });
      crashing.destroy();
    });

    it('before the commit: nothing is written, and the redelivery does everything once', async () => {
      const crashing = newClient();
      crashOn(crashing, 'TransactWriteItemsCommand', 'before');
      const event = sampleEvent('payment_intent.succeeded');

      await expect(processSnapshot(event, {}, depsFor({ client: crashing }).deps)).rejects.toBeInstanceOf(SimulatedCrash);
      expect(await projection(projectionKeys.payment(event.data.object.id))).toBeUndefined();
      expect(await ledgerRecord(event.id)).toBeUndefined();

      expect(await processSnapshot(event, {}, depsFor().deps)).toBe('completed');
      expect(await projection(projectionKeys.payment(event.data.object.id))).toMatchObject({ status: 'succeeded' });
      crashing.destroy();
    });
  });

  describe('a failing action', () => {
    const failing = (message: string): Registry => createRegistry({ 'payout.paid': () => { throw new Error(message); } });

    it('is recorded as failed with its error and attempts, then completes on a later delivery', async () => {
      const event = sampleEvent('payout.paid');
      await expect(processSnapshot(event, {}, depsFor({ registry: failing('bank API down') }).deps)).rejects.toThrow('bank API down');
      await expect(processSnapshot(event, {}, depsFor({ registry: failing('still down') }).deps)).rejects.toThrow('still down');
      expect(await ledgerRecord(event.id)).toMatchObject({ status: 'failed', attempts: 2, lastError: 'Error: still down' });

      expect(await processSnapshot(event, {}, depsFor().deps)).toBe('completed');
      expect(await ledgerRecord(event.id)).toMatchObject({ status: 'completed', attempts: 3 });
    });
  });

  describe('the SQS batch handler', () => {
    it('reports only the failing messages, so their batch-mates are not retried', async () => {
      const { deps } = depsFor();
      const handler = createWorkerHandler(deps);
      const good = [sampleEvent('payment_intent.succeeded'), sampleEvent('invoice.paid'), sampleEvent('customer.created')];
      const records = [sqsRecord(good[0]!), sqsRecord('{"not":"an event"}', { messageId: 'poison-1' }), sqsRecord(good[1]!), sqsRecord('not json', { messageId: 'poison-2' }), sqsRecord(good[2]!)];

      const response = await handler({ Records: records });

      expect(response.batchItemFailures.map((failure) => failure.itemIdentifier).sort()).toEqual(['poison-1', 'poison-2']);
      for (const event of good) expect((await ledgerRecord(event.id))?.status).toMatch(/completed|ignored/);
    });

    it('commits a batch of new events in one transaction', async () => {
      const { client, calls } = countingClient();
      const handler = createWorkerHandler(depsFor({ client }).deps);
      const events = Array.from({ length: 10 }, () => sampleEvent('payment_intent.succeeded'));

      const response = await handler({ Records: events.map((event) => sqsRecord(event)) });

      expect(response.batchItemFailures).toEqual([]);
      expect(calls).toEqual(['TransactWriteItemsCommand']);
      for (const event of events) {
        expect(await ledgerRecord(event.id)).toMatchObject({ status: 'completed', attempts: 1 });
        expect(await projection(projectionKeys.order(event.data.object.id))).toMatchObject({ status: 'ready_to_fulfil' });
      }
      client.destroy();
    });

    it('falls back to one commit per event when the batch holds a duplicate, and still does each effect once', async () => {
      const { deps } = depsFor();
      const handler = createWorkerHandler(deps);
      const first = sampleEvent('payout.paid', { object: { amount: 1000 } });
      await handler({ Records: [sqsRecord(first)] });
      const fresh = [sampleEvent('payout.paid', { object: { amount: 20, currency: 'eur' } }), sampleEvent('transfer.created', { object: { amount: 300, currency: 'gbp' } })];

      const response = await handler({ Records: [sqsRecord(first), ...fresh.map((event) => sqsRecord(event))] });

      expect(response.batchItemFailures).toEqual([]);
      const totals = Object.fromEntries((await ledgerEntries()).filter((item) => item.sk.startsWith('total#')).map((item) => [item.currency, item]));
      expect(totals.usd).toMatchObject({ amount: 1000, entries: 1 });
      expect(totals.eur).toMatchObject({ amount: 20, entries: 1 });
      expect(totals.gbp).toMatchObject({ amount: 300, entries: 1 });
      expect(await ledgerRecord(first.id)).toMatchObject({ attempts: 1, deliveries: 2 });
    });

    it('splits events that touch the same item into separate transactions', async () => {
      const { client, calls } = countingClient();
      const handler = createWorkerHandler(depsFor({ client }).deps);
      // Every payout adds to the same USD total: one transaction may not update an item twice.
      const payouts = Array.from({ length: 4 }, (_, index) => sampleEvent('payout.paid', { object: { amount: 100 * (index + 1) } }));

      const response = await handler({ Records: payouts.map((event) => sqsRecord(event)) });

      expect(response.batchItemFailures).toEqual([]);
      expect(calls.filter((call) => call === 'TransactWriteItemsCommand')).toHaveLength(4);
      expect((await ledgerEntries()).find((item) => item.sk === 'total#usd')).toMatchObject({ amount: 1000, entries: 4 });
      client.destroy();
    });

    it.each([
      ['is throttled', false, () => new ProvisionedThroughputExceededException({ message: 'Rate of requests exceeds the allowed throughput', $metadata: {} })],
      ['times out after DynamoDB applied it', true, () => Object.assign(new Error('Request timed out'), { name: 'TimeoutError' })],
    ])('commits the events one by one when the combined commit %s, each effect once, no record sent back', async (_, applyFirst, error) => {
      const client = newClient();
      // Only the combined commit (more than one event's three items) fails; single commits go through.
      const fault = injectFault(client, { command: 'TransactWriteItemsCommand', when: (input) => (input.TransactItems as unknown[]).length > 3, applyFirst, error });
      const { deps, count, log } = depsFor({ client });
      const events = Array.from({ length: 5 }, () => sampleEvent('payment_intent.succeeded'));

      const response = await createWorkerHandler(deps)({ Records: events.map((event) => sqsRecord(event)) });

      expect(response.batchItemFailures).toEqual([]);
      expect(fault.injected).toBe(1);
      for (const event of events) {
        expect(await ledgerRecord(event.id)).toMatchObject({ status: 'completed', attempts: 1 });
        expect(await projection(projectionKeys.payment(event.data.object.id))).toMatchObject({ status: 'succeeded' });
      }
      expect(count.totals.CombinedCommitFallbacks).toBe(1);
      expect(log.entries.find((entry) => entry.message.startsWith('A combined commit failed'))).toMatchObject({ level: 'warn' });
      client.destroy();
    });

    it('processes a message in the first format, still on a queue from before the upgrade', async () => {
      const event = sampleEvent('payment_intent.succeeded');
      const record = sqsRecord(event, { attributes: formatOneAttributes(event, new Date('2026-11-01T00:00:00.000Z')) });

      expect((await createWorkerHandler(depsFor().deps)({ Records: [record] })).batchItemFailures).toEqual([]);

      expect(await ledgerRecord(event.id)).toMatchObject({ status: 'completed', source: 'webhook', receivedAt: '2026-11-01T00:00:00.000Z' });
    });

    it('notes an event in the ledger when it fails its last receive, and clears the note when it next completes', async () => {
      const failing = createRegistry({ 'payout.paid': () => { throw new Error('bank API down'); } });
      const handler = createWorkerHandler(depsFor({ registry: failing }).deps);
      const event = sampleEvent('payout.paid');

      await handler({ Records: [sqsRecord(event, { receiveCount: 4 })] });
      expect((await ledgerRecord(event.id))?.deadLetteredAt).toBeUndefined();
      await handler({ Records: [sqsRecord(event, { receiveCount: 5 })] });
      expect(await ledgerRecord(event.id)).toMatchObject({ status: 'failed', attempts: 2, deadLetterReceiveCount: 5, deadLetteredAt: expect.any(String) });

      // Redriven, and the cause fixed.
      expect((await createWorkerHandler(depsFor().deps)({ Records: [sqsRecord(event)] })).batchItemFailures).toEqual([]);
      const record = await ledgerRecord(event.id);
      expect(record).toMatchObject({ status: 'completed', attempts: 3 });
      expect(record?.deadLetteredAt).toBeUndefined();
    });

    it('clears the note when the redriven message finds its event already done', async () => {
      // An event completed, but one of its messages kept coming back (a crash before the acknowledgement)
      // and failed its last receive: its message is in the dead-letter queue, noted in the ledger.
      const event = sampleEvent('payout.paid');
      const handler = createWorkerHandler(depsFor().deps);
      await handler({ Records: [sqsRecord(event)] });
      const failing = createRegistry({ 'payout.paid': () => { throw new Error('injected'); } });
      await createWorkerHandler(depsFor({ registry: failing }).deps)({ Records: [sqsRecord(event, { receiveCount: 5 })] });
      expect(await ledgerRecord(event.id)).toMatchObject({ status: 'completed', deadLetteredAt: expect.any(String) });

      // Redriven: acknowledged as a duplicate, and no longer listed.
      expect((await handler({ Records: [sqsRecord(event)] })).batchItemFailures).toEqual([]);
      const record = await ledgerRecord(event.id);
      expect(record).toMatchObject({ status: 'completed', attempts: 1 });
      expect(record?.deadLetteredAt).toBeUndefined();
    });

    it('notes a dead letter even when the ledger had never recorded the event', async () => {
      const client = newClient();
      // The ledger refuses the failure record; the note on the way to the dead-letter queue still lands.
      injectFault(client, { command: 'UpdateItemCommand', times: 1, error: () => new ProvisionedThroughputExceededException({ message: 'throttled', $metadata: {} }) });
      const failing = createRegistry({ 'payout.paid': () => { throw new Error('bank API down'); } });
      const event = sampleEvent('payout.paid');

      await createWorkerHandler(depsFor({ client, registry: failing }).deps)({ Records: [sqsRecord(event, { receiveCount: 5 })] });

      expect(await ledgerRecord(event.id)).toMatchObject({ status: 'failed', attempts: 5, deadLetterReceiveCount: 5, deadLetteredAt: expect.any(String) });
      client.destroy();
    });

    it('reports every message of a batch that fails whole, instead of throwing', async () => {
      const handler = createWorkerHandler(depsFor().deps);
      const response = await handler({ Records: [sqsRecord('x', { messageId: 'a' }), sqsRecord('y', { messageId: 'b' })] });
      expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'a' }, { itemIdentifier: 'b' }]);
    });

    it('redoes a completed event when the message carries the ForceReprocess flag from a forced redrive', async () => {
      const handler = createWorkerHandler(depsFor().deps);
      const event = sampleEvent('payment_intent.succeeded');
      await handler({ Records: [sqsRecord(event)] });
      const forced = sqsRecord(event, { force: true });

      expect((await handler({ Records: [sqsRecord(event)] })).batchItemFailures).toEqual([]);
      expect(await ledgerRecord(event.id)).toMatchObject({ attempts: 1 });
      await handler({ Records: [forced] });
      expect(await ledgerRecord(event.id)).toMatchObject({ status: 'completed', attempts: 2 });
    });

    it('records the received-at time the ingest put on the message', async () => {
      const handler = createWorkerHandler(depsFor().deps);
      const event = sampleEvent('payment_intent.succeeded');
      const record = sqsRecord(event);
      await handler({ Records: [record] });
      expect((await ledgerRecord(event.id))?.receivedAt).toBe(record.messageAttributes.ReceivedAt!.stringValue);
    });
  });

  describe('a forced redo (an operator replay)', () => {
    it('runs a DynamoDB-only action again: a projection lost since is written back', async () => {
      const { deps } = depsFor();
      const event = sampleEvent('payment_intent.succeeded');
      const key = projectionKeys.payment(event.data.object.id);
      await processSnapshot(event, {}, deps);
      await db.send(new DeleteItemCommand({ TableName: tables.projectionsTableName, Key: marshall(key) }));

      expect(await processSnapshot(event, {}, deps)).toBe('duplicate');
      expect(await projection(key)).toBeUndefined();
      expect(await processSnapshot(event, { force: true }, deps)).toBe('completed');

      expect(await projection(key)).toMatchObject({ status: 'succeeded', sourceEventId: event.id });
      expect(await ledgerRecord(event.id)).toMatchObject({ status: 'completed', attempts: 2 });
    });

    it('runs an external effect again, with the same idempotency key', async () => {
      const calls: string[] = [];
      const { deps } = depsFor({ registry: externalRegistry(calls) });
      const event = sampleEvent('customer.created');
      await processSnapshot(event, {}, deps);

      expect(await processSnapshot(event, {}, deps)).toBe('duplicate');
      expect(calls).toEqual([event.id]);
      expect(await processSnapshot(event, { force: true }, deps)).toBe('completed');

      expect(calls).toEqual([event.id, event.id]);
      const record = await ledgerRecord(event.id);
      expect(record).toMatchObject({ status: 'completed', attempts: 2 });
      expect(record?.leaseOwner).toBeUndefined();
    });
  });

  describe('a thin notification, resolved through the Stripe API (the loopback stand-in)', () => {
    let standIn: StripeApiStandIn;
    let reads: StripeReads;
    beforeAll(async () => {
      ({ standIn, reads } = await startStandInReads());
    });
    afterAll(() => standIn.stop());

    const thin = (event: Stripe.Event) => thinEnvelope(thinNotificationFor(event), { source: 'webhook' });
    const readsOf = (id: string) => standIn.requests.filter((request) => request.path.endsWith(`/${id}`)).length;

    it('is folded into the snapshot it names: the snapshot\'s handler runs once, whichever form comes first', async () => {
      const { deps } = depsFor({ reads });
      const event = sampleEvent('payment_intent.succeeded');
      standIn.store.recordEvent(event);
      const envelope = thin(event);

      expect(await processEvent(envelope, {}, deps)).toBe('completed');
      expect(await processSnapshot(event, {}, deps)).toBe('duplicate');
      expect(await processEvent(envelope, {}, deps)).toBe('duplicate');

      expect(await projection(projectionKeys.payment(event.data.object.id))).toMatchObject({ status: 'succeeded', sourceEventId: event.id });
      expect(await ledgerRecord(event.id)).toMatchObject({ status: 'completed', attempts: 1, form: 'thin', thinEventId: envelope.thinEventId });
      // The second thin delivery found the event done before reading anything from Stripe.
      expect(readsOf(event.id)).toBe(1);
    });

    it('of a change already done as a snapshot is a duplicate that costs no API read, and its id is kept beside the snapshot\'s', async () => {
      const { deps, count } = depsFor({ reads });
      const event = sampleEvent('payment_intent.succeeded');
      standIn.store.recordEvent(event);
      expect(await processSnapshot(event, {}, deps)).toBe('completed');

      const envelope = thin(event);
      expect(await processEvent(envelope, {}, deps)).toBe('duplicate');

      expect(readsOf(event.id)).toBe(0);
      expect(await ledgerRecord(event.id)).toMatchObject({ status: 'completed', attempts: 1, form: 'snapshot', thinEventId: envelope.thinEventId });
      expect(count.totals.DuplicatesSkipped).toBe(1);
    });

    it('of an unhandled type is recorded as ignored without reading anything', async () => {
      const { deps } = depsFor({ reads });
      const notification = { ...thinNotificationFor(sampleEvent('customer.created')), type: 'v2.core.account.updated', snapshot_event: undefined };
      expect(await processEvent(thinEnvelope(notification, { source: 'webhook' }), {}, deps)).toBe('ignored');
      expect(await ledgerRecord(notification.id)).toMatchObject({ status: 'ignored', type: 'v2.core.account.updated', form: 'thin' });
      expect(readsOf(notification.id)).toBe(0);
    });

    it('fails, to be retried, when no API key is configured', async () => {
      const event = sampleEvent('payment_intent.succeeded');
      await expect(processEvent(thin(event), {}, depsFor().deps)).rejects.toBeInstanceOf(UnresolvedEventError);
      expect(await ledgerRecord(event.id)).toMatchObject({ status: 'failed', lastError: expect.stringContaining('no Stripe API client') });
    });

    it('fails with a clear error, never done, when Stripe no longer has the event (404 past its 30 days)', async () => {
      const event = sampleEvent('payment_intent.succeeded');
      const failure = await processEvent(thin(event), {}, depsFor({ reads }).deps).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(StripeApiError);
      expect(failure).toMatchObject({ failure: 'not_found' });
      expect(await ledgerRecord(event.id)).toMatchObject({ status: 'failed', lastError: expect.stringContaining('30 days') });
      expect(await projection(projectionKeys.payment(event.data.object.id))).toBeUndefined();
    });

    it.each([
      // stripe-node retries a 5xx twice itself, so three answers make one failed read; a 401 it never retries.
      [401, 'key_refused', 1],
      [500, 'unavailable', 3],
    ] as const)('fails, to be retried, when Stripe answers %i, and completes once it answers again', async (status, failure, times) => {
      const { deps } = depsFor({ reads });
      const event = sampleEvent('payment_intent.succeeded');
      standIn.store.recordEvent(event);
      standIn.injectFault({ path: new RegExp(event.id), status, times });

      await expect(processEvent(thin(event), {}, deps)).rejects.toMatchObject({ failure });
      expect(await ledgerRecord(event.id)).toMatchObject({ status: 'failed' });
      expect(JSON.stringify(await ledgerRecord(event.id))).not.toContain(STANDIN_API_KEY);

      expect(await processEvent(thin(event), {}, deps)).toBe('completed');
    });
  });

  describe('one event by every way in at once (a migration running both destinations)', () => {
    let standIn: StripeApiStandIn;
    let reads: StripeReads;
    beforeAll(async () => {
      ({ standIn, reads } = await startStandInReads());
    });
    afterAll(() => standIn.stop());

    const eventBridgeRecord = (detail: unknown) =>
      sqsRecord(JSON.stringify({ version: '0', id: 'eb-1', 'detail-type': 'x', source: 'aws.partner/stripe.com/ed_test_1', account: '123456789012', time: new Date().toISOString(), region: 'us-east-1', resources: [], detail }));
    const thinRecord = (notification: ThinNotification) =>
      sqsRecord(JSON.stringify(notification), { attributes: thinMessage(notification, '', { source: 'webhook', receivedAt: new Date() }).attributes });

    it('does each effect once when the snapshot, its thin notification and their EventBridge copies share a batch, twice over', async () => {
      const { deps } = depsFor({ reads });
      const handler = createWorkerHandler(deps);
      const payout = sampleEvent('payout.paid', { object: { amount: 4_200 } });
      standIn.store.recordEvent(payout);
      const thin = thinNotificationFor(payout);
      const copies = () => [sqsRecord(payout), thinRecord(thin), eventBridgeRecord(payout), eventBridgeRecord(thin)];

      expect(await handler({ Records: [...copies(), ...copies()] })).toEqual({ batchItemFailures: [] });

      const entries = await ledgerEntries();
      expect(entries.filter((entry) => entry.sk.startsWith('entry#'))).toHaveLength(1);
      expect(entries.find((entry) => entry.sk.startsWith('total#'))).toMatchObject({ amount: 4_200, entries: 1 });
      expect(await ledgerRecord(payout.id)).toMatchObject({ status: 'completed', attempts: 1, thinEventId: thin.id });
    });
  });

  describe('an event of a mode or an account the stage does not accept', () => {
    it.each([
      ['a test-mode event on a live stage', { STRIPE_LIVEMODE: 'true' }, {}, { livemode: true }, /test-mode event and this stage accepts only live mode/],
      ['a connected account\'s event on a platform-only stage', { STRIPE_ACCOUNTS: 'platform' }, { account: 'acct_1Other' }, {}, /connected account acct_1Other/],
      ['the platform\'s event on a stage for one connected account', { STRIPE_ACCOUNTS: 'acct_1Mine' }, {}, { account: 'acct_1Mine' }, /the platform account/],
    ])('refuses %s: failed with the reason, counted, nothing projected; an accepted batch-mate completes', async (_, env, refusedFields, acceptedFields, reason) => {
      const { deps, count } = depsFor({ env });
      const refused = { ...sampleEvent('payment_intent.succeeded'), ...refusedFields };
      const accepted = { ...sampleEvent('payment_intent.succeeded'), ...acceptedFields };

      const response = await createWorkerHandler(deps)({ Records: [sqsRecord(refused, { messageId: 'refused' }), sqsRecord(accepted)] });

      expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'refused' }]);
      expect(await ledgerRecord(refused.id)).toMatchObject({ status: 'failed', lastError: expect.stringMatching(reason) });
      expect(await projection(projectionKeys.payment(refused.data.object.id))).toBeUndefined();
      expect(await ledgerRecord(accepted.id)).toMatchObject({ status: 'completed' });
      expect(count.totals.EventsRefused).toBe(1);
    });
  });

  describe('out-of-order delivery', () => {
    it('never lets an older event overwrite state written from a newer one', async () => {
      const { deps, count } = depsFor();
      const created = 1_760_000_000;
      const customer = 'cus_order';
      const updated = sampleEvent('customer.subscription.updated', { created: created + 10, object: { customer, id: 'sub_1', status: 'past_due' } });
      const older = sampleEvent('customer.subscription.created', { created, object: { customer, id: 'sub_1', status: 'active' } });

      expect(await processSnapshot(updated, {}, deps)).toBe('completed');
      expect(await processSnapshot(older, {}, deps)).toBe('completed');

      expect(await projection(projectionKeys.subscription(customer, 'sub_1'))).toMatchObject({ status: 'past_due', sourceEventId: updated.id });
      expect(await ledgerRecord(older.id)).toMatchObject({ status: 'completed', skippedWrites: 1 });
      expect(count.totals.StaleWritesSkipped).toBe(1);
    });

    it('lets a newer event overwrite an older one', async () => {
      const { deps } = depsFor();
      const customer = 'cus_forward';
      const first = sampleEvent('customer.subscription.created', { created: 1_760_000_000, object: { customer, id: 'sub_forward', status: 'active' } });
      const second = sampleEvent('customer.subscription.deleted', { created: 1_760_000_100, object: { customer, id: 'sub_forward' } });
      await processSnapshot(first, {}, deps);
      await processSnapshot(second, {}, deps);
      expect(await projection(projectionKeys.subscription(customer, 'sub_forward'))).toMatchObject({ status: 'canceled', sourceEventId: second.id });
    });

    it('ranks a terminal state above an intermediate one created in the same second', async () => {
      const { deps } = depsFor();
      const id = 'pi_same_second';
      const succeeded = sampleEvent('payment_intent.succeeded', { created: 1_760_000_000, object: { id } });
      const failed = sampleEvent('payment_intent.payment_failed', { created: 1_760_000_000, object: { id } });

      await processSnapshot(succeeded, {}, deps);
      await processSnapshot(failed, {}, deps);

      expect(await projection(projectionKeys.payment(id))).toMatchObject({ status: 'succeeded' });
      expect(await projection(projectionKeys.order(id))).toMatchObject({ status: 'ready_to_fulfil' });
    });

    it('applies only the newer of two writes in one event and skips the stale one', async () => {
      const { deps } = depsFor();
      const id = 'pi_mixed';
      await processSnapshot(sampleEvent('payment_intent.succeeded', { created: 1_760_000_500, object: { id, metadata: { order_id: 'order_mixed' } } }), {}, deps);
      // The order was since replaced by a newer write, but the payment record was not.
      const late = sampleEvent('payment_intent.payment_failed', { created: 1_760_000_900, object: { id: 'pi_other', metadata: { order_id: 'order_mixed' } } });
      const stale = sampleEvent('payment_intent.payment_failed', { created: 1_760_000_600, object: { id: 'pi_third', metadata: { order_id: 'order_mixed' } } });
      await processSnapshot(late, {}, deps);
      await processSnapshot(stale, {}, deps);

      expect(await projection(projectionKeys.order('order_mixed'))).toMatchObject({ paymentIntentId: 'pi_other' });
      expect(await projection(projectionKeys.payment('pi_third'))).toMatchObject({ status: 'failed' });
      expect(await ledgerRecord(stale.id)).toMatchObject({ skippedWrites: 1 });
    });

    it('orders refunds by the cumulative refunded amount', async () => {
      const { deps } = depsFor();
      const id = 'ch_refunds';
      const full = sampleEvent('charge.refunded', { created: 1_760_000_000, object: { id, amount_refunded: 2000, refunded: true } });
      const partial = sampleEvent('charge.refunded', { created: 1_760_000_000, object: { id, amount_refunded: 500, refunded: false } });
      await processSnapshot(full, {}, deps);
      await processSnapshot(partial, {}, deps);
      expect(await projection(projectionKeys.refund(id))).toMatchObject({ amountRefunded: 2000, fullyRefunded: true });
    });
  });

  describe('the accounting ledger', () => {
    it('totals equal the sum over distinct events under concurrent duplicate deliveries', async () => {
      const { deps } = depsFor();
      const events = Array.from({ length: 30 }, (_, index) =>
        index % 3 === 0
          ? sampleEvent('payout.paid', { object: { amount: 1000 + index } })
          : index % 3 === 1
            ? sampleEvent('transfer.created', { object: { amount: 200 + index, currency: index % 2 ? 'usd' : 'eur' } })
            : sampleEvent('transfer.reversed', { object: { amount: 900, amount_reversed: 300 + index }, previousAttributes: { amount_reversed: 100 } }),
      );
      // Each event delivered one to three times, all at once and interleaved.
      const deliveries = events.flatMap((event, index) => Array.from({ length: (index % 3) + 1 }, () => event));
      const outcomes = await Promise.all(deliveries.map((event) => deliverUntilDone(event, deps)));

      expect(outcomes.filter((outcome) => outcome === 'completed')).toHaveLength(events.length);
      const items = await ledgerEntries();
      const entries = items.filter((item) => item.sk.startsWith('entry#'));
      const totals = Object.fromEntries(items.filter((item) => item.sk.startsWith('total#')).map((item) => [item.currency, item]));
      expect(entries).toHaveLength(events.length);
      for (const currency of ['usd', 'eur']) {
        const expected = entries.filter((entry) => entry.currency === currency);
        expect(totals[currency]).toMatchObject({ amount: expected.reduce((sum, entry) => sum + entry.amount, 0), entries: expected.length });
      }
      const reversal = entries.find((entry) => entry.amount < 0);
      expect(reversal).toBeDefined();
    });

    it('does not double-count when an operator forces a completed event to be processed again', async () => {
      const { deps } = depsFor();
      const event = sampleEvent('payout.paid', { object: { amount: 5000 } });
      await processSnapshot(event, {}, deps);

      expect(await processSnapshot(event, { force: true }, deps)).toBe('completed');

      expect(await ledgerRecord(event.id)).toMatchObject({ status: 'completed', attempts: 2, skippedWrites: 1 });
      expect((await ledgerEntries()).find((item) => item.sk === 'total#usd')).toMatchObject({ amount: 5000, entries: 1 });
    });
  });

  describe('an action with effects outside DynamoDB (lease)', () => {

    it('runs the external effect once, keyed by the event id', async () => {
      const calls: string[] = [];
      const { deps } = depsFor({ registry: externalRegistry(calls) });
      const event = sampleEvent('customer.created');

      expect(await processSnapshot(event, {}, deps)).toBe('completed');
      expect(await processSnapshot(event, {}, deps)).toBe('duplicate');

      expect(calls).toEqual([event.id]);
      expect(await ledgerRecord(event.id)).toMatchObject({ status: 'completed', attempts: 1 });
      expect((await ledgerRecord(event.id))?.leaseOwner).toBeUndefined();
    });

    it('keeps a second delivery out while the first holds the lease', async () => {
      const calls: string[] = [];
      let release!: () => void;
      const blocked = new Promise<void>((resolve) => (release = resolve));
      const { deps } = depsFor({ registry: externalRegistry(calls, () => blocked) });
      const event = sampleEvent('customer.created');

      const first = processSnapshot(event, {}, deps);
      await waitFor(async () => (await ledgerRecord(event.id))?.status === 'processing');
      await expect(processSnapshot(event, {}, deps)).rejects.toBeInstanceOf(LeaseHeldError);
      release();

      expect(await first).toBe('completed');
      expect(calls).toEqual([event.id]);
    });

    it('after a crash between the external effect and the commit, retries with the same key once the lease expires', async () => {
      const calls: string[] = [];
      const crashing = newClient();
      crashOn(crashing, 'TransactWriteItemsCommand', 'before');
      const event = sampleEvent('customer.created');
      let now = Date.now();
      const clock = () => now;

      await expect(processSnapshot(event, {}, depsFor({ client: crashing, registry: externalRegistry(calls), now: clock }).deps)).rejects.toBeInstanceOf(SimulatedCrash);
      const healthy = depsFor({ registry: externalRegistry(calls), now: clock }).deps;
      await expect(processSnapshot(event, {}, healthy)).rejects.toBeInstanceOf(LeaseHeldError);

      now += 60_001;
      expect(await processSnapshot(event, {}, healthy)).toBe('completed');

      expect(calls).toEqual([event.id, event.id]);
      expect(await ledgerRecord(event.id)).toMatchObject({ status: 'completed', attempts: 2 });
      crashing.destroy();
    });

    it("never releases another delivery's live lease when its own lease request fails", async () => {
      const calls: string[] = [];
      let release!: () => void;
      const blocked = new Promise<void>((resolve) => (release = resolve));
      const event = sampleEvent('customer.created');
      const first = processSnapshot(event, {}, depsFor({ registry: externalRegistry(calls, () => blocked), newLeaseOwner: () => 'first-delivery' }).deps);
      await waitFor(async () => (await ledgerRecord(event.id))?.status === 'processing');

      // The second delivery's lease request fails outright (throttled after the SDK's retries): it records the failure.
      const throttled = newClient();
      injectFault(throttled, { command: 'UpdateItemCommand', times: 1, error: () => new ProvisionedThroughputExceededException({ message: 'Rate of requests exceeds the allowed throughput', $metadata: {} }) });
      await expect(processSnapshot(event, {}, depsFor({ client: throttled, registry: externalRegistry(calls) }).deps)).rejects.toThrow(/throughput/);

      expect(await ledgerRecord(event.id)).toMatchObject({ status: 'processing', leaseOwner: 'first-delivery' });
      release();
      expect(await first).toBe('completed');
      expect(calls).toEqual([event.id]);
      throttled.destroy();
    });

    it('takes the lease once when the SDK retries a lease request whose answer was lost', async () => {
      const calls: string[] = [];
      const client = newClient();
      // DynamoDB takes the lease, the connection resets before the answer, and the SDK sends the request again.
      const fault = injectFault(client, { command: 'UpdateItemCommand', applyFirst: true, belowRetries: true, times: 1, error: connectionReset });
      const event = sampleEvent('customer.created');

      expect(await processSnapshot(event, {}, depsFor({ client, registry: externalRegistry(calls) }).deps)).toBe('completed');

      expect(fault).toEqual({ sent: 2, injected: 1 });
      expect(calls).toEqual([event.id]);
      expect(await ledgerRecord(event.id)).toMatchObject({ status: 'completed', attempts: 1 });
      client.destroy();
    });

    it('releases the lease when the external effect fails, so the next delivery retries at once', async () => {
      const calls: string[] = [];
      let fail = true;
      const { deps } = depsFor({ registry: externalRegistry(calls, async () => { if (fail) throw new Error('SMTP timeout'); }) });
      const event = sampleEvent('customer.created');

      await expect(processSnapshot(event, {}, deps)).rejects.toThrow('SMTP timeout');
      expect(await ledgerRecord(event.id)).toMatchObject({ status: 'failed', lastError: 'Error: SMTP timeout', attempts: 1 });

      fail = false;
      expect(await processSnapshot(event, {}, deps)).toBe('completed');
      expect(calls).toEqual([event.id, event.id]);
    });
  });

  describe("the keys of the ledger's indexes, and the deliveries, as the SQS handler writes them", () => {
    let standIn: StripeApiStandIn;
    let reads: StripeReads;
    beforeAll(async () => {
      ({ standIn, reads } = await startStandInReads());
    });
    afterAll(() => standIn.stop());

    const thinRecord = (notification: ThinNotification, receivedAt = new Date()) =>
      sqsRecord(JSON.stringify(notification), { attributes: thinMessage(notification, '', { source: 'webhook', receivedAt }).attributes });
    const eventBridgeRecord = (detail: Stripe.Event | ThinNotification, time = new Date()) => sqsRecord(JSON.stringify(eventBridgeEventFor(detail, { time })));

    /** The ids of the ledger items under `key` in one of its indexes. */
    async function idsIn(index: IndexDefinition, key: string): Promise<unknown[]> {
      const { Items = [] } = await db.send(
        new QueryCommand({
          TableName: tables.ledgerTableName,
          IndexName: index.name,
          KeyConditionExpression: '#key = :key',
          ExpressionAttributeNames: { '#key': index.partitionKey.name },
          ExpressionAttributeValues: { ':key': { S: key } },
        }),
      );
      return Items.map((item) => unmarshall(item).eventId);
    }

    const received = new Date('2026-11-24T10:15:30.000Z');
    it.each([
      ['a snapshot event from the webhook', (event: Stripe.Event) => sqsRecord(event, { attributes: snapshotAttributes(event, received) }), 'webhook', 'snapshot', '2026-11-24T10:15:30.000Z'],
      ['its thin notification from the webhook', (event: Stripe.Event) => thinRecord(thinNotificationFor(event), received), 'webhook', 'thin', '2026-11-24T10:15:30.000Z'],
      // EventBridge's `time` is to the second (…30Z); it is recorded with milliseconds, as the indexes compare receivedAt as strings.
      ['the snapshot event by EventBridge', (event: Stripe.Event) => eventBridgeRecord(event, received), 'eventbridge', 'snapshot', '2026-11-24T10:15:30.000Z'],
      ['the thin notification by EventBridge', (event: Stripe.Event) => eventBridgeRecord(thinNotificationFor(event), received), 'eventbridge', 'thin', '2026-11-24T10:15:30.000Z'],
    ])('%s: receivedHour from its receivedAt, and its object, under which the indexes list it', async (_, recordOf, source, form, receivedAt) => {
      const event = sampleEvent('payment_intent.succeeded');
      standIn.store.recordEvent(event);

      expect(await createWorkerHandler(depsFor({ reads }).deps)({ Records: [recordOf(event)] })).toEqual({ batchItemFailures: [] });

      const hour = receivedHour(event.id, receivedAt);
      expect(hour).toMatch(/^2026-11-24T10#/);
      expect(await ledgerRecord(event.id)).toMatchObject({ status: 'completed', source, form, receivedAt, receivedHour: hour, objectId: event.data.object.id });
      expect(await idsIn(RECEIVED_INDEX, hour)).toContain(event.id);
      expect(await idsIn(OBJECT_INDEX, event.data.object.id)).toEqual([event.id]);
    });

    it("a thin-only event: its related object; an event about no object: none", async () => {
      const sample = sampleMeterErrorReport();
      standIn.store.recordThinEvent(sample.event, { relatedObject: sample.relatedObject });
      const balance = sampleEvent('balance.available');

      expect(await createWorkerHandler(depsFor({ reads }).deps)({ Records: [thinRecord(sample.notification), sqsRecord(balance)] })).toEqual({ batchItemFailures: [] });

      expect(await ledgerRecord(sample.notification.id)).toMatchObject({ status: 'completed', objectId: sample.notification.related_object!.id });
      expect(await idsIn(OBJECT_INDEX, sample.notification.related_object!.id)).toEqual([sample.notification.id]);
      const record = await ledgerRecord(balance.id);
      expect(record).toMatchObject({ status: 'completed', receivedHour: expect.any(String) });
      expect(record).not.toHaveProperty('objectId');
    });

    it('lists a failing event in failed-events until it completes', async () => {
      const failing = createRegistry({ 'payout.paid': () => { throw new Error('bank API down'); } });
      const event = sampleEvent('payout.paid');

      await createWorkerHandler(depsFor({ registry: failing }).deps)({ Records: [sqsRecord(event)] });
      expect(await ledgerRecord(event.id)).toMatchObject({ status: 'failed', failedShard: failedShard(event.id) });
      expect(await idsIn(FAILED_INDEX, failedShard(event.id))).toContain(event.id);

      expect(await createWorkerHandler(depsFor().deps)({ Records: [sqsRecord(event, { receiveCount: 2 })] })).toEqual({ batchItemFailures: [] });
      expect(await ledgerRecord(event.id)).toMatchObject({ status: 'completed' });
      expect((await ledgerRecord(event.id))?.failedShard).toBeUndefined();
      expect(await idsIn(FAILED_INDEX, failedShard(event.id))).not.toContain(event.id);
    });

    it('keeps a dead-lettered event in failed-events while it is failed, and a completed one out', async () => {
      const failing = createWorkerHandler(depsFor({ registry: createRegistry({ 'payout.paid': () => { throw new Error('bank API down'); } }) }).deps);
      const [failed, completed] = [sampleEvent('payout.paid'), sampleEvent('payout.paid')];
      await createWorkerHandler(depsFor().deps)({ Records: [sqsRecord(completed)] });

      await failing({ Records: [sqsRecord(failed, { receiveCount: 5 }), sqsRecord(completed, { receiveCount: 5 })] });

      expect(await ledgerRecord(failed.id)).toMatchObject({ status: 'failed', deadLetterReceiveCount: 5, failedShard: failedShard(failed.id) });
      expect(await ledgerRecord(completed.id)).toMatchObject({ status: 'completed', deadLetterReceiveCount: 5 });
      expect((await ledgerRecord(completed.id))?.failedShard).toBeUndefined();
      expect(await idsIn(FAILED_INDEX, failedShard(failed.id))).toContain(failed.id);
      expect(await idsIn(FAILED_INDEX, failedShard(completed.id))).not.toContain(completed.id);
    });

    it('counts a first delivery in the write that commits or ignores it, alone or in a batch: no request more', async () => {
      const { client, calls } = countingClient();
      const handler = createWorkerHandler(depsFor({ client }).deps);
      const alone = sampleEvent('payment_intent.succeeded');
      const batch = [sampleEvent('payment_intent.succeeded'), sampleEvent('invoice.paid')];
      const ignored = sampleEvent('customer.created');

      await handler({ Records: [sqsRecord(alone)] });
      await handler({ Records: batch.map((event) => sqsRecord(event)) });
      await handler({ Records: [sqsRecord(ignored)] });

      expect(calls).toEqual(['TransactWriteItemsCommand', 'TransactWriteItemsCommand', 'UpdateItemCommand']);
      for (const event of [alone, ...batch, ignored]) {
        const record = await ledgerRecord(event.id);
        expect(record).toMatchObject({ status: expect.stringMatching(/completed|ignored/), deliveries: 1, deliveryLog: [{ at: expect.any(String), source: 'webhook', receiveCount: 1 }] });
        expect(Date.parse(record!.deliveryLog![0]!.at)).toBeGreaterThan(Date.now() - 60_000);
      }
      client.destroy();
    });

    it('counts a second message of a completed event as a duplicate absorbed, for one UpdateItem more', async () => {
      const { client, calls } = countingClient();
      const handler = createWorkerHandler(depsFor({ client }).deps);
      const event = sampleEvent('payout.paid');
      await handler({ Records: [sqsRecord(event)] });
      calls.length = 0;

      expect(await handler({ Records: [eventBridgeRecord(event)] })).toEqual({ batchItemFailures: [] });

      expect(calls).toEqual(['TransactWriteItemsCommand', 'UpdateItemCommand']);
      const record = await ledgerRecord(event.id);
      expect(record).toMatchObject({ status: 'completed', attempts: 1, source: 'webhook', deliveries: 2 });
      expect(record!.deliveryLog!.map((entry) => [entry.source, entry.receiveCount])).toEqual([['webhook', 1], ['eventbridge', 1]]);
      client.destroy();
    });

    it('counts a thin notification of a done event in the one UpdateItem that records its id beside the event', async () => {
      const { client, calls } = countingClient();
      const handler = createWorkerHandler(depsFor({ client, reads }).deps);
      const event = sampleEvent('payment_intent.succeeded');
      standIn.store.recordEvent(event);
      await handler({ Records: [sqsRecord(event)] });
      calls.length = 0;
      const thin = thinNotificationFor(event);

      expect(await handler({ Records: [thinRecord(thin)] })).toEqual({ batchItemFailures: [] });

      expect(calls).toEqual(['GetItemCommand', 'UpdateItemCommand']);
      expect(await ledgerRecord(event.id)).toMatchObject({ status: 'completed', thinEventId: thin.id, deliveries: 2 });
      client.destroy();
    });

    it('counts a failing message once, on its first receive: its retries are attempts', async () => {
      const failing = createRegistry({ 'payout.paid': () => { throw new Error('bank API down'); } });
      const event = sampleEvent('payout.paid');
      const receive = (receiveCount: number) => sqsRecord(event, { messageId: 'the-one-message', receiveCount });

      for (const receiveCount of [1, 2, 3]) await createWorkerHandler(depsFor({ registry: failing }).deps)({ Records: [receive(receiveCount)] });
      expect(await ledgerRecord(event.id)).toMatchObject({ status: 'failed', attempts: 3, deliveries: 1 });

      expect(await createWorkerHandler(depsFor().deps)({ Records: [receive(4)] })).toEqual({ batchItemFailures: [] });
      const record = await ledgerRecord(event.id);
      expect(record).toMatchObject({ status: 'completed', attempts: 4, deliveries: 1 });
      expect(record!.deliveryLog).toHaveLength(1);
    });

    it('counts a delivery that finds another holding the lease, and not its retry', async () => {
      const calls: string[] = [];
      let release!: () => void;
      const blocked = new Promise<void>((resolve) => (release = resolve));
      const { deps } = depsFor({ registry: externalRegistry(calls, () => blocked) });
      const event = sampleEvent('customer.created');

      const first = processSnapshot(event, { receiveCount: 1 }, deps);
      await waitFor(async () => (await ledgerRecord(event.id))?.status === 'processing');
      await expect(processSnapshot(event, { receiveCount: 1 }, deps)).rejects.toBeInstanceOf(LeaseHeldError);
      release();
      expect(await first).toBe('completed');
      expect(await processSnapshot(event, { receiveCount: 2 }, deps)).toBe('duplicate');

      expect(await ledgerRecord(event.id)).toMatchObject({ status: 'completed', attempts: 1, deliveries: 2 });
      expect(calls).toEqual([event.id]);
    });

    it(`logs the first ${DELIVERY_LOG_LIMIT} deliveries and counts on, and does the event once`, async () => {
      const handler = createWorkerHandler(depsFor().deps);
      const event = sampleEvent('payout.paid', { object: { amount: 700 } });

      for (let delivery = 0; delivery < DELIVERY_LOG_LIMIT + 5; delivery++) expect(await handler({ Records: [sqsRecord(event)] })).toEqual({ batchItemFailures: [] });

      const record = await ledgerRecord(event.id);
      expect(record).toMatchObject({ status: 'completed', attempts: 1, deliveries: DELIVERY_LOG_LIMIT + 5 });
      expect(record!.deliveryLog).toHaveLength(DELIVERY_LOG_LIMIT);
      expect((await ledgerEntries()).find((item) => item.sk === 'total#usd')).toMatchObject({ amount: 700, entries: 1 });
    });

    it('acknowledges a duplicate whose count fails, and says so in a warning', async () => {
      const client = newClient();
      const { deps, log } = depsFor({ client });
      const handler = createWorkerHandler(deps);
      const event = sampleEvent('payout.paid');
      await handler({ Records: [sqsRecord(event)] });
      const fault = injectFault(client, { command: 'UpdateItemCommand', error: () => new ProvisionedThroughputExceededException({ message: 'Rate of requests exceeds the allowed throughput', $metadata: {} }) });

      expect(await handler({ Records: [sqsRecord(event)] })).toEqual({ batchItemFailures: [] });

      expect(fault.injected).toBe(1);
      expect(log.entries.filter((entry) => entry.level === 'warn')).toEqual([expect.objectContaining({ message: expect.stringContaining('Could not count'), attributes: expect.objectContaining({ eventId: event.id }) })]);
      expect(await ledgerRecord(event.id)).toMatchObject({ status: 'completed', deliveries: 1 });
      client.destroy();
    });
  });
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
