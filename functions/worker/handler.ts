/**
 * Lambda entry point of the worker: wires configuration, clients and observability to the adapter.
 * Runs once per container, during the init phase.
 */
import { createDynamoDbClient } from '../shared/clients';
import { loadWorkerConfig } from '../shared/config';
import { SERVICE_NAME, createObservability } from '../shared/observability';
import { registry } from './actions';
import { DynamoLedger } from './ledger';
import type { Context, SQSEvent } from 'aws-lambda';
import { createWorkerHandler } from './sqs-batch';

const config = loadWorkerConfig();
const { logger, metrics, count } = createObservability(SERVICE_NAME.worker);

const worker = createWorkerHandler({
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

export const handler = async (event: SQSEvent, context?: Context) => {
  if (context) logger.addContext(context);
  return worker(event, context);
};
