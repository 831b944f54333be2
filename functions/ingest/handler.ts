/**
 * Lambda entry point of the ingest: configuration, credentials and observability into the one wiring.
 * Runs once per container, during the init phase.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';
import type { Context } from 'aws-lambda';
import { loadIngestConfig } from '../shared/config';
import { SERVICE_NAME, createObservability } from '../shared/observability';
import type { ApiGatewayEvent } from './request';
import { wireIngest } from './wiring';

const config = loadIngestConfig();
const { logger, metrics, count } = createObservability(SERVICE_NAME.ingest);

const ingest = wireIngest({
  config,
  // Lambda hands the function role's credentials to the function in its environment.
  credentials: fromEnv(),
  log: logger,
  count,
  // Only failures add metrics; a request that added none writes no metric line.
  afterRequest: () => {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  },
});

export const handler = async (event: ApiGatewayEvent, context?: Context) => {
  // Puts the request id and function details on every log line of this invocation.
  if (context) logger.addContext(context);
  return ingest(event);
};
