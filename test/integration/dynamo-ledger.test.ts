/**
 * The DynamoDB ledger against DynamoDB Local: its condition expressions do exactly what the pure rules
 * say (every cell of the table in helpers/ledger-cases.ts), and its lease is safe under the faults
 * that the rules exist for; every write keeps the keys of the ledger's indexes true, and counts the
 * deliveries it is made for.
 */
import { PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { createDynamoDbClient } from '../../functions/shared/clients';
import { FAILED_INDEX, OBJECT_INDEX, RECEIVED_INDEX, failedShard, receivedHour, type IndexDefinition } from '../../functions/shared/resources';
import { DynamoLedger } from '../../functions/worker/dynamo-ledger';
import { DELIVERY_LOG_LIMIT, type LedgerEvent, type LedgerRecord } from '../../functions/worker/ledger';
import type { DirectClaim, HolderClaim, LeaseClaim } from '../../functions/worker/ledger-rules';
import { LOCAL_AWS } from '../../local/emulators';
import { emulatorEndpoints, freshResources, getItem } from '../helpers/aws';
import { ME, NOW, OTHER, WRITES, cells } from '../helpers/ledger-cases';
import { recordingLog } from '../helpers/recorders';

describe('DynamoLedger', () => {
  const db = createDynamoDbClient({ endpoint: emulatorEndpoints().dynamodb, ...LOCAL_AWS });
  let ledgerTableName: string;
  let ledger: DynamoLedger;
  let options: { ledgerTableName: string; projectionsTableName: string; retentionDays: number };

  beforeAll(async () => {
    const resources = await freshResources();
    ledgerTableName = resources.ledgerTableName;
    options = { ledgerTableName, projectionsTableName: resources.projectionsTableName, retentionDays: 90 };
    ledger = new DynamoLedger(db, options);
  });
  afterAll(() => db.destroy());

  let sequence = 0;
  const eventOf = (): LedgerEvent => ({ id: `evt_rules${++sequence}`, type: 'payout.paid', created: 1_760_000_000, livemode: false, source: 'webhook' });

  describe('agrees with the pure rules on every cell of the table', () => {
    it.each(cells().map((cell) => [cell.expected ? 'applies' : 'refuses', cell.write, cell.state, cell]))('%s "%s" from %s', async (_, __, ___, cell) => {
      const event = eventOf();
      const before = '2000-01-01T00:00:00.000Z';
      if (cell.record) {
        await db.send(new PutItemCommand({ TableName: ledgerTableName, Item: marshall({ eventId: event.id, type: event.type, attempts: 1, updatedAt: before, ...cell.record }) }));
      }
      const { kind, claim } = WRITES[cell.write]!;

      // Refusals surface as outcomes or errors; what counts here is whether the item was written.
      const write = async (): Promise<unknown> => {
        if (kind === 'finish') return ledger.commit(event, [], claim as DirectClaim | HolderClaim, NOW);
        if (kind === 'lease') return ledger.acquireLease(event, claim as LeaseClaim, 60_000, NOW);
        return ledger.recordFailure(event, 'Error: boom', claim, NOW);
      };
      await write().catch(() => undefined);

      const written = (await getItem<LedgerRecord>(db, ledgerTableName, { eventId: event.id }))?.updatedAt === new Date(NOW).toISOString();
      expect(written).toBe(cell.expected);
    });
  });

  const record = (event: LedgerEvent) => getItem<LedgerRecord>(db, ledgerTableName, { eventId: event.id });
  const put = (event: LedgerEvent, item: Record<string, unknown>) =>
    db.send(new PutItemCommand({ TableName: ledgerTableName, Item: marshall({ eventId: event.id, type: event.type, attempts: 1, updatedAt: '2000-01-01T00:00:00.000Z', receivedAt: '2000-01-01T00:00:00.000Z', ...item }) }));
  /** The ledger items under `key` in one of its indexes, as the index holds them. */
  async function inIndex(index: IndexDefinition, key: string): Promise<Record<string, unknown>[]> {
    const { Items = [] } = await db.send(
      new QueryCommand({
        TableName: ledgerTableName,
        IndexName: index.name,
        KeyConditionExpression: '#key = :key',
        ExpressionAttributeNames: { '#key': index.partitionKey.name },
        ExpressionAttributeValues: { ':key': { S: key } },
      }),
    );
    return Items.map((item) => unmarshall(item));
  }
  const idsIn = async (index: IndexDefinition, key: string) => (await inIndex(index, key)).map((item) => item.eventId);

  /** A ledger over a client of its own, which counts the requests it sends, by command. */
  function countingLedger() {
    const client = createDynamoDbClient({ endpoint: emulatorEndpoints().dynamodb, ...LOCAL_AWS });
    const calls: string[] = [];
    client.middlewareStack.add((next, context) => async (args) => {
      calls.push(context.commandName!);
      return next(args);
    }, { step: 'initialize' });
    return { ledger: new DynamoLedger(client, options), calls, destroy: () => client.destroy() };
  }

  /** Every write that may create the item, on a new event, through `ledger` or another. */
  const CREATING_WRITES: readonly [string, (event: LedgerEvent, now: number, through?: DynamoLedger) => Promise<unknown>][] = [
    ['commit', (event, now, through = ledger) => through.commit(event, [], { kind: 'direct' }, now)],
    ['the combined commit', (event, now, through = ledger) => through.commitTogether([{ event, writes: [] }, { event: { ...event, id: `${event.id}x` }, writes: [] }], now)],
    ['recordIgnored', (event, now, through = ledger) => through.recordIgnored(event, { kind: 'direct' }, now)],
    ['acquireLease', (event, now, through = ledger) => through.acquireLease(event, { kind: 'lease', owner: ME }, 60_000, now)],
    ['recordFailure', (event, now, through = ledger) => through.recordFailure(event, 'Error: boom', { kind: 'direct' }, now)],
    ['markDeadLettered', (event, now, through = ledger) => through.markDeadLettered(event, 5, now)],
  ];

  describe('the keys of the ledger\'s indexes', () => {
    it.each(CREATING_WRITES)('%s writes receivedHour from the receivedAt it writes, and the object id', async (_, write) => {
      const event: LedgerEvent = { ...eventOf(), receivedAt: '2026-11-24T10:59:59.999Z', objectId: 'pi_3Indexes' };

      await write(event, NOW);

      const item = await record(event);
      expect(item).toMatchObject({ receivedAt: '2026-11-24T10:59:59.999Z', receivedHour: receivedHour(event.id, '2026-11-24T10:59:59.999Z'), objectId: 'pi_3Indexes' });
      expect(item!.receivedHour).toMatch(/^2026-11-24T10#([0-9]|1[0-5])$/);
    });

    it.each(CREATING_WRITES)('%s takes both from its own time when the message says none, and writes no object id for an event about none', async (_, write) => {
      const event = eventOf();

      await write(event, NOW);

      const item = await record(event);
      const now = new Date(NOW).toISOString();
      expect(item).toMatchObject({ receivedAt: now, receivedHour: receivedHour(event.id, now) });
      expect(item).not.toHaveProperty('objectId');
    });

    it('keeps the first receivedAt and its hour when a later delivery, received in another hour, writes', async () => {
      const first: LedgerEvent = { ...eventOf(), receivedAt: '2026-11-24T10:59:59.999Z' };
      await ledger.recordFailure(first, 'Error: boom', { kind: 'direct' }, NOW);

      await ledger.commit({ ...first, receivedAt: '2026-11-24T11:00:00.000Z' }, [], { kind: 'direct' }, NOW + 1);

      expect(await record(first)).toMatchObject({ status: 'completed', receivedAt: '2026-11-24T10:59:59.999Z', receivedHour: receivedHour(first.id, '2026-11-24T10:59:59.999Z') });
    });

    it('lists events under the hour they were received in (received-by-hour), with their type', async () => {
      const receivedAt = '2026-11-25T08:15:00.000Z';
      const event = { ...eventOf(), receivedAt };
      const nextHour = { ...eventOf(), receivedAt: '2026-11-25T09:00:00.000Z' };
      await ledger.commit(event, [], { kind: 'direct' }, NOW);
      await ledger.commit(nextHour, [], { kind: 'direct' }, NOW);

      expect(await inIndex(RECEIVED_INDEX, receivedHour(event.id, receivedAt))).toContainEqual({ eventId: event.id, receivedHour: receivedHour(event.id, receivedAt), receivedAt, type: 'payout.paid' });
      expect(await idsIn(RECEIVED_INDEX, receivedHour(nextHour.id, receivedAt))).not.toContain(nextHour.id);
      expect(await idsIn(RECEIVED_INDEX, receivedHour(nextHour.id, nextHour.receivedAt))).toContain(nextHour.id);
    });

    it('lists an object\'s events (by-object), in the order they were received', async () => {
      const objectId = `pi_${Date.now()}`;
      const later = { ...eventOf(), objectId, receivedAt: '2026-11-25T10:00:00.000Z' };
      const earlier = { ...eventOf(), objectId, receivedAt: '2026-11-25T09:00:00.000Z' };
      const other = { ...eventOf(), objectId: `${objectId}other` };
      await ledger.commit(later, [], { kind: 'direct' }, NOW);
      await ledger.recordFailure(earlier, 'Error: boom', { kind: 'direct' }, NOW);
      await ledger.recordIgnored(other, { kind: 'direct' }, NOW);

      expect(await idsIn(OBJECT_INDEX, objectId)).toEqual([earlier.id, later.id]);
    });

    describe('failedShard, the failed-events key: set with the status failed, removed with any other', () => {
      it('puts a failed event in the failed-events index, and a later commit takes it out', async () => {
        const event = eventOf();
        await ledger.recordFailure(event, 'Error: boom', { kind: 'direct' }, NOW);
        expect(await record(event)).toMatchObject({ status: 'failed', failedShard: failedShard(event.id) });
        expect(await idsIn(FAILED_INDEX, failedShard(event.id))).toContain(event.id);

        await ledger.commit(event, [], { kind: 'direct' }, NOW);

        expect(await record(event)).not.toHaveProperty('failedShard');
        expect(await idsIn(FAILED_INDEX, failedShard(event.id))).not.toContain(event.id);
      });

      it.each([
        ['the combined commit', 'completed', (event: LedgerEvent) => ledger.commitTogether([{ event, writes: [] }, { event: eventOf(), writes: [] }], NOW)],
        ['recordIgnored', 'ignored', (event: LedgerEvent) => ledger.recordIgnored(event, { kind: 'direct' }, NOW)],
        ['acquireLease', 'processing', (event: LedgerEvent) => ledger.acquireLease(event, { kind: 'lease', owner: ME }, 60_000, NOW)],
      ])('is removed by %s', async (_, status, write) => {
        const event = eventOf();
        await ledger.recordFailure(event, 'Error: boom', { kind: 'direct' }, NOW);

        await write(event);

        const item = await record(event);
        expect(item?.status).toBe(status);
        expect(item).not.toHaveProperty('failedShard');
      });

      it('is set again when the lease holder fails, and removed when a holder commits', async () => {
        const failing = eventOf();
        const committing = eventOf();
        for (const event of [failing, committing]) await ledger.acquireLease(event, { kind: 'lease', owner: ME }, 60_000, NOW);

        await ledger.recordFailure(failing, 'Error: boom', { kind: 'holder', owner: ME }, NOW);
        await ledger.commit(committing, [], { kind: 'holder', owner: ME }, NOW);

        expect(await record(failing)).toMatchObject({ status: 'failed', failedShard: failedShard(failing.id) });
        expect(await record(committing)).not.toHaveProperty('failedShard');
      });

      describe('with the dead-letter note, which leaves the status as it is, or makes a new event failed', () => {
        it.each([
          ['a new event', 'failed', true, undefined],
          ['a failed event', 'failed', true, { status: 'failed', failedShard: 'stale' }],
          ['a completed event', 'completed', false, { status: 'completed' }],
          ['an ignored event', 'ignored', false, { status: 'ignored' }],
          ['an event another delivery holds the lease of', 'processing', false, { status: 'processing', leaseOwner: OTHER, leaseExpiresAt: NOW + 60_000 }],
        ] as const)('on %s: status %s, in failed-events: %s', async (_, status, listed, before) => {
          const event = eventOf();
          if (before) await put(event, before);

          await ledger.markDeadLettered(event, 5, NOW);

          const item = await record(event);
          expect(item).toMatchObject({ status, deadLetterReceiveCount: 5 });
          expect(item?.failedShard).toBe(listed ? failedShard(event.id) : undefined);
          expect(await idsIn(FAILED_INDEX, failedShard(event.id))).toEqual(listed ? expect.arrayContaining([event.id]) : expect.not.arrayContaining([event.id]));
        });
      });
    });
  });

  describe('deliveries', () => {
    const firstReceive = (): LedgerEvent => ({ ...eventOf(), source: 'eventbridge', receiveCount: 1 });
    const entry = (at = NOW) => ({ at: new Date(at).toISOString(), source: 'eventbridge', receiveCount: 1 });

    it.each(CREATING_WRITES.filter(([name]) => name !== 'markDeadLettered'))('%s counts a first receive and logs it (time, source, receive count) in its one request', async (_, write) => {
      const counting = countingLedger();
      const event = firstReceive();

      await write(event, NOW, counting.ledger);

      expect(counting.calls).toHaveLength(1);
      expect(await record(event)).toMatchObject({ deliveries: 1, deliveryLog: [entry()] });
      counting.destroy();
    });

    it('never counts a later receive of a message (an attempt), nor the dead-letter note', async () => {
      const event = { ...firstReceive(), receiveCount: 2 };
      await ledger.recordFailure(event, 'Error: boom', { kind: 'direct' }, NOW);
      await ledger.markDeadLettered({ ...event, receiveCount: 5 }, 5, NOW);
      await ledger.commit({ ...event, receiveCount: 3 }, [], { kind: 'direct' }, NOW);

      const item = await record(event);
      expect(item).toMatchObject({ status: 'completed', attempts: 2 });
      expect(item).not.toHaveProperty('deliveries');
      expect(item).not.toHaveProperty('deliveryLog');
    });

    it('counts a delivery that takes the lease once, not again when its holder commits or fails', async () => {
      const [committed, failed] = [firstReceive(), firstReceive()];
      for (const event of [committed, failed]) await ledger.acquireLease(event, { kind: 'lease', owner: ME }, 60_000, NOW);

      await ledger.commit(committed, [], { kind: 'holder', owner: ME }, NOW);
      await ledger.recordFailure(failed, 'Error: boom', { kind: 'holder', owner: ME }, NOW);

      for (const event of [committed, failed]) expect(await record(event)).toMatchObject({ deliveries: 1, deliveryLog: [entry()] });
    });

    it('counts a duplicate of a done event, and logs it after the first', async () => {
      const event = firstReceive();
      await ledger.commit(event, [], { kind: 'direct' }, NOW);

      expect(await ledger.commit({ ...event, source: 'webhook' }, [], { kind: 'direct' }, NOW + 1)).toEqual({ outcome: 'duplicate', status: 'completed' });
      expect(await ledger.recordIgnored(event, { kind: 'direct' }, NOW + 2)).toBe('duplicate');
      expect(await ledger.doneStatus(event, NOW + 3)).toBe('completed');

      expect(await record(event)).toMatchObject({ status: 'completed', attempts: 1, deliveries: 4, deliveryLog: [entry(), { ...entry(NOW + 1), source: 'webhook' }, entry(NOW + 2), entry(NOW + 3)] });
    });

    it('counts a delivery refused because another delivery holds the lease, whose retries will not count', async () => {
      const event = firstReceive();
      await ledger.acquireLease(event, { kind: 'lease', owner: OTHER }, 60_000, NOW);

      await expect(ledger.acquireLease(event, { kind: 'lease', owner: ME }, 60_000, NOW + 1)).rejects.toMatchObject({ name: 'LeaseHeldError' });

      expect(await record(event)).toMatchObject({ status: 'processing', leaseOwner: OTHER, deliveries: 2, deliveryLog: [entry(), entry(NOW + 1)] });
    });

    describe(`a log full with ${DELIVERY_LOG_LIMIT} entries`, () => {
      const fullLog = Array.from({ length: DELIVERY_LOG_LIMIT }, (_, index) => ({ at: new Date(NOW - 100 + index).toISOString(), source: 'webhook', receiveCount: 1 }));

      it.each([
        ['commit', 'completed', (event: LedgerEvent) => ledger.commit(event, [], { kind: 'direct' }, NOW)],
        ['the combined commit', 'completed', (event: LedgerEvent) => ledger.commitTogether([{ event, writes: [] }, { event: firstReceive(), writes: [] }], NOW)],
        ['recordIgnored', 'ignored', (event: LedgerEvent) => ledger.recordIgnored(event, { kind: 'direct' }, NOW)],
        ['acquireLease', 'processing', (event: LedgerEvent) => ledger.acquireLease(event, { kind: 'lease', owner: ME }, 60_000, NOW)],
        ['recordFailure', 'failed', (event: LedgerEvent) => ledger.recordFailure(event, 'Error: boom', { kind: 'direct' }, NOW)],
      ])('stays as it is while %s goes ahead and the count goes on', async (_, status, write) => {
        const event = firstReceive();
        await put(event, { status: 'failed', deliveries: 30, deliveryLog: fullLog });

        await write(event);
        // The combined commit leaves a refused group to one commit each, as the worker does.
        if (status === 'completed' && (await record(event))?.status === 'failed') await ledger.commit(event, [], { kind: 'direct' }, NOW);

        expect(await record(event)).toMatchObject({ status, deliveries: 31, deliveryLog: fullLog });
      });

      it('stays as it is while duplicates are counted, one UpdateItem each', async () => {
        const counting = countingLedger();
        const event = firstReceive();
        await put(event, { status: 'completed', deliveries: DELIVERY_LOG_LIMIT, deliveryLog: fullLog });

        for (let duplicate = 0; duplicate < 3; duplicate++) expect(await counting.ledger.commit(event, [], { kind: 'direct' }, NOW)).toMatchObject({ outcome: 'duplicate' });

        expect(counting.calls.filter((call) => call === 'UpdateItemCommand')).toHaveLength(3);
        expect(await record(event)).toMatchObject({ deliveries: DELIVERY_LOG_LIMIT + 3, deliveryLog: fullLog });
        counting.destroy();
      });

      it('that filled up after the refusal was read: the duplicate is counted alone', async () => {
        const event = firstReceive();
        await put(event, { status: 'completed', deliveries: DELIVERY_LOG_LIMIT - 1, deliveryLog: fullLog.slice(1) });
        const racing = createDynamoDbClient({ endpoint: emulatorEndpoints().dynamodb, ...LOCAL_AWS });
        // Another delivery's count lands between this one's refused commit and its count.
        racing.middlewareStack.add((next, context) => async (args) => {
          if (context.commandName === 'UpdateItemCommand') await put(event, { status: 'completed', deliveries: DELIVERY_LOG_LIMIT, deliveryLog: fullLog });
          return next(args);
        }, { step: 'initialize' });

        expect(await new DynamoLedger(racing, options).commit(event, [], { kind: 'direct' }, NOW)).toMatchObject({ outcome: 'duplicate' });

        expect(await record(event)).toMatchObject({ deliveries: DELIVERY_LOG_LIMIT + 1, deliveryLog: fullLog });
        racing.destroy();
      });
    });

    it('lets a duplicate\'s count fail with a warning, and still acknowledges the delivery', async () => {
      const event = firstReceive();
      await ledger.commit(event, [], { kind: 'direct' }, NOW);
      const failing = createDynamoDbClient({ endpoint: emulatorEndpoints().dynamodb, ...LOCAL_AWS });
      failing.middlewareStack.add((next, context) => async (args) => {
        if (context.commandName === 'UpdateItemCommand') throw Object.assign(new Error('Rate of requests exceeds the allowed throughput'), { name: 'ProvisionedThroughputExceededException' });
        return next(args);
      }, { step: 'initialize' });
      const log = recordingLog();

      expect(await new DynamoLedger(failing, { ...options, log }).commit(event, [], { kind: 'direct' }, NOW)).toEqual({ outcome: 'duplicate', status: 'completed' });

      expect(log.entries).toEqual([expect.objectContaining({ level: 'warn', attributes: expect.objectContaining({ eventId: event.id, error: expect.stringContaining('throughput') }) })]);
      expect(await record(event)).toMatchObject({ deliveries: 1 });
      failing.destroy();
    });
  });
});
