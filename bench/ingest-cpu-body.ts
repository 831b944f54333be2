/**
 * Runs in a fresh process, bundled as the ingest is deployed (bench/bundled-child.ts). The ingest as
 * handler.ts assembles it (Powertools logger and metrics included, their lines going to stdout, which
 * the parent sends to /dev/null) with the HTTP handler under its SQS call replaced by a stub that
 * answers as SQS does, with the body's MD5, which the ingest checks. So the figures are CPU only.
 *
 * Measured: the first call; the mean of the first 1,000 events; then the steady state (p50 and p99 of
 * 20,000 events after 2,000 more of warm-up), and beside it the floor: the signature check and parse
 * alone, over the same requests. Then RSS and heap after warm-up and after 10,000 more events, each
 * after a forced collection (the process runs with --expose-gc).
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import Stripe from 'stripe';
import { verifyStripeEvent } from '../functions/ingest/verify';
import { wireIngest } from '../functions/ingest/wiring';
import { loadIngestConfig } from '../functions/shared/config';
import { SERVICE_NAME, createObservability } from '../functions/shared/observability';
import { sampleEvent } from '../local/sample-events';
import { reportResult } from './child-result';

const SECRET = 'whsec_bench_0123456789abcdef';
const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/bench';

/**
 * Answers SendMessage as SQS does, without a socket: a message id and the MD5 of the body it was sent.
 * Its own time is summed, so that the report can say how much of the figure is the stub's.
 */
const stubbedSqs = {
  micros: 0,
  handle: async (request: { body?: unknown }) => {
    const start = process.hrtime.bigint();
    const { MessageBody } = JSON.parse(String(request.body)) as { MessageBody: string };
    const answer = `{"MessageId":"bench","MD5OfMessageBody":"${createHash('md5').update(MessageBody).digest('hex')}"}`;
    const response = { statusCode: 200, headers: {}, body: Readable.from([Buffer.from(answer)]) };
    stubbedSqs.micros += micros(start);
    return { response };
  },
};

function requests(count: number) {
  return Array.from({ length: count }, () => {
    const body = JSON.stringify(sampleEvent('payment_intent.succeeded'), null, 2);
    return { body, header: Stripe.webhooks.generateTestHeaderString({ payload: body, secret: SECRET }) };
  });
}

const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))]!;
const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
const micros = (start: bigint) => Number(process.hrtime.bigint() - start) / 1000;

function memory() {
  (globalThis as { gc?: () => void }).gc?.();
  const { rss, heapUsed } = process.memoryUsage();
  return { rssMb: rss / 2 ** 20, heapMb: heapUsed / 2 ** 20 };
}

async function main() {
  const logsOn = process.env.BENCH_OBSERVABILITY !== 'off';
  const { logger, metrics, count } = createObservability(SERVICE_NAME.ingest);
  const noop = () => undefined;
  const ingest = wireIngest({
    config: loadIngestConfig({ QUEUE_URL, STRIPE_WEBHOOK_SECRET: SECRET }),
    credentials: { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench', sessionToken: 'bench-session' },
    requestHandler: stubbedSqs as never,
    log: logsOn ? logger : { debug: noop, info: noop, warn: noop, error: noop },
    count: logsOn ? count : noop,
    ...(logsOn ? { afterRequest: () => metrics.hasStoredMetrics() && metrics.publishStoredMetrics() } : {}),
  });
  const signed = requests(200);
  const timeOne = async (index: number) => {
    const { body, header } = signed[index % signed.length]!;
    const event = { version: '2.0', requestContext: { http: { method: 'POST' } }, headers: { 'stripe-signature': header }, body, isBase64Encoded: false } as never;
    const start = process.hrtime.bigint();
    const response = await ingest(event);
    const elapsed = micros(start);
    if (response.statusCode !== 200) throw new Error(`Bench request answered ${response.statusCode}: ${response.body}`);
    return elapsed;
  };

  const first: number[] = [];
  for (let index = 0; index < 1_000; index++) first.push(await timeOne(index));
  for (let index = 0; index < 2_000; index++) await timeOne(index);
  const steady: number[] = [];
  stubbedSqs.micros = 0;
  for (let index = 0; index < 20_000; index++) steady.push(await timeOne(index));
  const stubMeanUs = stubbedSqs.micros / steady.length;

  const floor: number[] = [];
  for (let index = 0; index < 22_000; index++) {
    const { body, header } = signed[index % signed.length]!;
    const raw = Buffer.from(body);
    const start = process.hrtime.bigint();
    verifyStripeEvent(raw, header, { secrets: [SECRET], toleranceSeconds: 300, now: Date.now() });
    if (index >= 2_000) floor.push(micros(start));
  }

  const afterWarmUp = memory();
  for (let index = 0; index < 10_000; index++) await timeOne(index);
  const after10k = memory();

  reportResult({
    observability: logsOn,
    firstCallUs: first[0]!,
    first1000MeanUs: mean(first),
    first1000MedianUs: percentile(first, 50),
    /** Without the first call, whose lazy compilation and one-time setup are a cost of their own. */
    first1000MeanAfterFirstUs: mean(first.slice(1)),
    steadyP50Us: percentile(steady, 50),
    steadyP99Us: percentile(steady, 99),
    stubMeanUs,
    floorP50Us: percentile(floor, 50),
    floorP99Us: percentile(floor, 99),
    memory: { afterWarmUp, after10k },
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
