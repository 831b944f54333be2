/**
 * The local ops API (JSON, same port as the webhook): events from the ledger, the dead-letter queue
 * and its redrive, the business projections, readiness and fault injection.
 */
import { GetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { projectionKeys } from '../functions/shared/projection-keys';
import type { LedgerRecord } from '../functions/worker/ledger';
import { moveDeadLetters, peekDeadLetters } from '../scripts/dead-letters';
import type { Chaos, ChaosSettings } from './chaos';
import type { PipelineResources } from './create-resources';
import type { EventLog } from './event-log';
import { queryPartition, scanAll } from './table-reads';

export interface OpsDeps {
  readonly sqs: SQSClient;
  readonly db: DynamoDBClient;
  readonly resources: PipelineResources;
  readonly eventLog: EventLog;
  readonly chaos: Chaos;
  readonly isReady: () => boolean;
}

export interface JsonResponse {
  readonly status: number;
  readonly body: unknown;
}

export class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** Answers a request under /health or /api, or returns undefined when the path is not an ops route. */
export async function handleOps(method: string, url: URL, body: string, deps: OpsDeps): Promise<JsonResponse | undefined> {
  const path = url.pathname.replace(/\/+$/, '') || '/';
  const route = (pattern: RegExp, allowed: string) => {
    const match = pattern.exec(path);
    if (match && method !== allowed) throw new HttpError(405, `Use ${allowed} for ${path}`);
    return match;
  };
  let match: RegExpExecArray | null;
  try {
    if (route(/^\/health$/, 'GET')) {
      return deps.isReady() ? ok({ status: 'ready' }) : { status: 503, body: { status: 'starting' } };
    }
    if (route(/^\/api\/events$/, 'GET')) return ok(await listEvents(deps, url.searchParams));
    if ((match = route(/^\/api\/events\/([^/]+)$/, 'GET'))) return ok(await eventDetail(deps, decodeURIComponent(match[1]!)));
    if (route(/^\/api\/dlq$/, 'GET')) {
      const letters = await peekDeadLetters(deps.sqs, deps.resources.deadLetterQueueUrl, { holdSeconds: 5 });
      return ok({ count: letters.length, messages: letters.map(({ eventId, type, receiveCount }) => ({ eventId, type, receiveCount })) });
    }
    if (route(/^\/api\/dlq\/redrive$/, 'POST')) {
      const filter = parseJson<{ eventIds?: unknown; type?: unknown }>(body || '{}');
      if (filter.eventIds !== undefined && (!Array.isArray(filter.eventIds) || !filter.eventIds.every((id) => typeof id === 'string'))) {
        throw new HttpError(400, 'eventIds must be an array of event ids');
      }
      if (filter.type !== undefined && typeof filter.type !== 'string') throw new HttpError(400, 'type must be a string');
      const result = await moveDeadLetters(deps.sqs, {
        from: deps.resources.deadLetterQueueUrl,
        to: deps.resources.queueUrl,
        filter: { eventIds: filter.eventIds as string[] | undefined, type: filter.type as string | undefined },
      });
      return ok({ moved: result.moved });
    }
    if (route(/^\/api\/ledger$/, 'GET')) return ok(await accountingLedger(deps));
    if ((match = route(/^\/api\/payments\/([^/]+)$/, 'GET'))) return ok(await projection(deps, projectionKeys.payment(decodeURIComponent(match[1]!)), 'payment'));
    if ((match = route(/^\/api\/customers\/([^/]+)$/, 'GET'))) return ok(await customer(deps, decodeURIComponent(match[1]!)));
    if ((match = route(/^\/api\/disputes\/([^/]+)$/, 'GET'))) return ok(await projection(deps, projectionKeys.dispute(decodeURIComponent(match[1]!)), 'dispute'));
    if ((match = route(/^\/api\/orders\/([^/]+)$/, 'GET'))) return ok(await projection(deps, projectionKeys.order(decodeURIComponent(match[1]!)), 'order'));
    if (route(/^\/api\/balance$/, 'GET')) {
      const items = await projectionPartition(deps, 'balance');
      return ok({ currencies: Object.fromEntries(items.map(({ pk: _pk, sk: _sk, ...item }) => [item.currency, item])) });
    }
    if (route(/^\/api\/chaos$/, 'PUT')) {
      try {
        return ok(deps.chaos.update(parseJson<Partial<ChaosSettings>>(body)));
      } catch (error) {
        if (error instanceof RangeError) throw new HttpError(400, error.message);
        throw error;
      }
    }
    if (path === '/api/chaos' && method === 'GET') return ok(deps.chaos.current);
    if (path.startsWith('/api/')) throw new HttpError(404, `No route ${method} ${path}`);
    return undefined;
  } catch (error) {
    if (error instanceof HttpError) return { status: error.status, body: { error: { message: error.message } } };
    throw error;
  }
}

const ok = (body: unknown): JsonResponse => ({ status: 200, body });

function parseJson<T>(text: string): T {
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
    return value as T;
  } catch {
    throw new HttpError(400, 'Body must be a JSON object');
  }
}

