/**
 * `npm run events`: lists, searches and shows a stage's events from the terminal, through the ledger's
 * indexes (never a scan), for a deployed stage and npm start alike.
 *
 *   npm run events -- --stage prod [--region eu-west-1]          the last 24 hours' events, newest first
 *   npm run events -- --stage prod --status failed --since 7d     by status: failed, completed, ignored, processing
 *   npm run events -- --stage prod --type invoice.paid --since 2026-11-20T09:00Z --until 2026-11-21T09:00Z --limit 200
 *   npm run events -- --stage prod --id evt_123                   one event: its record, deliveries and payload
 *   npm run events -- --stage prod --object pi_123                the events about a Stripe object
 *   npm run events -- --local --status failed                     against npm start
 *
 * --json prints JSON instead of a table: an array for lists, an object for one event. Before anything
 * is read, every permission the command needs is checked, and all those missing are named at once.
 */
import { parseArgs } from 'node:util';
import type { EventStatus } from '../functions/worker/ledger-rules';
import { blocksTools, checkStageAccess } from '../ops/access-errors';
import { parseTime } from '../ops/backfill';
import { eventDetail, type EventDetail } from '../ops/event-detail';
import { checkRange, findByObject, listEvents } from '../ops/event-queries';
import { EVENT_STATUSES, type EventSummary } from '../ops/ledger-reads';
import { failureMessage, printAccessReport } from './cli-output';
import { openTarget, TARGET_FLAGS, type Target, type TargetSpec } from './stage-target';

const USAGE = `Usage: npm run events -- (--stage <stage> [--region <region>] | --local)
         [--status <${EVENT_STATUSES.join('|')}>] [--since <24h | 30m | 7d | ISO time>] [--until <time>] [--type <event type>] [--limit <1-1000>] [--json]
       npm run events -- (--stage … | --local) --id <evt_…> [--json]
       npm run events -- (--stage … | --local) --object <pi_… | sub_… | …> [--limit <1-1000>] [--json]`;

const DEFAULT_SINCE = '24h';
const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 1000;

/** Exit codes: 0 done, 1 failed (access, not found, AWS or Stripe), 2 bad flags. */
const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

type EventsQuery =
  | { readonly kind: 'list'; readonly since: number; readonly until?: number; readonly status?: EventStatus; readonly type?: string; readonly limit: number }
  | { readonly kind: 'detail'; readonly eventId: string }
  | { readonly kind: 'object'; readonly objectId: string; readonly limit: number };

interface EventsCommand {
  readonly target: TargetSpec;
  readonly query: EventsQuery;
  readonly json: boolean;
}

/** A flag that is wrong, missing or unknown: said in one line, exit 2. */
class UsageError extends Error {
  readonly name = 'UsageError';
}

export interface EventsOptions {
  /** Where errors and notes go; results go to `print`, so that --json output can be piped. @default console.error */
  readonly printError?: (line: string) => void;
  /** --local: npm start's stack file. @default .local/stack.json */
  readonly localStackFile?: string;
  /** Characters a table line may take. @default the terminal's width, or 120 */
  readonly columns?: number;
}

/**
 * Runs the command and answers its exit code; every failure is printed, none is thrown.
 *
 * @example
 * process.exitCode = await main(['--stage', 'prod', '--status', 'failed', '--since', '7d']);
 */
export async function main(argv: readonly string[], print: (line: string) => void = console.log, options: EventsOptions = {}): Promise<number> {
  const printError = options.printError ?? console.error;
  const nowMs = Date.now();
  let command: EventsCommand | 'help';
  try {
    command = parseCommand(argv, nowMs, options.localStackFile);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    printError(`${error.message} (npm run events -- --help shows the usage)`);
    return EXIT.usage;
  }
  if (command === 'help') {
    print(USAGE);
    return EXIT.ok;
  }

  let target: Target;
  try {
    target = await openTarget(command.target);
  } catch (error) {
    printError(failureMessage(error));
    return EXIT.failed;
  }
  try {
    const access = await checkStageAccess(target, { ...target.resources, apiKeySecretName: target.apiKeySecretName }, nowMs);
    if (blocksTools(access)) {
      printAccessReport(access, target.name, printError);
      return EXIT.failed;
    }
    // Only an event's detail reads the API key, to fetch its payload.
    if (command.query.kind === 'detail') for (const problem of access.problems) printError(`Note: ${problem.message} Without it, the payload is not shown.`);
    return await run(command, target, { print, printError, columns: options.columns ?? process.stdout.columns ?? 120 });
  } catch (error) {
    printError(failureMessage(error));
    return EXIT.failed;
  } finally {
    target.close();
  }
}

