/**
 * The console's JSON API, the same for the local stack (`npm start`) and for a deployed stage (`npm
 * run console`): events listed through the ledger's indexes, an event's detail and payload, search by
 * event or object id, the overview, the dead letters and their redrive (with a preview), a reconcile
 * over a time range, and the replay of a finished event. Each route is a thin adapter over the ops
 * library, which the CLIs use as well; where the two servers differ (how the overview is counted, the
 * payloads npm start kept) the target says.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { redactSecrets } from '../functions/shared/errors';
import type { StripeApi } from '../functions/shared/stripe-api';
import { registry } from '../functions/worker/actions';
import type { EventStatus } from '../functions/worker/ledger-rules';
import { accessErrorIn } from '../ops/access-errors';
import { assertHandledTypes, backfill, parseTime } from '../ops/backfill';
import { listDeadLetters } from '../ops/dead-letters';
import { eventDetail } from '../ops/event-detail';
import { checkRange, findByObject, listEvents } from '../ops/event-queries';
import { EVENT_STATUSES, eventSummary, getLedgerRecord } from '../ops/ledger-reads';
import type { Overview, OverviewRange } from '../ops/overview';
import { redrive } from '../ops/redrive';
import { planReplay, replayEvent, ReplayRefusedError } from '../ops/replay';
import type { PipelineResources } from '../ops/stage';

/** What the console works on: a deployed stage, or the local stack. */
export interface ConsoleTarget {
  /** `stage prod (eu-west-1)` or `the local stack`, shown in the page's header. */
  readonly name: string;
  readonly kind: 'stage' | 'local';
  readonly db: DynamoDBClient;
  readonly sqs: SQSClient;
  readonly resources: PipelineResources;
  /** The Stripe API (a stage's key is read on the first call, with the operator's credentials). */
  stripeApi(): Promise<StripeApi>;
  /** The overview of a range: from CloudWatch for a stage, counted from the ledger locally. */
  overview(range: OverviewRange): Promise<Overview>;
  /** The body of an event as this server received it, when it kept it (npm start's event log). */
  receivedBody?(eventId: string): string | undefined;
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

/** Messages a second a console redrive moves unless asked otherwise: a backlog replays without a burst of failures downstream. */
export const CONSOLE_REDRIVE_RATE = 50;

/** SQS's own limit for a message move task, which the selective move keeps to as well. */
const MAX_REDRIVE_RATE = 500;

const DEFAULT_LISTING_SINCE = '24h';
const DEFAULT_OVERVIEW_SINCE = '1h';

/**
 * Answers a console route (GET or POST under /api/), or returns undefined when the path is not one.
 * A route's bad input is a 400 and an unknown event a 404; an operator's missing permission is a 403
 * that names it. Every message is free of secrets.
 */
export async function handleConsoleApi(method: string, url: URL, body: string, target: ConsoleTarget): Promise<JsonResponse | undefined> {
  const path = url.pathname.replace(/\/+$/, '') || '/';
  const route = routeMatcher(method, path);
  let match: RegExpExecArray | null;
  try {
    if (route(/^\/api\/context$/, 'GET')) return ok({ name: target.name, kind: target.kind, redriveRate: CONSOLE_REDRIVE_RATE });
    if (route(/^\/api\/events$/, 'GET')) return ok(await listing(target, url.searchParams));
    if ((match = route(/^\/api\/events\/([^/]+)\/replay$/, 'GET'))) return ok(found(await planReplay(target, decoded(match)), `No event ${decoded(match)} in the ledger`));
    if ((match = route(/^\/api\/events\/([^/]+)\/replay$/, 'POST'))) return ok(await replay(target, decoded(match), parseJson(body)));
    if ((match = route(/^\/api\/events\/([^/]+)$/, 'GET'))) return ok(await detail(target, decoded(match)));
    if (route(/^\/api\/search$/, 'GET')) return ok(await search(target, url.searchParams));
    if (route(/^\/api\/overview$/, 'GET')) return ok(await target.overview(timeRange(url.searchParams, DEFAULT_OVERVIEW_SINCE)));
    if (route(/^\/api\/dlq$/, 'GET')) return ok(await deadLetters(target));
    if (route(/^\/api\/dlq\/redrive$/, 'POST')) return ok(await redriveDeadLetters(target, parseJson(body || '{}')));
    if (route(/^\/api\/reconcile$/, 'POST')) return ok(await reconcile(target, parseJson(body || '{}')));
    route.refuseOtherMethods();
    return undefined;
  } catch (error) {
    return errorResponse(error);
  }
}

/**
 * A matcher for one request's routes: a route whose pattern matches the path but whose method is
 * another does not match (GET and POST of one path are two routes), and is remembered, so that a path
 * no route of its method serves can be answered 405 rather than 404 (`refuseOtherMethods`).
 */
export function routeMatcher(method: string, path: string) {
  const otherMethods: string[] = [];
  const route = (pattern: RegExp, allowed: string): RegExpExecArray | null => {
    const match = pattern.exec(path);
    if (match && method !== allowed) otherMethods.push(allowed);
    return method === allowed ? match : null;
  };
  /** @throws HttpError 405 naming the methods the path takes, when another method's route matched it */
  const refuseOtherMethods = () => {
    if (otherMethods.length > 0) throw new HttpError(405, `Use ${otherMethods.join(' or ')} for ${path}`);
  };
  return Object.assign(route, { refuseOtherMethods });
}

/** Errors a route may end in, as responses; anything else is the server's fault and is thrown on. */
export function errorResponse(error: unknown): JsonResponse {
  if (error instanceof HttpError) return { status: error.status, body: { error: { message: error.message } } };
  if (error instanceof RangeError || error instanceof ReplayRefusedError) return { status: 400, body: { error: { message: error.message } } };
  const access = accessErrorIn(error);
  if (access) return { status: 403, body: { error: { message: redactSecrets(access.message) } } };
  throw error;
}

export const ok = (body: unknown): JsonResponse => ({ status: 200, body });

export function parseJson<T = Record<string, unknown>>(text: string): T {
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
    return value as T;
  } catch {
    throw new HttpError(400, 'Body must be a JSON object');
  }
}

