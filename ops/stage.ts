/**
 * A stage's resources, by name: the same names the CDK stack and the local stack give them
 * (functions/shared/resources.ts), so any tool can find a stage from its name alone.
 */
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetQueueUrlCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { loadStripeApiConfig } from '../functions/shared/config';
import { ConfigError } from '../functions/shared/errors';
import { createStripeApi, type StripeApi } from '../functions/shared/stripe-api';
import { LEDGER_TABLE, PROJECTIONS_TABLE, QUEUES, STATE_TABLE, resourceName } from '../functions/shared/resources';

export interface PipelineResources {
  readonly queueUrl: string;
  readonly deadLetterQueueUrl: string;
  readonly ledgerTableName: string;
  readonly projectionsTableName: string;
  /** The pipeline's own state: reconcile checkpoints. */
  readonly stateTableName: string;
}

/** The resources of a deployed stage; fails with the queue's name when the stage is not there. */
export async function stageResources(sqs: SQSClient, stage: string): Promise<PipelineResources> {
  const url = async (name: string) => {
    try {
      return (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl!;
    } catch (error) {
      throw new Error(`No queue ${name} (is stage "${stage}" deployed in this account and region?): ${(error as Error).name}`, { cause: error });
    }
  };
  const [queueUrl, deadLetterQueueUrl] = await Promise.all([url(resourceName(stage, QUEUES.events)), url(resourceName(stage, QUEUES.deadLetters))]);
  return {
    queueUrl,
    deadLetterQueueUrl,
    ledgerTableName: resourceName(stage, LEDGER_TABLE),
    projectionsTableName: resourceName(stage, PROJECTIONS_TABLE),
    stateTableName: resourceName(stage, STATE_TABLE),
  };
}

/**
 * The Stripe API client of a deployed stage, with the key read from its secret by the operator's own
 * credentials (the key never leaves the account). STRIPE_API_BASE and STRIPE_READS_PER_SECOND apply.
 */
export async function stageStripeApi(secretsManager: SecretsManagerClient, apiKeySecretId: string, env: Readonly<Record<string, string | undefined>> = process.env): Promise<StripeApi> {
  const problems: string[] = [];
  const config = loadStripeApiConfig({ STRIPE_API_KEY_SECRET_ARN: apiKeySecretId, STRIPE_API_BASE: env.STRIPE_API_BASE, STRIPE_READS_PER_SECOND: env.STRIPE_READS_PER_SECOND }, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return createStripeApi(config, secretsManager);
}
