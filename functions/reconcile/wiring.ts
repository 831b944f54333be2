/**
 * The one assembly of the scheduled reconcile: configuration and clients in, a run function out. The
 * Lambda entry (handler.ts) and the tests build it here.
 *
 * The Stripe API key is read on the first run and kept once it works: a key missing from its secret
 * fails each run with the command that fills it (and the function's error alarm fires), and the run
 * after the secret is filled succeeds without a redeploy.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { ReconcileConfig } from '../shared/config';
import type { Count, Log } from '../shared/observability';
import { RECONCILE_METRIC } from '../shared/observability';
import { createStripeApi, type StripeApi } from '../shared/stripe-api';
import { registry } from '../worker/actions';
import { backfillQueue } from './backfill-queue';
import { stripeEventsLister } from './events-api';
import { dynamoJobStore } from './job-store';
import { runScheduledJob, type JobResult } from './jobs';
import { ledgerLookup } from './ledger-lookup';

export interface ReconcileParts {
  readonly config: ReconcileConfig;
  readonly sqs: SQSClient;
  readonly db: DynamoDBClient;
  /** Required when the configuration reads the API key from Secrets Manager. */
  readonly secretsManager?: SecretsManagerClient;
  readonly log: Log;
  readonly count: Count;
  /** Records how far behind the checkpoint is, in seconds. */
  readonly gauge: (metric: string, seconds: number) => void;
  /** The types to reconcile. @default the types the reference actions handle (functions/worker/actions) */
  readonly types?: readonly string[];
  /** @default Date.now */
  readonly now?: () => number;
}

export interface ReconcileRunOptions {
  /** Milliseconds left before the invocation is stopped; the scan saves its place and ends before. */
  readonly remainingMs?: () => number;
}

/** A run stops starting pages when less than this is left, so the last page and its save finish in time. */
const STOP_MARGIN_MS = 20_000;

export type ReconcileRun = (options?: ReconcileRunOptions) => Promise<JobResult>;

export function wireReconcile(parts: ReconcileParts): ReconcileRun {
  const { config, log, count } = parts;
  const now = parts.now ?? Date.now;
  let api: StripeApi | undefined;
  const store = dynamoJobStore(parts.db, config.stateTableName, now);
  const knownEventIds = ledgerLookup(parts.db, config.ledgerTableName);
  const enqueue = backfillQueue(parts.sqs, config.queueUrl, now);

  return async (options = {}) => {
    api ??= await createStripeApi(config.stripeApi, parts.secretsManager);
    const result = await runScheduledJob(
      store,
      {
        listEvents: stripeEventsLister(api),
        knownEventIds,
        enqueue,
        shouldStop: () => (options.remainingMs?.() ?? Number.POSITIVE_INFINITY) < STOP_MARGIN_MS,
        onPage: (_progress, unseen) => {
          // Each one is an event whose webhook never came: name them, so someone can find out why.
          for (const event of unseen) log.warn('Queued an event that no webhook delivered', { eventId: event.id, type: event.type, created: event.created });
        },
      },
      Math.floor(now() / 1000),
      config,
      parts.types ?? registry.snapshotTypes,
    );
    const { scanned, known, enqueued, pages } = result.progress;
    count(RECONCILE_METRIC.scanned, scanned);
    count(RECONCILE_METRIC.known, known);
    count(RECONCILE_METRIC.enqueued, enqueued);
    count(RECONCILE_METRIC.pages, pages);
    if (result.reconciledUntil !== undefined) parts.gauge(RECONCILE_METRIC.lagSeconds, Math.max(0, Math.floor(now() / 1000) - result.reconciledUntil));
    log.info(result.complete ? 'Reconciled' : 'Reconcile stopped before the time limit; the next run resumes it', {
      ...(result.scope ? { from: iso(result.scope.from), to: iso(result.scope.to) } : {}),
      resumed: result.resumed,
      pages,
      scanned,
      known,
      enqueued,
    });
    return result;
  };
}

const iso = (seconds: number) => new Date(seconds * 1000).toISOString();
