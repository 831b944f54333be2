/**
 * Lambda entry point of the ingest: configuration, clients and observability into the one wiring.
 * Runs once per container, during the init phase.
 */
import type { Context } from 'aws-lambda';
import { createSecretsManagerClient, createSqsClient } from '../shared/clients';
import { loadIngestConfig } from '../shared/config';
import { SERVICE_NAME, createObservability } from '../shared/observability';
import type { ApiGatewayEvent } from './request';
import { wireIngest } from './wiring';

const config = loadIngestConfig();
const { logger, metrics, count } = createObservability(SERVICE_NAME.ingest);

const ingest = wireIngest({
  config,
  sqs: createSqsClient({ endpoint: config.endpoints.sqs }),
  ...(config.secretSource.kind === 'secrets-manager' ? { secretsManager: createSecretsManagerClient({ endpoint: config.endpoints.secretsManager }) } : {}),
  log: logger,
  count,
  afterRequest: () => metrics.publishStoredMetrics(),
});

export const handler = async (event: ApiGatewayEvent, context?: Context) => {
  // Puts the request id and function details on every log line of this invocation.
  if (context) logger.addContext(context);
  return ingest(event);
};