function parseCommand(argv: readonly string[], nowMs: number, localStackFile: string | undefined): EventsCommand | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        ...TARGET_FLAGS,
        status: { type: 'string' },
        since: { type: 'string' },
        until: { type: 'string' },
        type: { type: 'string' },
        limit: { type: 'string' },
        id: { type: 'string' },
        object: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    // Node's own message, up to its first sentence: "Unknown option '--bogus'".
    throw new UsageError((error as Error).message.split('. ')[0]!);
  }
  if (values.help) return 'help';
  if ((values.stage === undefined) === !values.local) throw new UsageError('Give either --stage <stage> (a deployed stack) or --local (npm start)');
  if (values.region !== undefined && values.local) throw new UsageError('--region applies to --stage only');
  const target: TargetSpec = values.local ? { local: true, stackFile: localStackFile } : { stage: values.stage!, region: values.region };

  const given = (flags: readonly ('status' | 'since' | 'until' | 'type' | 'limit')[]) => {
    const named = flags.filter((flag) => values[flag] !== undefined).map((flag) => `--${flag}`);
    return named.length === 0 ? undefined : `${named.join(', ')} ${named.length === 1 ? 'applies' : 'apply'}`;
  };
  if (values.id !== undefined && values.object !== undefined) throw new UsageError('Give either --id or --object, not both');
  if (values.id !== undefined) {
    const misplaced = given(['status', 'since', 'until', 'type', 'limit']);
    if (misplaced) throw new UsageError(`--id shows one event: ${misplaced} to listings`);
    return { target, query: { kind: 'detail', eventId: values.id }, json: values.json };
  }
  const limit = parseLimit(values.limit);
  if (values.object !== undefined) {
    const misplaced = given(['status', 'since', 'until', 'type']);
    if (misplaced) throw new UsageError(`--object lists every event about the object: ${misplaced} to listings by time`);
    return { target, query: { kind: 'object', objectId: values.object, limit }, json: values.json };
  }

  if (values.status !== undefined && !EVENT_STATUSES.includes(values.status as EventStatus)) {
    throw new UsageError(`--status must be one of ${EVENT_STATUSES.join(', ')}, got ${JSON.stringify(values.status)}`);
  }
  const since = time('--since', values.since ?? DEFAULT_SINCE, nowMs);
  const until = values.until === undefined ? undefined : time('--until', values.until, nowMs);
  try {
    checkRange(since, until ?? nowMs);
  } catch (error) {
    throw new UsageError(`--since, --until: ${(error as Error).message}`);
  }
  return {
    target,
    query: {
      kind: 'list',
      since,
      ...(until === undefined ? {} : { until }),
      ...(values.status === undefined ? {} : { status: values.status as EventStatus }),
      ...(values.type === undefined ? {} : { type: values.type }),
      limit,
    },
    json: values.json,
  };
}

function parseLimit(value: string | undefined): number {
  if (value === undefined) return DEFAULT_LIMIT;
  const limit = Number(value);
  if (!/^\d+$/.test(value) || limit < 1 || limit > MAX_LIMIT) throw new UsageError(`--limit must be a whole number from 1 to ${MAX_LIMIT}, got ${JSON.stringify(value)}`);
  return limit;
}

/** A --since or --until value as epoch milliseconds. */
function time(flag: string, value: string, nowMs: number): number {
  try {
    return parseTime(value, nowMs) * 1000;
  } catch (error) {
    throw new UsageError(`${flag}: ${(error as Error).message}`);
  }
}

interface Output {
  readonly print: (line: string) => void;
  readonly printError: (line: string) => void;
  readonly columns: number;
}

async function run(command: EventsCommand, target: Target, output: Output): Promise<number> {
  const { query } = command;
  const { db, sqs, resources } = target;
  if (query.kind === 'detail') {
    const detail = await eventDetail({ db, sqs, resources, stripeApi: () => target.stripeApi() }, query.eventId);
    if (!detail) {
      output.printError(`No event ${query.eventId} in the ledger of ${target.name}.`);
      return EXIT.failed;
    }
    if (command.json) output.print(JSON.stringify(detail, null, 2));
    else printDetail(detail, output.print);
    return EXIT.ok;
  }
  const events =
    query.kind === 'object' ? await findByObject(db, resources.ledgerTableName, query.objectId, query.limit) : await listEvents(db, resources.ledgerTableName, query);
  if (command.json) {
    output.print(JSON.stringify(events, null, 2));
    return EXIT.ok;
  }
  printTable(events, output);
  const more = events.length === query.limit ? (query.kind === 'object' ? ' · more: raise --limit' : ' · more: narrow --since or raise --limit') : '';
  const what =
    query.kind === 'object'
      ? `about ${query.objectId}`
      : `received ${shortTime(new Date(query.since).toISOString())} → ${query.until === undefined ? 'now' : shortTime(new Date(query.until).toISOString())} (UTC)`;
  output.print(`${events.length} event${events.length === 1 ? '' : 's'} ${what}, newest first${more}`);
  return EXIT.ok;
}

