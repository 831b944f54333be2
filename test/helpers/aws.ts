import { randomBytes } from 'node:crypto';
import { GetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { AwsJsonClient, SQS_SERVICE } from '../../functions/ingest/aws-json-client';
import { sqsEnqueue } from '../../functions/ingest/enqueue';
import type { Enqueue } from '../../functions/ingest/receive-webhook';
import { createDynamoDbClient, createSqsClient } from '../../functions/shared/clients';
import { LOCAL_AWS } from '../../local/emulators';
import { createPipelineResources, type CreateOptions } from '../../local/create-resources';
import type { PipelineResources } from '../../ops/stage';

export function emulatorEndpoints(): { dynamodb: string; sqs: string } {
  const dynamodb = process.env.TEST_DYNAMODB_ENDPOINT;
  const sqs = process.env.TEST_SQS_ENDPOINT;
  if (!dynamodb || !sqs) throw new Error('The emulators are not running: run the tests through jest (globalSetup starts them)');
  return { dynamodb, sqs };
}

export function testClients(): { sqs: SQSClient; db: DynamoDBClient } {
  const endpoints = emulatorEndpoints();
  return {
    sqs: createSqsClient({ endpoint: endpoints.sqs, ...LOCAL_AWS }),
    db: createDynamoDbClient({ endpoint: endpoints.dynamodb, ...LOCAL_AWS }),
  };
}

/** The ingest's enqueue, sending to `queueUrl` on the SQS emulator (or at `endpoint`) as on AWS. */
export function emulatorEnqueue(queueUrl: string, endpoint = emulatorEndpoints().sqs): Enqueue {
  return sqsEnqueue(new AwsJsonClient({ service: SQS_SERVICE, ...LOCAL_AWS }), queueUrl, endpoint);
}

/** Queues and tables of a fresh, uniquely named stage, so test files never share state. */
export async function freshResources(options: Partial<CreateOptions> = {}): Promise<PipelineResources> {
  const { sqs, db } = testClients();
  try {
    return await createPipelineResources(sqs, db, { stage: `t${randomBytes(4).toString('hex')}`, ...options });
  } finally {
    sqs.destroy();
    db.destroy();
  }
}

export async function receiveAll(sqs: SQSClient, queueUrl: string, options: { visibilityTimeout?: number } = {}): Promise<Message[]> {
  const messages: Message[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
        VisibilityTimeout: options.visibilityTimeout ?? 30,
      }),
    );
    if (Messages.length === 0) return messages;
    messages.push(...Messages);
  }
}

export async function getItem<T = Record<string, unknown>>(db: DynamoDBClient, tableName: string, key: Record<string, string>): Promise<T | undefined> {
  const { Item } = await db.send(new GetItemCommand({ TableName: tableName, Key: Object.fromEntries(Object.entries(key).map(([k, v]) => [k, { S: v }])), ConsistentRead: true }));
  return Item ? (unmarshall(Item) as T) : undefined;
}
