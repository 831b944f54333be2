/**
 * How fast the emulators themselves go on this machine, with no pipeline around them: SendMessage to
 * fauxqs, and a 3-item commit (one event), a 30-item commit (ten events) or a 90-item commit (thirty
 * events, the local stack's batch) to DynamoDB Local. These bound what the local stack can do end to end.
 */
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { createDynamoDbClient, createSqsClient } from '../functions/shared/clients';
import { registry } from '../functions/worker/actions';
import { DynamoLedger } from '../functions/worker/dynamo-ledger';
import { createPipelineResources } from '../local/create-resources';
import { LOCAL_AWS } from '../local/emulators';
import { sampleEvent } from '../local/sample-events';
import { round } from './stats';

async function rate(total: number, concurrency: number, operation: () => Promise<unknown>): Promise<number> {
  let started = 0;
  const begin = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => { while (started++ < total) await operation(); }));
  return round(total / ((performance.now() - begin) / 1000));
}

export async function emulatorCeilings(endpoints: { sqs: string; dynamodb: string }) {
  const sqs = createSqsClient({ endpoint: endpoints.sqs, ...LOCAL_AWS });
  const db = createDynamoDbClient({ endpoint: endpoints.dynamodb, ...LOCAL_AWS });
  const resources = await createPipelineResources(sqs, db, { stage: `ceil${Date.now().toString(36)}` });
  const ledger = new DynamoLedger(db, { ...resources, retentionDays: 90 });
  const handler = registry.find('payment_intent.succeeded')!;
  const entry = () => {
    const event = sampleEvent('payment_intent.succeeded');
    return { event: { id: event.id, type: event.type, created: event.created, livemode: false, source: 'webhook' as const }, writes: handler.handle(event, { livemode: false, form: 'snapshot', source: 'webhook' }).writes };
  };
  const send = () => sqs.send(new SendMessageCommand({ QueueUrl: resources.queueUrl, MessageBody: JSON.stringify(sampleEvent('payment_intent.succeeded')) }));
  const single = () => {
    const { event, writes } = entry();
    return ledger.commit(event, writes, { kind: 'direct' }, Date.now());
  };
  const ten = () => ledger.commitTogether(Array.from({ length: 10 }, entry), Date.now());
  const thirty = () => ledger.commitTogether(Array.from({ length: 30 }, entry), Date.now());
  // Warm-up (JIT in the JVM and in Node), then measure.
  await rate(300, 8, send);
  await rate(300, 8, single);
  await rate(50, 8, ten);
  await rate(20, 8, thirty);
  const result = {
    sendMessagePerSecond: await rate(2000, 16, send),
    singleCommitEventsPerSecond: await rate(1000, 8, single),
    tenEventCommitEventsPerSecond: round((await rate(150, 8, ten)) * 10),
    thirtyEventCommitEventsPerSecond: round((await rate(50, 8, thirty)) * 30),
  };
  sqs.destroy();
  db.destroy();
  return result;
}
