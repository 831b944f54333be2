/**
 * `npm run backfill`: finds the events Stripe created that no webhook delivered, and queues them.
 *
 *   npm run backfill -- --stage prod --since 72h                 the last three days
 *   npm run backfill -- --stage prod --since 2026-11-20T09:00Z --until 2026-11-21T09:00Z
 *   npm run backfill -- --stage prod --since 7d --type invoice.paid --type invoice.payment_failed
 *   npm run backfill -- --stage prod --since 24h --undelivered-only   only what Stripe failed to deliver
 *   npm run backfill -- --stage prod --since 24h --dry-run            list, queue nothing
 *   npm run backfill -- --local --since 1h                            against npm start
 *
 * Events the ledger has, in any status, are never queued again; the worker does the rest once, with
 * source `backfill`. A scan that stops (Stripe failing, Ctrl-C) saves its place: the same command
 * resumes it (`--fresh` starts over).
 */
import { parseArgs } from 'node:util';
import { describeError } from '../functions/shared/errors';
import { registry } from '../functions/worker/actions';
import type { ReconcileProgress } from '../functions/reconcile/reconcile';
import { STRIPE_EVENT_RETENTION_SECONDS } from '../functions/reconcile/windows';
import { assertHandledTypes, backfill, parseTime, type BackfillReport } from '../ops/backfill';
import { openTarget } from './stage-target';

const USAGE = `Usage: npm run backfill -- (--stage <stage> [--region <region>] | --local) --since <72h | ISO time>
         [--until <time>] [--type <event type>]… [--undelivered-only] [--settle <10m>] [--dry-run] [--fresh]`;

export async function main(argv: readonly string[], print: (line: string) => void = console.log): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      stage: { type: 'string' },
      region: { type: 'string' },
      local: { type: 'boolean', default: false },
      since: { type: 'string' },
      until: { type: 'string' },
      type: { type: 'string', multiple: true },
      'undelivered-only': { type: 'boolean', default: false },
      settle: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      fresh: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    print(USAGE);
    return 0;
  }
  if ((!values.stage && !values.local) || !values.since) {
    print(USAGE);
    return 2;
  }
  const nowMs = Date.now();
  const since = parseTime(values.since, nowMs);
  const until = values.until === undefined ? undefined : parseTime(values.until, nowMs);
  if (until !== undefined && until <= since) throw new RangeError(`--until (${iso(until)}) must be after --since (${iso(since)})`);
  const types = values.type ?? [...registry.snapshotTypes];
  assertHandledTypes(types);

  const target = await openTarget(values.local ? { local: true } : { stage: values.stage!, region: values.region });
  try {
    const api = await target.stripeApi();
    // Locally events are sent by hand and never in flight for long; a stage's may still be on their way for minutes.
    const defaultSettleSeconds = values.local ? 0 : 600;
    const settleSeconds = values.settle === undefined ? defaultSettleSeconds : Math.floor(nowMs / 1000) - parseTime(values.settle, nowMs);
    const oldest = Math.floor(nowMs / 1000) - STRIPE_EVENT_RETENTION_SECONDS;
    if (since < oldest) print(`Stripe keeps events for 30 days: nothing before ${iso(oldest)} can be listed, so the scan starts there.`);
    print(
      `Backfilling ${values.local ? 'the local stack' : `stage ${values.stage}`}${values['dry-run'] ? ' (dry run: nothing is queued)' : ''}: ` +
        `${values.type ? types.join(', ') : 'every handled type'}${values['undelivered-only'] ? ', undelivered only' : ''}; ` +
        `events younger than ${settleSeconds} s are left alone (--settle).`,
    );

    const started = Date.now();
    let lastPrinted = 0;
    let report: BackfillReport;
    try {
      report = await backfill(
        {
          api,
          db: target.db,
          sqs: target.sqs,
          resources: target.resources,
          onPage: (progress) => {
            if (Date.now() - lastPrinted < 1000 && progress.pages > 1) return;
            lastPrinted = Date.now();
            print(`  ${progressLine(progress, started)}`);
          },
        },
        { since, ...(until !== undefined ? { until } : {}), settleSeconds, types, undeliveredOnly: values['undelivered-only'], fresh: values.fresh, dryRun: values['dry-run'] },
      );
    } catch (error) {
      print(`Stopped: ${describeError(error)}`);
      if (!values['dry-run']) print('Its place is saved: run the same command again to continue from the last page done (--fresh starts over).');
      return 1;
    }
    printSummary(report, values['dry-run'], started, print);
    return 0;
  } finally {
    target.close();
  }
}

function progressLine(progress: ReconcileProgress, started: number): string {
  const seconds = Math.max((Date.now() - started) / 1000, 0.001);
  return `page ${progress.pages}: ${progress.scanned} events seen, ${progress.known} known, ${progress.enqueued} queued (${Math.round(progress.scanned / seconds)} events/s)`;
}

function printSummary(report: BackfillReport, dryRun: boolean, started: number, print: (line: string) => void): void {
  if (!report.scope) {
    print('Nothing to do: the window holds no settled events yet.');
    return;
  }
  if (report.resumed) print(`Resumed the scan saved by an earlier run (${iso(report.scope.from)} → ${iso(report.scope.to)}).`);
  for (const event of report.queued.slice(0, 50)) print(`  ${dryRun ? 'would queue' : 'queued'} ${event.type} ${event.id} (created ${iso(event.created)})`);
  if (report.queued.length > 50) print(`  … and ${report.queued.length - 50} more`);
  const { pages, scanned, known, enqueued } = report.progress;
  print(
    `Done in ${((Date.now() - started) / 1000).toFixed(1)} s: ${iso(report.scope.from)} → ${iso(report.scope.to)}, ${pages} pages, ` +
      `${scanned} events seen, ${known} already in the ledger, ${enqueued} ${dryRun ? 'would be queued' : 'queued'}.`,
  );
  if (enqueued > 0 && !dryRun) print('The worker does each one once (source "backfill"). Webhooks missed these: check the endpoint in Stripe (npm run stripe:endpoint -- --dry-run).');
}

const iso = (seconds: number) => new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
