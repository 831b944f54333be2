/**
 * Creates the pipeline's queues and tables in the emulators, from the same definitions the CDK stack
 * uses (functions/shared/resources.ts): same names, attributes, key schema, TTL and redrive policy.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  type AttributeDefinition,
  type DynamoDBClient,
  type KeySchemaElement,
  type Projection,
} from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import {
  LEDGER_TABLE,
  PROJECTIONS_TABLE,
  QUEUES,
  STATE_TABLE,
  resourceName,
  type IndexDefinition,
  type KeyAttribute,
  type QueueDefinition,
  type TableDefinition,
} from '../functions/shared/resources';
import type { PipelineResources } from '../ops/stage';

export interface CreateOptions {
  /** Name prefix, like the CDK stage. */
  readonly stage: string;
  /** Overrides the queue's visibility timeout, e.g. a few seconds for quick local retries. */
  readonly visibilityTimeoutSeconds?: number;
}

export async function createPipelineResources(sqs: SQSClient, db: DynamoDBClient, options: CreateOptions): Promise<PipelineResources> {
  const deadLetterQueueUrl = await createQueue(sqs, resourceName(options.stage, QUEUES.deadLetters), QUEUES.deadLetters, {});
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: deadLetterQueueUrl, AttributeNames: ['QueueArn'] }));
  const queueUrl = await createQueue(sqs, resourceName(options.stage, QUEUES.events), QUEUES.events, {
    VisibilityTimeout: String(options.visibilityTimeoutSeconds ?? QUEUES.events.visibilityTimeoutSeconds),
    RedrivePolicy: JSON.stringify({
      deadLetterTargetArn: Attributes!.QueueArn,
      maxReceiveCount: QUEUES.maxReceiveCount,
    }),
  });
  const ledgerTableName = await createTable(db, resourceName(options.stage, LEDGER_TABLE), LEDGER_TABLE);
  const projectionsTableName = await createTable(db, resourceName(options.stage, PROJECTIONS_TABLE), PROJECTIONS_TABLE);
  const stateTableName = await createTable(db, resourceName(options.stage, STATE_TABLE), STATE_TABLE);
  return { queueUrl, deadLetterQueueUrl, ledgerTableName, projectionsTableName, stateTableName };
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

/**
 * Creates the table unless it exists (DATA_DIR keeps tables across restarts), and adds any index a
 * table kept from an older version lacks.
 */
async function createTable(db: DynamoDBClient, name: string, definition: TableDefinition): Promise<string> {
  let existing: Set<string> | undefined;
  try {
    const { Table } = await db.send(new DescribeTableCommand({ TableName: name }));
    existing = new Set((Table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName!));
  } catch (error) {
    if ((error as Error).name !== 'ResourceNotFoundException') throw error;
  }
  const indexes = definition.indexes ?? [];
  if (existing) {
    for (const index of indexes.filter((index) => !existing.has(index.name))) {
      await db.send(
        new UpdateTableCommand({
          TableName: name,
          AttributeDefinitions: attributeDefinitions([index.partitionKey, index.sortKey]),
          GlobalSecondaryIndexUpdates: [{ Create: { IndexName: index.name, KeySchema: keySchema(index), Projection: projection(index) } }],
        }),
      );
    }
    return name;
  }
  await db.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: attributeDefinitions([definition.partitionKey, definition.sortKey, ...indexes.flatMap((index) => [index.partitionKey, index.sortKey])]),
      KeySchema: keySchema(definition),
      ...(indexes.length > 0
        ? { GlobalSecondaryIndexes: indexes.map((index) => ({ IndexName: index.name, KeySchema: keySchema(index), Projection: projection(index) })) }
        : {}),
    }),
  );
  if (definition.ttlAttribute) {
    await db.send(
      new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: { AttributeName: definition.ttlAttribute, Enabled: true } }),
    );
  }
  return name;
}

function keySchema(keys: { readonly partitionKey: KeyAttribute; readonly sortKey?: KeyAttribute }): KeySchemaElement[] {
  return [{ AttributeName: keys.partitionKey.name, KeyType: 'HASH' }, ...(keys.sortKey ? [{ AttributeName: keys.sortKey.name, KeyType: 'RANGE' as const }] : [])];
}

function projection(index: IndexDefinition): Projection {
  const attributes = index.projection ?? 'ALL';
  return typeof attributes === 'string' ? { ProjectionType: attributes } : { ProjectionType: 'INCLUDE', NonKeyAttributes: [...attributes] };
}

function attributeDefinitions(keys: readonly (KeyAttribute | undefined)[]): AttributeDefinition[] {
  const unique = new Map(keys.filter((key): key is KeyAttribute => key !== undefined).map((key) => [key.name, key.type]));
  return [...unique].map(([AttributeName, AttributeType]) => ({ AttributeName, AttributeType }));
}
