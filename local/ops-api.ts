/**
 * The local ops API (JSON, same port as the webhook): events from the ledger, the dead-letter queue
 * and its redrive, a reconcile with the Stripe API, the business projections, readiness and fault
 * injection. Each route is a thin
 * adapter over the ops library (ops/), which the redrive CLI and the stage console use as well.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { projectionKeys } from '../functions/shared/projection-keys';
import type { StripeApi } from '../functions/shared/stripe-api';
import { registry } from '../functions/worker/actions';
import type { EventStatus } from '../functions/worker/ledger-rules';
import { assertHandledTypes, backfill, parseTime } from '../ops/backfill';
import { listDeadLetters, moveDeadLetters } from '../ops/dead-letters';
import { EVENT_STATUSES, eventSummary, getLedgerRecord, listLedgerEvents } from '../ops/ledger-reads';
import { getAccountingLedger, getBalance, getCustomer, getProjection } from '../ops/projection-reads';
import type { PipelineResources } from '../ops/stage';
import type { Chaos, ChaosSettings } from './chaos';
import type { EventLog } from './event-log';

export interface OpsDeps {
  readonly sqs: SQSClient;
  readonly db: DynamoDBClient;
  readonly resources: PipelineResources;
  readonly eventLog: EventLog;
  readonly chaos: Chaos;
  /** The Stripe API the reconcile reads (the stand-in, or STRIPE_API_BASE). */
  readonly stripeApi: StripeApi;
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
    if (route(/^\/api\/dlq$/, 'GET')) return ok(await deadLetters(deps));
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
      return ok({ moved: result.moved, failed: result.failed, notFound: result.notFound });
    }
    if (route(/^\/api\/reconcile$/, 'POST')) return ok(await reconcileNow(deps, parseJson(body || '{}')));
    const projections = deps.resources.projectionsTableName;
    if (route(/^\/api\/ledger$/, 'GET')) return ok(await getAccountingLedger(deps.db, projections));
    if ((match = route(/^\/api\/payments\/([^/]+)$/, 'GET'))) return ok(await projection(deps, projectionKeys.payment(decodeURIComponent(match[1]!)), 'payment'));
    if ((match = route(/^\/api\/customers\/([^/]+)$/, 'GET'))) {
      const customerId = decodeURIComponent(match[1]!);
      return ok(found(await getCustomer(deps.db, projections, customerId), `No customer ${customerId}`));
    }
    if ((match = route(/^\/api\/disputes\/([^/]+)$/, 'GET'))) return ok(await projection(deps, projectionKeys.dispute(decodeURIComponent(match[1]!)), 'dispute'));
    if ((match = route(/^\/api\/orders\/([^/]+)$/, 'GET'))) return ok(await projection(deps, projectionKeys.order(decodeURIComponent(match[1]!)), 'order'));
    if (route(/^\/api\/balance$/, 'GET')) return ok(await getBalance(deps.db, projections));
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

/** Events newest first, filtered by status and type. */
async function listEvents(deps: OpsDeps, query: URLSearchParams) {
  const status = query.get('status') ?? undefined;
  const type = query.get('type') ?? undefined;
  const limit = Number(query.get('limit') ?? 50);
  if (status && !EVENT_STATUSES.includes(status as EventStatus)) throw new HttpError(400, `status must be one of ${EVENT_STATUSES.join(', ')}`);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new HttpError(400, 'limit must be a whole number from 1 to 1000');
  const events = await listLedgerEvents(deps.db, deps.resources.ledgerTableName, { status: status as EventStatus | undefined, type, limit });
  return { count: events.length, events };
}

/** One event's ledger record, and its payload when this server received it. */
async function eventDetail(deps: OpsDeps, eventId: string) {
  const record = found(await getLedgerRecord(deps.db, deps.resources.ledgerTableName, eventId), `No event ${eventId} in the ledger`);
  const payload = deps.eventLog.payload(eventId);
  return { ...eventSummary(record), ...(record.skippedWrites ? { skippedWrites: record.skippedWrites } : {}), ...(payload ? { payload: JSON.parse(payload) } : {}) };
}

/** The dead letters the ledger notes, and how many messages the queue holds (no message is received). */
async function deadLetters(deps: OpsDeps) {
  const { letters, queued } = await listDeadLetters(deps, deps.resources);
  return {
    count: letters.length,
    queued,
    messages: letters.map(({ id, type, status, receiveCount, deadLetteredAt, lastError }) => ({ eventId: id, type, status, receiveCount, deadLetteredAt, ...(lastError ? { lastError } : {}) })),
  };
}

/**
 * Reconciles with the Stripe API now (the console's "Reconcile now"): every settled event since
 * `since` (default 30 days, all Stripe keeps) that the ledger has not seen is queued. Nothing is left
 * to settle locally, where events are sent by hand.
 */
async function reconcileNow(deps: OpsDeps, request: { since?: unknown; types?: unknown; undeliveredOnly?: unknown; dryRun?: unknown }) {
  const now = Date.now();
  let since: number;
  try {
    since = parseTime(typeof request.since === 'string' ? request.since : '30d', now);
  } catch (error) {
    throw new HttpError(400, (error as Error).message);
  }
  if (request.types !== undefined && (!Array.isArray(request.types) || !request.types.every((type) => typeof type === 'string'))) {
    throw new HttpError(400, 'types must be an array of event types');
  }
  try {
    assertHandledTypes((request.types as string[] | undefined) ?? []);
  } catch (error) {
    throw new HttpError(400, (error as Error).message);
  }
  const report = await backfill(
    { api: deps.stripeApi, db: deps.db, sqs: deps.sqs, resources: deps.resources },
    { since, settleSeconds: 0, types: (request.types as string[] | undefined) ?? registry.snapshotTypes, undeliveredOnly: request.undeliveredOnly === true, dryRun: request.dryRun === true },
  );
  const iso = (seconds: number) => new Date(seconds * 1000).toISOString();
  return {
    ...(report.scope ? { from: iso(report.scope.from), to: iso(report.scope.to) } : {}),
    resumed: report.resumed,
    ...report.progress,
    queued: report.queued.map(({ id, type }) => ({ eventId: id, type })),
  };
}

async function projection(deps: OpsDeps, key: { pk: string; sk: string }, what: string) {
  return found(await getProjection(deps.db, deps.resources.projectionsTableName, key), `No ${what} ${key.pk.split('#')[1]}`);
}

function found<T>(value: T | undefined, message: string): T {
  if (value === undefined) throw new HttpError(404, message);
  return value;
}
