/**
 * Listing a stage's events without scanning its ledger: by the hour they were received
 * (RECEIVED_INDEX, 16 shards an hour, keys and type only), the failed ones (FAILED_INDEX, sparse, whole
 * items), and the ones about a Stripe object (OBJECT_INDEX, keys only). Each index partition is read
 * newest first, a page at a time, and the partitions are merged as they are read, so that a listing
 * reads about as much as it shows: the hours are walked from the newest and the walk stops as soon as
 * the listing is full. The events' other attributes are read from the ledger by key. The local stack
 * creates the same indexes, so the same queries serve it.
 */
import { QueryCommand, type AttributeValue, type DynamoDBClient, type QueryCommandInput } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { FAILED_INDEX, OBJECT_INDEX, RECEIVED_INDEX } from '../functions/shared/resources';
import type { LedgerRecord } from '../functions/worker/ledger';
import type { EventStatus } from '../functions/worker/ledger-rules';
import { explainingAccess } from './access-errors';
import { KEYS_PER_BATCH, eventSummary, getLedgerRecords, type EventSummary } from './ledger-reads';

type Item = Record<string, AttributeValue>;

export interface EventQuery {
  /** Events received at or after this time, in epoch milliseconds. */
  readonly since: number;
  /** Events received at or before this time, in epoch milliseconds. @default now */
  readonly until?: number;
  readonly status?: EventStatus;
  readonly type?: string;
  /** The newest this many events. */
  readonly limit: number;
}

const HOUR_MS = 3_600_000;

/** The longest range one listing walks: 30 days, as long as Stripe keeps events (the ledger keeps them 90). */
export const MAX_RANGE_HOURS = 720;

/**
 * Refuses a range that ends before it starts or spans more than MAX_RANGE_HOURS whole hours: walking
 * the received-by-hour index costs 16 queries an hour, found or not.
 *
 * @throws RangeError saying what to narrow
 */
export function checkRange(since: number, until: number): void {
  if (!(since <= until)) throw new RangeError(`The range starts (${iso(since)}) after it ends (${iso(until)})`);
  const hours = Math.floor((until - since) / HOUR_MS);
  if (hours > MAX_RANGE_HOURS) {
    throw new RangeError(`The range ${iso(since)} → ${iso(until)} spans ${hours} hours: one listing covers at most ${MAX_RANGE_HOURS} (30 days, as long as Stripe keeps events); narrow it`);
  }
}

/**
 * The newest `limit` events received between `since` and `until`, newest first; of a status and a
 * type when given. Failed events come from their own sparse index; any other listing walks the
 * received-by-hour index from `until` back, an hour (16 shards, in parallel) at a time, and reads the
 * events it finds from the ledger by key, until it has `limit` of them or passes `since`.
 *
 * @throws RangeError when the range is longer than 30 days (checkRange)
 * @throws AccessError when the operator's credentials lack a permission it needs
 *
 * @example
 * await listEvents(db, 'prod-stripe-event-ledger', { since: Date.now() - 24 * 3_600_000, status: 'failed', limit: 50 });
 */
export async function listEvents(db: DynamoDBClient, ledgerTableName: string, query: EventQuery): Promise<EventSummary[]> {
  const until = query.until ?? Date.now();
  checkRange(query.since, until);
  const received = { from: iso(query.since), to: iso(until) };
  const index = explainingAccess(db, 'to list events');
  // A page is never larger than the listing needs, unless a filter may leave most of it out: then a
  // batch's worth, so that a sparse type or status costs a few larger reads rather than many of one item.
  const pageSize = (needed: number) => (query.type || (query.status && query.status !== 'failed') ? Math.max(needed, KEYS_PER_BATCH) : needed);
  if (query.status === 'failed') {
    const shards = shardNames(FAILED_INDEX.shards).map((shard) => new PartitionReader(index, partitionQuery(ledgerTableName, FAILED_INDEX, shard, received, query.type), pageSize(query.limit)));
    // The failed-events index holds whole items: nothing more to read.
    return (await take(newestFirst(shards), query.limit)).map((item) => eventSummary(unmarshall(item) as LedgerRecord));
  }
  const ledger = explainingAccess(db, 'to read the events listed');
  const events: EventSummary[] = [];
  const remaining = () => query.limit - events.length;
  for (const hour of hoursNewestFirst(query.since, until)) {
    // The index's key for the hour's shards, as receivedHour() (resources.ts) writes it.
    const shards = shardNames(RECEIVED_INDEX.shards).map((shard) => new PartitionReader(index, partitionQuery(ledgerTableName, RECEIVED_INDEX, `${hour}#${shard}`, received, query.type), pageSize(remaining())));
    const keys = newestFirst(shards);
    for (;;) {
      // A status is known only from the whole records: with one, keys are read a batch's worth at a time, as many may not match.
      const batch = await take(keys, query.status ? Math.max(remaining(), KEYS_PER_BATCH) : remaining());
      if (batch.length === 0) break;
      const records = await getLedgerRecords(ledger, ledgerTableName, batch.map(eventIdOf));
      events.push(...records.filter((record) => !query.status || record.status === query.status).map(eventSummary));
      if (remaining() <= 0) return events.slice(0, query.limit);
    }
  }
  return events;
}

