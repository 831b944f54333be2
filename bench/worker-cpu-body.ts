/**
 * The body of bench/worker-cpu.ts: run bundled as the worker is deployed, in a fresh Node process
 * (bench/bundled-child.ts), which hands its result to the parent.
 *
 * The worker is assembled as functions/worker/handler.ts assembles it (configuration from the
 * environment, the shared DynamoDB client, Powertools Logger and Metrics, the one wiring), except that
 * the DynamoDB client's request handler is a stub that answers each operation as DynamoDB does and
 * counts them. It is then given Lambda-shaped SQS batches of new `payment_intent.succeeded` events, as
 * the ingest enqueues them, one batch at a time.
 *
 * The log lines and metrics that Powertools writes to stdout go where the parent sends it, /dev/null
 * (one write system call per line, as on Lambda, where it is a pipe), and are counted on the way. The
 * result goes to the parent through reportResult (bench/child-result.ts).
 *
 * Environment (set by bench/worker-cpu.ts):
 *   BENCH_BATCH_SIZE         events per batch (10)
 *   BENCH_FIRST_BATCHES      batches timed from the first, for the fresh-process mean (100)
 *   BENCH_WARM_EVENTS        events handled before the steady-state batches are timed (10,000)
 *   BENCH_STEADY_BATCHES     steady-state batches timed (2,000)
 *   BENCH_CPU_PROFILE        when set, a path to write a V8 CPU profile of the steady-state batches to
 *   BENCH_CPU_PROFILE_INTERVAL  its sampling interval in microseconds (100)
 * With `--expose-gc`, memory is sampled after a full collection; without it, as it stands.
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { Readable } from 'node:stream';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { createDynamoDbClient, createSecretsManagerClient } from '../functions/shared/clients';
import { loadWorkerConfig } from '../functions/shared/config';
import { snapshotMessage } from '../functions/shared/message';
import { SERVICE_NAME, createObservability } from '../functions/shared/observability';
import { wireWorker } from '../functions/worker/wiring';
import { sampleEvent } from '../local/sample-events';
import { reportResult } from './child-result';

const setting = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const BATCH_SIZE = setting('BENCH_BATCH_SIZE', 10);
const FIRST_BATCHES = setting('BENCH_FIRST_BATCHES', 100);
const WARM_EVENTS = setting('BENCH_WARM_EVENTS', 10_000);
const STEADY_BATCHES = setting('BENCH_STEADY_BATCHES', 2_000);

// What Powertools writes to stdout (a log line per completed event, a metrics document per batch), counted on its way.
const output = { lines: 0, characters: 0 };
const write = process.stdout.write.bind(process.stdout) as (chunk: string | Uint8Array) => boolean;
process.stdout.write = ((chunk: string | Uint8Array) => {
  output.lines++;
  output.characters += chunk.length;
  return write(chunk);
}) as typeof process.stdout.write;

/** DynamoDB operations the worker made, by name (from the X-Amz-Target header). */
const operations: Record<string, number> = {};
const answer = Buffer.from('{}');

/**
 * Answers every operation as DynamoDB answers a request that succeeds and returns nothing (no item, no
 * old values): TransactWriteItems and UpdateItem `{}`, GetItem `{}` (no such item). Its own time is
 * summed, so that the report can say how much of the figure is the stub's.
 */
const stubbedDynamoDb = {
  micros: 0,
  handle: async (request: { headers: Record<string, string> }) => {
    const start = process.hrtime.bigint();
    const operation = request.headers['x-amz-target']?.split('.')[1] ?? 'unknown';
    operations[operation] = (operations[operation] ?? 0) + 1;
    const response = {
      statusCode: 200,
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'bench' },
      body: Readable.from([answer]),
    };
    stubbedDynamoDb.micros += Number(process.hrtime.bigint() - start) / 1000;
    return { response };
  },
};

// As functions/worker/handler.ts builds the worker, but for the request handler. The shared factory
// sets its own; replacing it on the built client, before any call, keeps every other option it sets.
const config = loadWorkerConfig();
const { logger, metrics, count } = createObservability(SERVICE_NAME.worker);
const db = createDynamoDbClient({ endpoint: config.endpoints.dynamodb });
(db.config as { requestHandler: unknown }).requestHandler = stubbedDynamoDb;
const worker = wireWorker({
  config,
  db,
  ...(config.stripeApi?.keySource.kind === 'secrets-manager' ? { secretsManager: createSecretsManagerClient({ endpoint: config.endpoints.secretsManager }) } : {}),
  log: logger,
  count,
  afterBatch: () => metrics.publishStoredMetrics(),
});
const handler = async (event: SQSEvent, context: Context) => {
  logger.addContext(context);
  return worker(event, context);
};

const QUEUE_ARN = 'arn:aws:sqs:us-east-1:123456789012:bench-stripe-events';

/** A new event as the ingest enqueues it (the body as Stripe sends it, the attributes of snapshotMessage), as Lambda hands it over. */
function sqsRecord(): SQSRecord {
  const event = sampleEvent('payment_intent.succeeded');
  const body = JSON.stringify(event, null, 2);
  const { attributes } = snapshotMessage(event, body, { source: 'webhook', receivedAt: new Date() });
  const sent = String(Date.now());
  return {
    messageId: randomUUID(),
    receiptHandle: `AQEB${randomUUID()}`,
    body,
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: sent, SenderId: 'AROAEXAMPLE:ingest', ApproximateFirstReceiveTimestamp: sent },
    messageAttributes: Object.fromEntries(
      Object.entries(attributes).map(([name, { DataType, StringValue }]) => [name, { dataType: DataType, stringValue: StringValue, stringListValues: [], binaryListValues: [] }]),
    ),
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: QUEUE_ARN,
    awsRegion: 'us-east-1',
  };
}

