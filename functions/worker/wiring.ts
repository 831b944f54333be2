/**
 * The one assembly of the worker: configuration and clients in, handler out. The Lambda entry
 * (handler.ts), the local stack, the tests and the benchmarks all build the worker here, so each
 * default is taken from one place (functions/shared/config.ts and resources.ts).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { WorkerConfig } from '../shared/config';
import { createStripeApi, type StripeApi } from '../shared/stripe-api';
import type { Count, Log } from '../shared/observability';
import { QUEUES } from '../shared/resources';
import { registry as referenceActions } from './actions';
import { DynamoLedger } from './dynamo-ledger';
import type { Ledger } from './ledger';
import type { Registry } from './registry';
import { createWorkerHandler, type WorkerAdapterDeps, type WorkerHandler } from './sqs-batch';
import { stripeReads, type StripeReads } from './stripe-reads';

export interface WorkerParts {
  readonly config: WorkerConfig;
  readonly db: DynamoDBClient;
  readonly log: Log;
  readonly count: Count;
  /** @default the reference actions (functions/worker/actions) */
  readonly registry?: Registry;
  /** Wraps the ledger, e.g. with fault injection or the local stack's trace. */
  readonly decorateLedger?: (ledger: Ledger) => Ledger;
  /** Wraps the registry, e.g. with fault injection. */
  readonly decorateRegistry?: (registry: Registry) => Registry;
  /** Called after every batch, e.g. to flush metrics. */
  readonly afterBatch?: () => void;
  /** @default Date.now */
  readonly now?: () => number;
  /** @default crypto.randomUUID */
  readonly newLeaseOwner?: () => string;
  /** Reads the stage's API key secret on AWS (config.stripeApi from Secrets Manager). */
  readonly secretsManager?: SecretsManagerClient;
  /** Replaces the Stripe API reads, e.g. with fault injection. @default from config.stripeApi */
  readonly reads?: StripeReads;
}

/** What the worker's adapter and core are given. */
export function workerDeps(parts: WorkerParts): WorkerAdapterDeps {
  const { config } = parts;
  const ledger = new DynamoLedger(parts.db, {
    ledgerTableName: config.ledgerTableName,
    projectionsTableName: config.projectionsTableName,
    retentionDays: config.ledgerRetentionDays,
    log: parts.log,
  });
  const registry = parts.registry ?? referenceActions;
  const reads = parts.reads ?? apiReads(parts);
  return {
    ledger: parts.decorateLedger ? parts.decorateLedger(ledger) : ledger,
    registry: parts.decorateRegistry ? parts.decorateRegistry(registry) : registry,
    log: parts.log,
    count: parts.count,
    now: parts.now ?? Date.now,
    leaseMs: config.leaseSeconds * 1000,
    maxReceiveCount: QUEUES.maxReceiveCount,
    acceptance: config.acceptance,
    ...(reads ? { reads } : {}),
    ...(parts.newLeaseOwner ? { newLeaseOwner: parts.newLeaseOwner } : {}),
    ...(parts.afterBatch ? { afterBatch: parts.afterBatch } : {}),
  };
}

export function wireWorker(parts: WorkerParts): WorkerHandler {
  return createWorkerHandler(workerDeps(parts));
}

/**
 * Stripe API reads when a key is configured. The client is made on the first read, and made again
 * after a failure to make it (a key not put yet), so the worker starts without one and the events
 * that need it retry until it is there.
 */
function apiReads({ config, secretsManager }: WorkerParts): StripeReads | undefined {
  const apiConfig = config.stripeApi;
  if (!apiConfig) return undefined;
  let api: Promise<StripeApi> | undefined;
  return stripeReads(() => {
    api ??= createStripeApi(apiConfig, secretsManager).catch((error: unknown) => {
      api = undefined;
      throw error;
    });
    return api;
  });
}
