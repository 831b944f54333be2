/**
 * Lambda entry point of the worker: wires configuration, clients and observability to the adapter.
 * Runs once per container, during the init phase.
 */
import { createDynamoDbClient } from '../shared/clients';
import { loadWorkerConfig } from '../shared/config';
import { createObservability } from '../shared/observability';
import { registry } from './actions';
import { DynamoLedger } from './ledger';
import { createWorkerHandler } from './sqs-batch';

const config = loadWorkerConfig();
const { logger, metrics, count } = createObservability('stripe-webhook-worker');

export const handler = createWorkerHandler({
  ledger: new DynamoLedger(createDynamoDbClient({ endpoint: config.endpoints.dynamodb }), {
    ledgerTableName: config.ledgerTableName,
    projectionsTableName: config.projectionsTableName,
    retentionDays: config.ledgerRetentionDays,
  }),
  registry,
  log: logger,
  count,
  now: Date.now,
  leaseMs: config.leaseSeconds * 1000,
  afterBatch: () => metrics.publishStoredMetrics(),
});