export function found<T>(value: T | undefined, message: string): T {
  if (value === undefined) throw new HttpError(404, message);
  return value;
}

function decoded(match: RegExpExecArray): string {
  return decodeURIComponent(match[1]!);
}

/** `since` and `until` of a query (durations before now, or ISO times) as a range in epoch milliseconds. */
function timeRange(query: URLSearchParams, defaultSince: string): { from: number; to: number } {
  const now = Date.now();
  const to = query.get('until') ? parseTime(query.get('until')!, now) * 1000 : now;
  const from = parseTime(query.get('since') ?? defaultSince, now) * 1000;
  checkRange(from, to);
  return { from, to };
}

/** The newest events of a range (24 hours unless said), by status and type, through the ledger's indexes. */
async function listing(target: ConsoleTarget, query: URLSearchParams) {
  const status = query.get('status') || undefined;
  const type = query.get('type') || undefined;
  const limit = Number(query.get('limit') ?? 50);
  if (status && !EVENT_STATUSES.includes(status as EventStatus)) throw new HttpError(400, `status must be one of ${EVENT_STATUSES.join(', ')}`);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new HttpError(400, 'limit must be a whole number from 1 to 1000');
  const { from, to } = timeRange(query, DEFAULT_LISTING_SINCE);
  const events = await listEvents(target.db, target.resources.ledgerTableName, { since: from, until: to, status: status as EventStatus | undefined, type, limit });
  return { from: new Date(from).toISOString(), to: new Date(to).toISOString(), count: events.length, events };
}

/** An event's record, each delivery, and its payload: as this server received it, else from the DLQ or Stripe's Events API. */
async function detail(target: ConsoleTarget, eventId: string) {
  return found(await eventDetail(target, eventId), `No event ${eventId} in the ledger`);
}

/** An event id (evt_…) finds that event; any other id finds the events about that Stripe object. */
async function search(target: ConsoleTarget, query: URLSearchParams) {
  const q = (query.get('q') ?? '').trim();
  if (q === '') throw new HttpError(400, 'Search for an event id (evt_…) or a Stripe object id (pi_…, sub_…, cus_…)');
  if (/^evt_/.test(q)) {
    const record = await getLedgerRecord(target.db, target.resources.ledgerTableName, q);
    return { query: q, kind: 'event', events: record ? [eventSummary(record)] : [] };
  }
  return { query: q, kind: 'object', events: await findByObject(target.db, target.resources.ledgerTableName, q, 100) };
}

