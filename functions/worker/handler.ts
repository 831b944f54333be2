/**
 * Lambda entry point of the worker: configuration, clients and observability into the one wiring.
 * Runs once per container, during the init phase.
 */
import type { Context, SQSEvent } from 'aws-lambda';
import { createDynamoDbClient, createSecretsManagerClient } from '../shared/clients';
import { loadWorkerConfig } from '../shared/config';
import { SERVICE_NAME, createObservability } from '../shared/observability';
import { wireWorker } from './wiring';

const config = loadWorkerConfig();
const { logger, metrics, count } = createObservability(SERVICE_NAME.worker);

const worker = wireWorker({
  config,
  db: createDynamoDbClient({ endpoint: config.endpoints.dynamodb }),
  ...(config.stripeApi?.keySource.kind === 'secrets-manager' ? { secretsManager: createSecretsManagerClient({ endpoint: config.endpoints.secretsManager }) } : {}),
  log: logger,
  count,
  afterBatch: () => metrics.publishStoredMetrics(),
});

export const handler = async (event: SQSEvent, context?: Context) => {
  // Puts the request id and function details on every log line of this invocation.
  if (context) logger.addContext(context);
  return worker(event, context);
};
