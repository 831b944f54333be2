/**
 * Requests per processed event, counted (not timed) on the clients of the pipeline assembled in this
 * process from the functions' own wirings (the ingest, a poller as the local stack runs it, the worker),
 * and baseline 2: a two-phase idempotency pattern (put in-progress, act, mark completed) against our
 * single atomic commit, on the same DynamoDB Local.
 */
import { PutItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { marshall } from '@aws-sdk/util-dynamodb';
import Stripe from 'stripe';
import { createDynamoDbClient } from '../functions/shared/clients';
import { registry } from '../functions/worker/actions';
import { DynamoLedger } from '../functions/worker/dynamo-ledger';
import type { StateWrite } from '../functions/worker/effects';
import { createPipelineResources } from '../local/create-resources';
import { LOCAL_AWS } from '../local/emulators';
import { sampleEvent } from '../local/sample-events';
import { startPoller } from '../local/poller';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { wireIngest } from '../functions/ingest/wiring';
import { loadIngestConfig, loadWorkerConfig } from '../functions/shared/config';
import { wireWorker } from '../functions/worker/wiring';
import { createSqsClient } from '../functions/shared/clients';
import { round } from './stats';

const SECRET = 'whsec_bench_requests_0123456789';

interface Counter {
  readonly calls: Map<string, number>;
  /** Write units DynamoDB Local reports. */
  reportedWru: number;
  /** Write units AWS bills: transactional writes cost twice (items here are under 1 KB). */
  billedWru: number;
  enabled: boolean;
}

/** Counts every call through a client, by command; asks DynamoDB for the capacity each write consumed. */
function count(client: SQSClient | DynamoDBClient): Counter {
  const counter: Counter = { calls: new Map(), reportedWru: 0, billedWru: 0, enabled: false };
  (client.middlewareStack as DynamoDBClient['middlewareStack']).add(
    (next, context) => async (args) => {
      const input = args.input as { ReturnConsumedCapacity?: string; TransactItems?: unknown[] };
      const isWrite = /^(TransactWriteItems|UpdateItem|PutItem)Command$/.test(context.commandName ?? '');
      if (isWrite) input.ReturnConsumedCapacity = 'TOTAL';
      const result = await next(args);
      if (counter.enabled) {
        counter.calls.set(context.commandName!, (counter.calls.get(context.commandName!) ?? 0) + 1);
        if (isWrite) {
          const consumed = (result.output as { ConsumedCapacity?: { CapacityUnits?: number } | { CapacityUnits?: number }[] }).ConsumedCapacity;
          counter.reportedWru += [consumed ?? []].flat().reduce((sum, entry) => sum + (entry.CapacityUnits ?? 0), 0);
          counter.billedWru += input.TransactItems ? 2 * input.TransactItems.length : 1;
        }
      }
      return result;
    },
    { step: 'initialize', name: 'benchCounter' },
  );
  // The clients resolve each command's middleware once (cacheMiddleware): drop what they resolved.
  delete (client as unknown as { handlers?: unknown }).handlers;
  return counter;
}

export async function requestsPerEvent(endpoints: { sqs: string; dynamodb: string }, events = 500) {
  const sqs = createSqsClient({ endpoint: endpoints.sqs, ...LOCAL_AWS });
  const db = createDynamoDbClient({ endpoint: endpoints.dynamodb, ...LOCAL_AWS });
  const resources = await createPipelineResources(sqs, db, { stage: `bench${Date.now().toString(36)}` });
  const sqsCounter = count(sqs);
  const dbCounter = count(db);
  const noop = () => undefined;
  const quiet = { debug: noop, info: noop, warn: noop, error: noop };
  // The ingest's own SQS calls (functions/ingest/aws-json-client.ts), counted at its HTTP handler.
  const transport = new NodeHttpHandler();
  const ingest = wireIngest({
    config: loadIngestConfig({ QUEUE_URL: resources.queueUrl, STRIPE_WEBHOOK_SECRET: SECRET, AWS_ENDPOINT_URL_SQS: endpoints.sqs }),
    credentials: LOCAL_AWS.credentials,
    requestHandler: {
      handle: (request) => {
        if (sqsCounter.enabled) sqsCounter.calls.set('SendMessage', (sqsCounter.calls.get('SendMessage') ?? 0) + 1);
        return transport.handle(request as Parameters<NodeHttpHandler["handle"]>[0]);
      },
    },
    log: quiet,
    count: noop,
  });
  const done = new Set<string>();
  const worker = wireWorker({
    config: loadWorkerConfig({ LEDGER_TABLE_NAME: resources.ledgerTableName, PROJECTIONS_TABLE_NAME: resources.projectionsTableName }),
    db,
    log: quiet,
    count: noop,
  });
  // The same batch settings as the local stack's poller (local/stack.ts).
  const poller = startPoller({
    sqs,
    queueUrl: resources.queueUrl,
    queueArn: 'arn:aws:sqs:us-east-1:000000000000:bench',
    handler: async (event) => {
      const response = await worker(event);
      const failed = new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier));
      for (const record of event.Records) if (!failed.has(record.messageId)) done.add(JSON.parse(record.body).id);
      return response;
    },
    batchSize: 30,
  });
  try {
    sqsCounter.enabled = dbCounter.enabled = true;
    const planned = Array.from({ length: events }, () => sampleEvent('payment_intent.succeeded'));
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < planned.length) {
          const body = JSON.stringify(planned[next++]!);
          const header = Stripe.webhooks.generateTestHeaderString({ payload: body, secret: SECRET });
          const response = await ingest({ version: '2.0', requestContext: { http: { method: 'POST' } }, headers: { 'stripe-signature': header }, body, isBase64Encoded: false } as never);
          if (response.statusCode !== 200) throw new Error(`answered ${response.statusCode}`);
        }
      }),
    );
    while (planned.some((event) => !done.has(event.id))) await new Promise((resolve) => setTimeout(resolve, 50));
    sqsCounter.enabled = dbCounter.enabled = false;
  } finally {
    await poller.stop();
    transport.destroy();
    sqs.destroy();
    db.destroy();
  }
  const perEvent = (calls: Map<string, number>) => Object.fromEntries([...calls].map(([name, n]) => [name.replace(/Command$/, ''), round(n / events, 3)]));
  return {
    events,
    sqs: perEvent(sqsCounter.calls),
    dynamodb: perEvent(dbCounter.calls),
    sqsTotal: round([...sqsCounter.calls.values()].reduce((a, b) => a + b, 0) / events, 3),
    dynamodbTotal: round([...dbCounter.calls.values()].reduce((a, b) => a + b, 0) / events, 3),
    reportedWru: round(dbCounter.reportedWru / events, 2),
    billedWru: round(dbCounter.billedWru / events, 2),
  };
}

