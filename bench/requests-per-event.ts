/**
 * Requests per processed event, counted (not timed) on the SDK clients of an in-process local stack,
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
import { startLocalStack } from '../local/stack';
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
  const done = new Set<string>();
  const stack = await startLocalStack({
    port: 0,
    secrets: [SECRET],
    stage: `bench${Date.now().toString(36)}`,
    endpoints,
    print: () => undefined,
    onOutcome: (eventId, outcome) => (outcome === 'completed' ? done.add(eventId) : undefined),
  });
  const sqs = count(stack.sqs);
  const db = count(stack.db);
  try {
    sqs.enabled = db.enabled = true;
    const planned = Array.from({ length: events }, () => sampleEvent('payment_intent.succeeded'));
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < planned.length) {
          const event = planned[next++]!;
          const body = JSON.stringify(event);
          const response = await fetch(`${stack.url}/webhook`, {
            method: 'POST',
            headers: { 'stripe-signature': Stripe.webhooks.generateTestHeaderString({ payload: body, secret: SECRET }) },
            body,
          });
          if (response.status !== 200) throw new Error(`answered ${response.status}`);
        }
      }),
    );
    while (planned.some((event) => !done.has(event.id))) await new Promise((resolve) => setTimeout(resolve, 50));
    sqs.enabled = db.enabled = false;
  } finally {
    await stack.stop();
  }
  const perEvent = (calls: Map<string, number>) => Object.fromEntries([...calls].map(([name, n]) => [name.replace(/Command$/, ''), round(n / events, 3)]));
  return {
    events,
    sqs: perEvent(sqs.calls),
    dynamodb: perEvent(db.calls),
    sqsTotal: round([...sqs.calls.values()].reduce((a, b) => a + b, 0) / events, 3),
    dynamodbTotal: round([...db.calls.values()].reduce((a, b) => a + b, 0) / events, 3),
    reportedWru: round(db.reportedWru / events, 2),
    billedWru: round(db.billedWru / events, 2),
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