function lambdaContext(): Context {
  const fail = () => {
    throw new Error('not used');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'bench-stripe-webhook-worker',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:bench-stripe-webhook-worker',
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: '/aws/lambda/bench-stripe-webhook-worker',
    logStreamName: '2026/11/23/[$LATEST]bench',
    getRemainingTimeInMillis: () => 30_000,
    done: fail,
    fail,
    succeed: fail,
  };
}

/** Handles one new batch: its wall time and its CPU time (user + system, all the process's threads), in microseconds. Building the batch is not timed. */
async function timedBatch(): Promise<{ wall: number; cpu: number }> {
  const event: SQSEvent = { Records: Array.from({ length: BATCH_SIZE }, sqsRecord) };
  const context = lambdaContext();
  const cpuStart = process.cpuUsage();
  const start = process.hrtime.bigint();
  const response = await handler(event, context);
  const wall = Number(process.hrtime.bigint() - start) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  if (response.batchItemFailures.length > 0) throw new Error(`The bench batch reported failures: ${JSON.stringify(response.batchItemFailures)}`);
  return { wall, cpu: cpu.user + cpu.system };
}

const gc = (globalThis as { gc?: () => void }).gc;

function memory(events: number) {
  if (gc) {
    gc();
    gc();
  }
  const { rss, heapUsed, heapTotal, external } = process.memoryUsage();
  const mib = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
  return { events, rssMiB: mib(rss), heapUsedMiB: mib(heapUsed), heapTotalMiB: mib(heapTotal), externalMiB: mib(external) };
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const round = (value: number) => Math.round(value * 10) / 10;

async function main() {
  let events = 0;
  const first: number[] = [];
  const samples: ReturnType<typeof memory>[] = [];
  const warmSample = Math.min(1_000, WARM_EVENTS);
  while (first.length < FIRST_BATCHES) {
    first.push((await timedBatch()).wall);
    events += BATCH_SIZE;
    if (events === warmSample) samples.push(memory(events));
  }
  while (events < WARM_EVENTS) {
    await timedBatch();
    events += BATCH_SIZE;
    if (events === warmSample) samples.push(memory(events));
  }
  samples.push(memory(events));

  const before = { ...operations };
  const outputBefore = { ...output };
  const stubMicrosBefore = stubbedDynamoDb.micros;
  const profiler = process.env.BENCH_CPU_PROFILE ? new Session() : undefined;
  if (profiler) {
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.setSamplingInterval', { interval: setting('BENCH_CPU_PROFILE_INTERVAL', 100) });
    await profiler.post('Profiler.start');
  }
  const steady: number[] = [];
  const cpuTimes: number[] = [];
  const cpuBefore = process.cpuUsage();
  for (let batch = 0; batch < STEADY_BATCHES; batch++) {
    const { wall, cpu } = await timedBatch();
    steady.push(wall);
    cpuTimes.push(cpu);
  }
  const cpu = process.cpuUsage(cpuBefore);
  if (profiler) {
    const { profile } = await profiler.post('Profiler.stop');
    writeFileSync(process.env.BENCH_CPU_PROFILE!, JSON.stringify(profile));
    profiler.disconnect();
  }
  events += STEADY_BATCHES * BATCH_SIZE;
  samples.push(memory(events));

  const steadyEvents = STEADY_BATCHES * BATCH_SIZE;
  const perBatch = Object.fromEntries(Object.entries(operations).map(([name, total]) => [name, round((total - (before[name] ?? 0)) / STEADY_BATCHES)]));
  const result = {
    batchSize: BATCH_SIZE,
    firstBatchMicrosPerEvent: round(first[0]! / BATCH_SIZE),
    firstBatchesMeanMicrosPerEvent: round(first.reduce((sum, micros) => sum + micros, 0) / first.length / BATCH_SIZE),
    firstBatches: FIRST_BATCHES,
    warmEvents: WARM_EVENTS,
    steadyBatches: STEADY_BATCHES,
    p50MicrosPerEvent: round(percentile(steady, 50) / BATCH_SIZE),
    p99MicrosPerEvent: round(percentile(steady, 99) / BATCH_SIZE),
    // The median batch's CPU time (user + system, the process's threads): beside its wall time, it shows whether a figure waited for a core.
    cpuP50MicrosPerEvent: round(percentile(cpuTimes, 50) / BATCH_SIZE),
    // Process CPU (user + system) over the steady batches, building them included: an upper bound.
    processCpuMicrosPerEvent: round((cpu.user + cpu.system) / steadyEvents),
    dynamoDbCallsPerBatch: perBatch,
    stubMicrosPerEvent: round((stubbedDynamoDb.micros - stubMicrosBefore) / steadyEvents),
    stdoutLinesPerEvent: round((output.lines - outputBefore.lines) / steadyEvents),
    stdoutCharactersPerEvent: Math.round((output.characters - outputBefore.characters) / steadyEvents),
    memory: samples,
    gcForced: gc !== undefined,
  };
  reportResult(result);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