const STATUSES = new Set(['processing', 'completed', 'ignored', 'failed']);

/** The ledger scanned (local tables are small), newest first. */
async function listEvents(deps: OpsDeps, query: URLSearchParams) {
  const status = query.get('status') ?? undefined;
  const type = query.get('type') ?? undefined;
  const limit = Number(query.get('limit') ?? 50);
  if (status && !STATUSES.has(status)) throw new HttpError(400, `status must be one of ${[...STATUSES].join(', ')}`);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new HttpError(400, 'limit must be a whole number from 1 to 1000');
  const records = await scanAll<LedgerRecord>(deps.db, deps.resources.ledgerTableName);
  const events = records
    .filter((record) => (!status || record.status === status) && (!type || record.type === type))
    .sort((a, b) => (b.receivedAt ?? '').localeCompare(a.receivedAt ?? ''))
    .slice(0, limit)
    .map(eventSummary);
  return { count: events.length, events };
}

function eventSummary(record: LedgerRecord) {
  return {
    id: record.eventId,
    type: record.type,
    status: record.status,
    attempts: record.attempts ?? 0,
    ...(record.lastError ? { lastError: record.lastError } : {}),
    receivedAt: record.receivedAt,
    ...(record.processedAt ? { processedAt: record.processedAt } : {}),
  };
}

async function eventDetail(deps: OpsDeps, eventId: string) {
  const { Item } = await deps.db.send(
    new GetItemCommand({ TableName: deps.resources.ledgerTableName, Key: { eventId: { S: eventId } }, ConsistentRead: true }),
  );
  if (!Item) throw new HttpError(404, `No event ${eventId} in the ledger`);
  const record = unmarshall(Item) as LedgerRecord;
  const payload = deps.eventLog.payload(eventId);
  return { ...eventSummary(record), ...(record.skippedWrites ? { skippedWrites: record.skippedWrites } : {}), ...(payload ? { payload: JSON.parse(payload) } : {}) };
}

function projectionPartition(deps: OpsDeps, pk: string): Promise<Record<string, unknown>[]> {
  return queryPartition(deps.db, deps.resources.projectionsTableName, pk);
}

async function projection(deps: OpsDeps, key: { pk: string; sk: string }, what: string) {
  const { Item } = await deps.db.send(
    new GetItemCommand({ TableName: deps.resources.projectionsTableName, Key: { pk: { S: key.pk }, sk: { S: key.sk } }, ConsistentRead: true }),
  );
  if (!Item) throw new HttpError(404, `No ${what} ${key.pk.split('#')[1]}`);
  const { pk: _pk, sk: _sk, ...item } = unmarshall(Item);
  return item;
}

async function customer(deps: OpsDeps, customerId: string) {
  const items = await projectionPartition(deps, projectionKeys.membership(customerId).pk);
  if (items.length === 0) throw new HttpError(404, `No customer ${customerId}`);
  const strip = ({ pk: _pk, sk: _sk, ...item }: Record<string, unknown>) => item;
  return {
    customerId,
    membership: items.filter((item) => item.sk === 'membership').map(strip)[0] ?? null,
    paymentMethods: items.filter((item) => String(item.sk).startsWith('payment_method#')).map(strip),
  };
}

async function accountingLedger(deps: OpsDeps) {
  const items = await projectionPartition(deps, 'ledger');
  const entries = items
    .filter((item) => String(item.sk).startsWith('entry#'))
    .map(({ pk: _pk, sk: _sk, ...entry }) => entry)
    .sort((a, b) => Number(a.created) - Number(b.created));
  const totals = Object.fromEntries(
    items.filter((item) => String(item.sk).startsWith('total#')).map((item) => [item.currency, { amount: item.amount, entries: item.entries }]),
  );
  return { entries, totals };
}
