/**
 * Creates the pipeline's queues and tables in the emulators, from the same definitions the CDK stack
 * uses (functions/shared/resources.ts): same names, attributes, key schema, TTL and redrive policy.
 */
import { CreateTableCommand, DescribeTableCommand, UpdateTimeToLiveCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { LEDGER_TABLE, PROJECTIONS_TABLE, QUEUES, resourceName, type QueueDefinition, type TableDefinition } from '../functions/shared/resources';

export interface PipelineResources {
  readonly queueUrl: string;
  readonly deadLetterQueueUrl: string;
  readonly ledgerTableName: string;
  readonly projectionsTableName: string;
}

export interface CreateOptions {
  /** Name prefix, like the CDK stage. */
  readonly stage: string;
  /** Overrides the queue's visibility timeout, e.g. a few seconds for quick local retries. */
  readonly visibilityTimeoutSeconds?: number;
  /** Overrides the redrive policy's maxReceiveCount. */
  readonly maxReceiveCount?: number;
}

export async function createPipelineResources(sqs: SQSClient, db: DynamoDBClient, options: CreateOptions): Promise<PipelineResources> {
  const deadLetterQueueUrl = await createQueue(sqs, resourceName(options.stage, QUEUES.deadLetters), QUEUES.deadLetters, {});
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: deadLetterQueueUrl, AttributeNames: ['QueueArn'] }));
  const queueUrl = await createQueue(sqs, resourceName(options.stage, QUEUES.events), QUEUES.events, {
    VisibilityTimeout: String(options.visibilityTimeoutSeconds ?? QUEUES.events.visibilityTimeoutSeconds),
    RedrivePolicy: JSON.stringify({
      deadLetterTargetArn: Attributes!.QueueArn,
      maxReceiveCount: options.maxReceiveCount ?? QUEUES.maxReceiveCount,
    }),
  });
  const ledgerTableName = await createTable(db, resourceName(options.stage, LEDGER_TABLE), LEDGER_TABLE);
  const projectionsTableName = await createTable(db, resourceName(options.stage, PROJECTIONS_TABLE), PROJECTIONS_TABLE);
  return { queueUrl, deadLetterQueueUrl, ledgerTableName, projectionsTableName };
}

async function createQueue(sqs: SQSClient, name: string, definition: QueueDefinition, attributes: Record<string, string>): Promise<string> {
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: {
        VisibilityTimeout: String(definition.visibilityTimeoutSeconds),
        MessageRetentionPeriod: String(definition.retentionSeconds),
        MaximumMessageSize: String(definition.maxMessageBytes),
        ...attributes,
      },
    }),
  );
  return QueueUrl!;
}

/** Creates the table unless it exists (DATA_DIR keeps tables across restarts). */
async function createTable(db: DynamoDBClient, name: string, definition: TableDefinition): Promise<string> {
  try {
    await db.send(new DescribeTableCommand({ TableName: name }));
    return name;
  } catch (error) {
    if ((error as Error).name !== 'ResourceNotFoundException') throw error;
  }
  const keys = [definition.partitionKey, ...(definition.sortKey ? [definition.sortKey] : [])];
  await db.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: keys.map((key) => ({ AttributeName: key.name, AttributeType: key.type })),
      KeySchema: keys.map((key, index) => ({ AttributeName: key.name, KeyType: index === 0 ? 'HASH' : 'RANGE' })),
    }),
  );
  if (definition.ttlAttribute) {
    await db.send(
      new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: { AttributeName: definition.ttlAttribute, Enabled: true } }),
    );
  }
  return name;
}