/** Baseline 2: two-phase (3+ round trips) against one atomic commit, same writes, same DynamoDB. */
export async function twoPhaseVersusAtomic(endpoints: { sqs: string; dynamodb: string }, events = 500) {
  const client = createDynamoDbClient({ endpoint: endpoints.dynamodb, ...LOCAL_AWS });
  const sqs = createSqsClient({ endpoint: endpoints.sqs, ...LOCAL_AWS });
  const counter = count(client);
  const tables = await createPipelineResources(sqs, client, { stage: `base${Date.now().toString(36)}` });
  const ledger = new DynamoLedger(client, { ...tables, retentionDays: 90 });
  const handler = registry.find('payment_intent.succeeded')!;

  const run = async (name: string, process: (event: Stripe.Event) => Promise<void>) => {
    const planned = Array.from({ length: events }, () => sampleEvent('payment_intent.succeeded'));
    for (const event of planned.slice(0, 50)) await process(event); // warm-up
    counter.calls.clear();
    counter.reportedWru = counter.billedWru = 0;
    counter.enabled = true;
    const start = performance.now();
    for (const event of planned.slice(50)) await process(event);
    const elapsed = performance.now() - start;
    counter.enabled = false;
    const measured = events - 50;
    return {
      name,
      roundTrips: round([...counter.calls.values()].reduce((a, b) => a + b, 0) / measured, 2),
      reportedWru: round(counter.reportedWru / measured, 2),
      billedWru: round(counter.billedWru / measured, 2),
      msPerEvent: round(elapsed / measured, 2),
    };
  };

  const atomic = await run('atomic commit (this product)', async (event) => {
    await ledger.commit({ id: event.id, type: event.type, created: event.created, livemode: false, source: 'webhook' }, handler.handle(event, { livemode: false, form: 'snapshot', source: 'webhook' }).writes, { kind: 'direct' }, Date.now());
  });
  const twoPhase = await run('two-phase: put in-progress, act, mark completed', async (event) => {
    const key = marshall({ eventId: event.id });
    await client.send(
      new PutItemCommand({ TableName: tables.ledgerTableName, Item: marshall({ eventId: event.id, status: 'in_progress' }), ConditionExpression: 'attribute_not_exists(eventId)' }),
    );
    for (const write of handler.handle(event, { livemode: false, form: 'snapshot', source: 'webhook' }).writes as StateWrite[]) {
      await client.send(
        new UpdateItemCommand({
          TableName: tables.projectionsTableName,
          Key: marshall(write.key),
          UpdateExpression: 'SET #s = :s, stateVersion = :v',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: marshall({ ':s': String(write.attributes.status), ':v': write.version }),
        }),
      );
    }
    await client.send(
      new UpdateItemCommand({ TableName: tables.ledgerTableName, Key: key, UpdateExpression: 'SET #s = :c', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: marshall({ ':c': 'completed' }) }),
    );
  });
  client.destroy();
  sqs.destroy();
  return { atomic, twoPhase };
}
