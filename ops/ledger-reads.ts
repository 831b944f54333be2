/**
 * Reading the event ledger: one event's record, and records by id, with what a listing and an event's
 * page show of them. The listings themselves go through the ledger's indexes (event-queries.ts).
 */
import { BatchGetItemCommand, GetItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { LEDGER_TABLE } from '../functions/shared/resources';
import type { DeliveryLogEntry, LedgerRecord } from '../functions/worker/ledger';
import type { EventStatus } from '../functions/worker/ledger-rules';

export const EVENT_STATUSES: readonly EventStatus[] = ['processing', 'completed', 'ignored', 'failed'];

/** What a listing shows of an event. */
export interface EventSummary {
  readonly id: string;
  readonly type: string;
  readonly status: EventStatus;
  readonly attempts: number;
  /** Distinct deliveries of the event (Stripe's retries, its other forms and ways in); 1 for events recorded before they were counted. */
  readonly deliveries: number;
  /** Deliveries recognised as the same event and done nothing for: `deliveries - 1`. */
  readonly duplicatesAbsorbed: number;
  readonly source?: string;
  /** snapshot or thin: the form the event that did the work came in. */
  readonly form?: string;
  /** The thin notification folded into this snapshot event, when one came. */
  readonly thinEventId?: string;
  readonly livemode?: boolean;
  readonly account?: string;
  /** The Stripe object the event is about (`pi_…`, `sub_…`). */
  readonly objectId?: string;
  readonly lastError?: string;
  /** When Stripe created the event (ISO 8601). */
  readonly created?: string;
  readonly receivedAt?: string;
  readonly processedAt?: string;
  /** From Stripe's creation of the event to its receipt here: Stripe's delivery delay, retries included. */
  readonly receiptLatencyMs?: number;
  /** From Stripe's creation of the event to its completion (or its recording as ignored). */
  readonly completionLatencyMs?: number;
  readonly deadLetteredAt?: string;
}

/** What one event's page shows of its record: the summary, and each delivery. */
export interface EventRecordDetail extends EventSummary {
  /** The first deliveries, oldest first (the ledger keeps 20; `deliveries` counts on). */
  readonly deliveryLog: readonly DeliveryLogEntry[];
  /** Receives of the message that went to the dead-letter queue. */
  readonly deadLetterReceiveCount?: number;
  /** Projection writes skipped because a newer version was already stored. */
  readonly skippedWrites?: number;
}

export function eventSummary(record: LedgerRecord): EventSummary {
  const optional = <K extends keyof LedgerRecord>(key: K) => (record[key] === undefined ? {} : { [key]: record[key] });
  const deliveries = record.deliveries ?? 1;
  const createdMs = record.created === undefined ? undefined : record.created * 1000;
  const since = (time: string | undefined) => (createdMs === undefined || time === undefined ? undefined : Date.parse(time) - createdMs);
  const receiptLatencyMs = since(record.receivedAt);
  const completionLatencyMs = since(record.processedAt);
  return {
    id: record.eventId,
    type: record.type,
    status: record.status,
    attempts: record.attempts ?? 0,
    deliveries,
    duplicatesAbsorbed: deliveries - 1,
    ...optional('source'),
    ...optional('form'),
    ...optional('thinEventId'),
    ...optional('livemode'),
    ...optional('account'),
    ...optional('objectId'),
    ...optional('lastError'),
    ...(createdMs === undefined ? {} : { created: new Date(createdMs).toISOString() }),
    ...optional('receivedAt'),
    ...optional('processedAt'),
    ...(receiptLatencyMs === undefined ? {} : { receiptLatencyMs }),
    ...(completionLatencyMs === undefined ? {} : { completionLatencyMs }),
    ...optional('deadLetteredAt'),
  };
}

export function eventRecordDetail(record: LedgerRecord): EventRecordDetail {
  return {
    ...eventSummary(record),
    deliveryLog: record.deliveryLog ?? [],
    ...(record.deadLetterReceiveCount === undefined ? {} : { deadLetterReceiveCount: record.deadLetterReceiveCount }),
    ...(record.skippedWrites ? { skippedWrites: record.skippedWrites } : {}),
  };
}

/** One event's ledger record, read strongly consistent; undefined when the ledger has never seen it. */
export async function getLedgerRecord(db: DynamoDBClient, ledgerTableName: string, eventId: string): Promise<LedgerRecord | undefined> {
  const { Item } = await db.send(new GetItemCommand({ TableName: ledgerTableName, Key: { eventId: { S: eventId } }, ConsistentRead: true }));
  return Item ? (unmarshall(Item) as LedgerRecord) : undefined;
}

/** DynamoDB's limit of keys per BatchGetItem. */
export const KEYS_PER_BATCH = 100;
/** Rounds of a batch's unprocessed keys before giving up: DynamoDB leaves keys unread when throttled. */
const MAX_BATCH_ROUNDS = 8;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The ledger records of `eventIds`, in that order; an id the ledger does not have (any more: its TTL
 * ran out) is left out. Eventually consistent, 100 keys a call; keys DynamoDB leaves unprocessed are
 * asked again with backoff.
 *
 * @throws Error when keys stay unprocessed after 8 rounds (the table is throttled): try again later.
 */
export async function getLedgerRecords(db: DynamoDBClient, ledgerTableName: string, eventIds: readonly string[], sleep: (ms: number) => Promise<unknown> = pause): Promise<LedgerRecord[]> {
  const key = LEDGER_TABLE.partitionKey.name;
  const found = new Map<string, LedgerRecord>();
  const unique = [...new Set(eventIds)];
  for (let start = 0; start < unique.length; start += KEYS_PER_BATCH) {
    let keys: Record<string, AttributeValue>[] = unique.slice(start, start + KEYS_PER_BATCH).map((id) => ({ [key]: { S: id } }));
    for (let round = 1; ; round++) {
      const { Responses = {}, UnprocessedKeys = {} } = await db.send(new BatchGetItemCommand({ RequestItems: { [ledgerTableName]: { Keys: keys } } }));
      for (const item of Responses[ledgerTableName] ?? []) {
        const record = unmarshall(item) as LedgerRecord;
        found.set(record.eventId, record);
      }
      keys = UnprocessedKeys[ledgerTableName]?.Keys ?? [];
      if (keys.length === 0) break;
      if (round === MAX_BATCH_ROUNDS) throw new Error(`DynamoDB left ${keys.length} ledger records unread after ${MAX_BATCH_ROUNDS} tries (the table is throttled): try again in a moment`);
      await sleep(Math.min(50 * 2 ** round, 2_000));
    }
  }
  return eventIds.flatMap((id) => found.get(id) ?? []);
}