/**
 * The newest `limit` events about a Stripe object (`pi_…`, `sub_…`, `cus_…`), newest first.
 *
 * @throws AccessError when the operator's credentials lack a permission it needs
 */
export async function findByObject(db: DynamoDBClient, ledgerTableName: string, objectId: string, limit: number): Promise<EventSummary[]> {
  const partition = new PartitionReader(explainingAccess(db, 'to find the events about an object'), partitionQuery(ledgerTableName, OBJECT_INDEX, objectId), limit);
  const keys = await take(newestFirst([partition]), limit);
  return (await getLedgerRecords(explainingAccess(db, 'to read the events listed'), ledgerTableName, keys.map(eventIdOf))).map(eventSummary);
}

/** One index partition, read newest first a page at a time, as the merge asks for more. */
class PartitionReader {
  private items: Item[] = [];
  private startKey: Item | undefined;
  private exhausted = false;

  constructor(
    private readonly db: Pick<DynamoDBClient, 'send'>,
    private readonly query: QueryCommandInput,
    /** The most this partition can contribute: a page of it is never more. */
    private readonly pageSize: number,
  ) {}

  /** The newest item not yet taken, reading pages until there is one (a filter may empty a page) or the partition ends. */
  async head(): Promise<Item | undefined> {
    while (this.items.length === 0 && !this.exhausted) {
      const page = await this.db.send(new QueryCommand({ ...this.query, Limit: this.pageSize, ...(this.startKey ? { ExclusiveStartKey: this.startKey } : {}) }));
      this.items = page.Items ?? [];
      this.startKey = page.LastEvaluatedKey;
      this.exhausted = page.LastEvaluatedKey === undefined;
    }
    return this.items[0];
  }

  take(): Item {
    return this.items.shift()!;
  }
}

/** The items of the partitions, newest first by receivedAt; each partition is read only when its next item is needed. */
async function* newestFirst(partitions: readonly PartitionReader[]): AsyncGenerator<Item> {
  for (;;) {
    const heads = await Promise.all(partitions.map((partition) => partition.head()));
    let newest: number | undefined;
    heads.forEach((head, index) => {
      if (head && (newest === undefined || receivedAtOf(head) > receivedAtOf(heads[newest]!))) newest = index;
    });
    if (newest === undefined) return;
    yield partitions[newest]!.take();
  }
}

/** The next `count` items (fewer when they run out); the rest stay for the next call. */
async function take<T>(items: AsyncGenerator<T>, count: number): Promise<T[]> {
  const taken: T[] = [];
  while (taken.length < count) {
    const next = await items.next();
    if (next.done) break;
    taken.push(next.value);
  }
  return taken;
}

/** A query of one partition of `index`, newest first; within `received` (ISO times) and of `type` when given. */
function partitionQuery(
  ledgerTableName: string,
  index: { readonly name: string; readonly partitionKey: { readonly name: string }; readonly sortKey: { readonly name: string } },
  partition: string,
  received?: { readonly from: string; readonly to: string },
  type?: string,
): QueryCommandInput {
  return {
    TableName: ledgerTableName,
    IndexName: index.name,
    KeyConditionExpression: received ? '#partition = :partition AND #received BETWEEN :from AND :to' : '#partition = :partition',
    ...(type ? { FilterExpression: '#type = :type' } : {}),
    ExpressionAttributeNames: { '#partition': index.partitionKey.name, ...(received ? { '#received': index.sortKey.name } : {}), ...(type ? { '#type': 'type' } : {}) },
    ExpressionAttributeValues: {
      ':partition': { S: partition },
      ...(received ? { ':from': { S: received.from }, ':to': { S: received.to } } : {}),
      ...(type ? { ':type': { S: type } } : {}),
    },
    ScanIndexForward: false,
  };
}

/** The hours (`2026-11-24T10`) from the one holding `until` back to the one holding `since`. */
function* hoursNewestFirst(since: number, until: number): Generator<string> {
  for (let hour = Math.floor(until / HOUR_MS) * HOUR_MS; hour >= Math.floor(since / HOUR_MS) * HOUR_MS; hour -= HOUR_MS) {
    yield new Date(hour).toISOString().slice(0, 13);
  }
}

const shardNames = (shards: number) => Array.from({ length: shards }, (_, shard) => String(shard));
const eventIdOf = (item: Item) => item.eventId!.S!;
const receivedAtOf = (item: Item) => item.receivedAt?.S ?? '';
const iso = (ms: number) => new Date(ms).toISOString();
