/**
 * Lambda entry point of the ingest: wires configuration, clients and observability to the adapter.
 * Runs once per container, during the init phase.
 */
import { createSecretsManagerClient, createSqsClient } from '../shared/clients';
import { loadIngestConfig } from '../shared/config';
import { MAX_MESSAGE_BYTES } from '../shared/resources';
import { SERVICE_NAME, createObservability } from '../shared/observability';
import type { Context } from 'aws-lambda';
import { createIngestHandler } from './api-gateway';
import type { ApiGatewayEvent } from './request';
import { sqsEnqueue } from './enqueue';
import { SecretCache, secretsManagerSecrets, staticSecrets } from './secrets';

const config = loadIngestConfig();
const { logger, metrics, count } = createObservability(SERVICE_NAME.ingest);
const source = config.secretSource;

const secrets = new SecretCache(
  source.kind === 'env' ? staticSecrets(source.secrets) : secretsManagerSecrets(createSecretsManagerClient({ endpoint: config.endpoints.secretsManager }), source.secretId),
  {
    refreshMs: source.kind === 'env' ? Number.POSITIVE_INFINITY : source.refreshSeconds * 1000,
    onRefreshError: (error) => logger.warn('Refreshing signing secrets failed; using cached ones', { error: String(error) }),
  },
);

const ingest = createIngestHandler({
  secrets,
  enqueue: sqsEnqueue(createSqsClient({ endpoint: config.endpoints.sqs }), config.queueUrl),
  toleranceSeconds: config.toleranceSeconds,
  maxMessageBytes: MAX_MESSAGE_BYTES,
  now: Date.now,
  log: logger,
  count,
  afterRequest: () => metrics.publishStoredMetrics(),
});

export const handler = async (event: ApiGatewayEvent, context?: Context) => {
  // Puts the request id and function details on every log line of this invocation.
  if (context) logger.addContext(context);
  return ingest(event);
};
