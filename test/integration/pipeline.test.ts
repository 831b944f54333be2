/**
 * The whole pipeline through the bundled Lambda entry points, configured only by environment
 * variables as on AWS: API Gateway event → ingest bundle → SQS → worker bundle → DynamoDB.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteMessageBatchCommand } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyResult, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { projectionKeys } from '../../functions/shared/projection-keys';
import type { PipelineResources } from '../../ops/stage';
import { toRecord } from '../../local/poller';
import { sampleEvent } from '../../local/sample-events';
import { bundleFunctions } from '../../infra/bundle';
import { emulatorEndpoints, freshResources, getItem, receiveAll, testClients } from '../helpers/aws';
import { TEST_SECRET, signedHttpApiEvent } from '../helpers/factories';

type Handler<E, R> = (event: E, context?: unknown) => Promise<R>;

describe('pipeline (bundled handlers)', () => {
  const { sqs, db } = testClients();
  const outDir = mkdtempSync(join(tmpdir(), 'bundles-'));
  let resources: PipelineResources;
  let ingest: Handler<unknown, APIGatewayProxyResult>;
  let worker: Handler<SQSEvent, SQSBatchResponse>;

  beforeAll(async () => {
    resources = await freshResources();
    const bundles = await bundleFunctions(outDir);
    const endpoints = emulatorEndpoints();
    Object.assign(process.env, {
      QUEUE_URL: resources.queueUrl,
      STRIPE_WEBHOOK_SECRET: TEST_SECRET,
      LEDGER_TABLE_NAME: resources.ledgerTableName,
      PROJECTIONS_TABLE_NAME: resources.projectionsTableName,
      AWS_ENDPOINT_URL_SQS: endpoints.sqs,
      AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    });
    ingest = require(bundles.ingest).handler;
    worker = require(bundles.worker).handler;
  }, 60_000);

  afterAll(() => {
    sqs.destroy();
    db.destroy();
    rmSync(outDir, { recursive: true, force: true });
  });

  /** What Lambda's event source mapping does: receive, invoke, delete what succeeded. */
  async function pollOnce(): Promise<SQSBatchResponse> {
    const messages = await receiveAll(sqs, resources.queueUrl);
    const response = await worker({ Records: messages.map((message) => toRecord(message, 'arn:aws:sqs:us-east-1:000000000000:queue')) });
    const failed = new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier));
    const done = messages.filter((message) => !failed.has(message.MessageId!));
    if (done.length > 0) {
      await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: resources.queueUrl, Entries: done.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle! })) }));
    }
    return response;
  }

  it('takes a signed delivery to a completed event with its projections', async () => {
    const event = sampleEvent('payment_intent.succeeded');
    const duplicate = signedHttpApiEvent(event);

    expect((await ingest(signedHttpApiEvent(event))).statusCode).toBe(200);
    expect((await ingest(duplicate)).statusCode).toBe(200);
    expect((await ingest(signedHttpApiEvent(sampleEvent('customer.created')))).statusCode).toBe(200);
    expect((await pollOnce()).batchItemFailures).toEqual([]);

    expect(await getItem(db, resources.ledgerTableName, { eventId: event.id })).toMatchObject({ status: 'completed', attempts: 1 });
    expect(await getItem(db, resources.projectionsTableName, projectionKeys.payment(event.data.object.id))).toMatchObject({ status: 'succeeded' });
    expect(await receiveAll(sqs, resources.queueUrl)).toHaveLength(0);
  });

  it('rejects a bad signature at the edge', async () => {
    const response = await ingest(signedHttpApiEvent(sampleEvent('payment_intent.succeeded'), { secret: 'whsec_wrong' }));
    expect(response.statusCode).toBe(400);
  });
});
