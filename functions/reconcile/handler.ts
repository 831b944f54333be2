/**
 * Lambda entry point of the scheduled reconcile (an EventBridge schedule invokes it): configuration,
 * clients and observability into the one wiring. Runs once per container, during the init phase.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { createDynamoDbClient, createSecretsManagerClient, createSqsClient } from '../shared/clients';
import { loadReconcileConfig } from '../shared/config';
import { SERVICE_NAME, createObservability } from '../shared/observability';
import { wireReconcile } from './wiring';

const config = loadReconcileConfig();
const { logger, metrics, count } = createObservability(SERVICE_NAME.reconcile);

const run = wireReconcile({
  config,
  sqs: createSqsClient({ endpoint: config.endpoints.sqs }),
  db: createDynamoDbClient({ endpoint: config.endpoints.dynamodb }),
  ...(config.stripeApi.keySource.kind === 'secrets-manager' ? { secretsManager: createSecretsManagerClient({ endpoint: config.endpoints.secretsManager }) } : {}),
  log: logger,
  count,
  gauge: (metric, seconds) => metrics.addMetric(metric, MetricUnit.Seconds, seconds),
});

export const handler = async (_event: unknown, context?: Context) => {
  if (context) logger.addContext(context);
  try {
    const { complete, progress } = await run(context ? { remainingMs: () => context.getRemainingTimeInMillis() } : {});
    return { complete, ...progress };
  } catch (error) {
    // Logged here with its safe message (StripeApiError never carries the key); thrown so the error alarm counts it.
    logger.error('Reconcile failed', { error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
    throw error;
  } finally {
    metrics.publishStoredMetrics();
  }
};