/** The dead letters the ledger notes, and how many messages the queue holds (no message is received). */
async function deadLetters(target: ConsoleTarget) {
  const { letters, queued } = await listDeadLetters(target, target.resources);
  return {
    count: letters.length,
    queued,
    messages: letters.map(({ id, type, status, receiveCount, deadLetteredAt, lastError }) => ({ eventId: id, type, status, receiveCount, deadLetteredAt, ...(lastError ? { lastError } : {}) })),
  };
}

/**
 * Redrives dead letters through the same code as `npm run redrive`: all of them (SQS's own move task
 * where the endpoint has it), those of a type, or the events selected, at most `rate` a second. With
 * `dryRun`, the preview: what would move, and nothing moved.
 */
async function redriveDeadLetters(target: ConsoleTarget, request: Record<string, unknown>) {
  const { eventIds, type, dryRun, rate = CONSOLE_REDRIVE_RATE } = request;
  if (eventIds !== undefined && (!Array.isArray(eventIds) || !eventIds.every((id) => typeof id === 'string'))) throw new HttpError(400, 'eventIds must be an array of event ids');
  if (type !== undefined && typeof type !== 'string') throw new HttpError(400, 'type must be a string');
  if (!Number.isInteger(rate) || (rate as number) < 1 || (rate as number) > MAX_REDRIVE_RATE) throw new HttpError(400, `rate must be a whole number of messages a second from 1 to ${MAX_REDRIVE_RATE}`);
  const report = await redrive({
    sqs: target.sqs,
    queueUrl: target.resources.queueUrl,
    deadLetterQueueUrl: target.resources.deadLetterQueueUrl,
    eventIds: eventIds as string[] | undefined,
    type: type === '' ? undefined : (type as string | undefined),
    dryRun: dryRun === true,
    rate: rate as number,
    // SQS's own move task goes on without this request: the dead-letter count shows it fall.
    waitForNative: false,
  });
  return {
    dryRun: dryRun === true,
    method: report.method,
    rate,
    moved: report.moved,
    ...(report.started ? { started: true } : {}),
    ...(report.matched ? { matched: report.matched.map(({ eventId, type: eventType, receiveCount }) => ({ eventId, type: eventType, receiveCount })) } : {}),
    failed: report.failed ?? [],
    notFound: report.notFound ?? [],
  };
}

/**
 * Reconciles a range with Stripe's Events API: every settled event from `since` (default 30 days, all
 * Stripe keeps) to `until` (default now) that the ledger has not seen is queued.
 */
async function reconcile(target: ConsoleTarget, request: Record<string, unknown>) {
  const now = Date.now();
  const time = (value: unknown, name: string, fallback?: string) => {
    if (value === undefined || value === '') return fallback === undefined ? undefined : parseTime(fallback, now);
    if (typeof value !== 'string') throw new HttpError(400, `${name} must be a duration before now (90s, 30m, 72h, 7d) or an ISO time`);
    return parseTime(value, now);
  };
  const since = time(request.since, 'since', '30d')!;
  const until = time(request.until, 'until');
  if (until !== undefined && until < since) throw new HttpError(400, 'until must come after since');
  const { types } = request;
  if (types !== undefined && (!Array.isArray(types) || !types.every((type) => typeof type === 'string'))) throw new HttpError(400, 'types must be an array of event types');
  assertHandledTypes((types as string[] | undefined) ?? []);
  const report = await backfill(
    { api: await target.stripeApi(), db: target.db, sqs: target.sqs, resources: target.resources },
    {
      since,
      ...(until === undefined ? {} : { until }),
      // Locally events are sent by hand, so nothing is still on its way; a stage leaves Stripe its retries' time.
      settleSeconds: target.kind === 'local' ? 0 : 600,
      types: (types as string[] | undefined)?.length ? (types as string[]) : registry.snapshotTypes,
      undeliveredOnly: request.undeliveredOnly === true,
      dryRun: request.dryRun === true,
    },
  );
  const iso = (seconds: number) => new Date(seconds * 1000).toISOString();
  return {
    ...(report.scope ? { from: iso(report.scope.from), to: iso(report.scope.to) } : {}),
    resumed: report.resumed,
    ...report.progress,
    queued: report.queued.map(({ id, type }) => ({ eventId: id, type })),
  };
}

/** Replays a finished event, when the request confirms it by naming the event again. */
async function replay(target: ConsoleTarget, eventId: string, request: Record<string, unknown>) {
  if (request.confirm !== eventId) throw new HttpError(400, `A replay runs the event's action again: confirm it with {"confirm": "${eventId}"}`);
  const replayed = await replayEvent(target, eventId);
  return { queued: true, ...replayed };
}