/** The table's columns before the last error, which gets the rest of the line. */
const TABLE: readonly { readonly header: string; readonly cell: (event: EventSummary) => string; readonly alignRight?: true }[] = [
  { header: 'RECEIVED', cell: (event) => (event.receivedAt ? shortTime(event.receivedAt) : '') },
  { header: 'ID', cell: (event) => event.id },
  { header: 'TYPE', cell: (event) => event.type },
  { header: 'STATUS', cell: (event) => event.status },
  { header: 'ATTEMPTS', cell: (event) => String(event.attempts), alignRight: true },
  { header: 'DELIVERIES', cell: (event) => String(event.deliveries), alignRight: true },
  { header: 'SOURCE', cell: (event) => event.source ?? '' },
];
/** The last error's column is never narrower than this, however wide the others. */
const MIN_ERROR_WIDTH = 20;

function printTable(events: readonly EventSummary[], output: Output): void {
  if (events.length === 0) return;
  const rows = events.map((event) => TABLE.map((column) => column.cell(event)));
  const widths = TABLE.map((column, index) => Math.max(column.header.length, ...rows.map((row) => row[index]!.length)));
  const line = (cells: readonly string[], lastError: string) =>
    [...cells.map((cell, index) => (TABLE[index]!.alignRight ? cell.padStart(widths[index]!) : cell.padEnd(widths[index]!))), lastError].join('  ').trimEnd();
  const errorWidth = Math.max(output.columns - widths.reduce((sum, width) => sum + width + 2, 0), MIN_ERROR_WIDTH);
  output.print(line(TABLE.map((column) => column.header), 'LAST ERROR'));
  events.forEach((event, index) => output.print(line(rows[index]!, truncate(event.lastError ?? '', errorWidth))));
}

function printDetail(detail: EventDetail, print: (line: string) => void): void {
  const field = (name: string, value: string | undefined) => {
    if (value !== undefined) print(`  ${name.padEnd(14)}${value}`);
  };
  const afterCreation = (latencyMs: number | undefined) => (latencyMs === undefined ? '' : ` (${duration(latencyMs)} after creation)`);
  print(`${detail.id}  ${detail.type}  ${detail.status}`);
  field('created', detail.created);
  field('received', detail.receivedAt && `${detail.receivedAt}${afterCreation(detail.receiptLatencyMs)}`);
  field('processed', detail.processedAt && `${detail.processedAt}${afterCreation(detail.completionLatencyMs)}`);
  field('attempts', String(detail.attempts));
  field('deliveries', `${detail.deliveries} (${detail.duplicatesAbsorbed} duplicate${detail.duplicatesAbsorbed === 1 ? '' : 's'} absorbed)`);
  field('source', [detail.source, detail.form, detail.livemode === undefined ? undefined : detail.livemode ? 'live mode' : 'test mode', detail.account].filter(Boolean).join(', '));
  field('thin event', detail.thinEventId);
  field('object', detail.objectId);
  field('dead-lettered', detail.deadLetteredAt && `${detail.deadLetteredAt}${detail.deadLetterReceiveCount ? ` after ${detail.deadLetterReceiveCount} receives` : ''}`);
  field('skipped writes', detail.skippedWrites === undefined ? undefined : String(detail.skippedWrites));
  field('last error', detail.lastError);
  if (detail.deliveryLog.length > 0) {
    print('  delivery log');
    for (const delivery of detail.deliveryLog) print(`    ${delivery.at}  ${delivery.source}  receive ${delivery.receiveCount}`);
  }
  const from = { received: 'as npm start received it', 'dead-letter-queue': 'from the dead-letter queue', 'events-api': "from Stripe's Events API", none: 'not available' }[detail.payloadSource];
  print(`  payload ${from}${detail.payloadNote ? `: ${detail.payloadNote}` : ''}`);
  if (detail.payload !== undefined) print(JSON.stringify(detail.payload, null, 2));
}

/** `2026-11-24T10:01:02.123Z` → `2026-11-24 10:01:02`: UTC, to the second. */
function shortTime(iso: string): string {
  return iso.slice(0, 19).replace('T', ' ');
}

function truncate(text: string, width: number): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length <= width ? oneLine : `${oneLine.slice(0, width - 1)}…`;
}

function duration(ms: number): string {
  if (Math.abs(ms) < 1000) return `${ms} ms`;
  if (Math.abs(ms) < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  if (Math.abs(ms) < 7_200_000) return `${Math.round(ms / 60_000)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(failureMessage(error));
      process.exit(1);
    },
  );
}
