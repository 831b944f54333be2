/**
 * A stage's resources, by name: the same names the CDK stack and the local stack give them
 * (functions/shared/resources.ts), so any tool can find a stage from its name alone.
 */
import { GetQueueUrlCommand, type SQSClient } from '@aws-sdk/client-sqs';
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
