/**
 * Reading the event ledger: one event's record, and events filtered by status and type. Serves the
 * local ops API, the redrive CLI and the stage console.
 */
import { GetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { LedgerRecord } from '../functions/worker/ledger';
import type { EventStatus } from '../functions/worker/ledger-rules';
import { scanAll } from './table-reads';

export const EVENT_STATUSES: readonly EventStatus[] = ['processing', 'completed', 'ignored', 'failed'];

/** What a listing shows of an event. */
export interface EventSummary {
  readonly id: string;
  readonly type: string;
  readonly status: EventStatus;
  readonly attempts: number;
  readonly source?: string;
  /** snapshot or thin: the form the event that did the work came in. */
  readonly form?: string;
  /** The thin notification folded into this snapshot event, when one came. */
  readonly thinEventId?: string;
  readonly livemode?: boolean;
  readonly account?: string;
  readonly lastError?: string;
  readonly receivedAt?: string;
  readonly processedAt?: string;
  readonly deadLetteredAt?: string;
}

export function eventSummary(record: LedgerRecord): EventSummary {
  const optional = <K extends keyof LedgerRecord>(key: K) => (record[key] === undefined ? {} : { [key]: record[key] });
  return {
    id: record.eventId,
    type: record.type,
    status: record.status,
    attempts: record.attempts ?? 0,
    ...optional('source'),
    ...optional('form'),
    ...optional('thinEventId'),
    ...optional('livemode'),
    ...optional('account'),
    ...optional('lastError'),
    ...optional('receivedAt'),
    ...optional('processedAt'),
    ...optional('deadLetteredAt'),
  };
}

/** One event's ledger record, read strongly consistent; undefined when the ledger has never seen it. */
export async function getLedgerRecord(db: DynamoDBClient, ledgerTableName: string, eventId: string): Promise<LedgerRecord | undefined> {
  const { Item } = await db.send(new GetItemCommand({ TableName: ledgerTableName, Key: { eventId: { S: eventId } }, ConsistentRead: true }));
  return Item ? (unmarshall(Item) as LedgerRecord) : undefined;
}

export interface EventFilter {
  readonly status?: EventStatus;
  readonly type?: string;
  /** @default 50 */
  readonly limit?: number;
}

/**
 * Events newest first, by the time they were received. Scans the ledger: for the local stack, whose
 * ledger is small. A deployed stage's ledger needs indexes for this (the stage console adds them).
 */
export async function listLedgerEvents(db: DynamoDBClient, ledgerTableName: string, filter: EventFilter = {}): Promise<EventSummary[]> {
  const records = await scanAll<LedgerRecord>(db, ledgerTableName);
  return records
    .filter((record) => (!filter.status || record.status === filter.status) && (!filter.type || record.type === filter.type))
    .sort((a, b) => (b.receivedAt ?? '').localeCompare(a.receivedAt ?? ''))
    .slice(0, filter.limit ?? 50)
    .map(eventSummary);
}
