/**
 * Ingest cost per event, in process: verify + parse + build the message + SendMessage through the
 * real SDK client. Once with the SDK's HTTP layer replaced by a stub that answers like SQS (to isolate
 * CPU), once against the local SQS emulator.
 */
import { createHash } from 'node:crypto';
import { SQSClient } from '@aws-sdk/client-sqs';
import Stripe from 'stripe';
import { verifyStripeEvent } from '../functions/ingest/verify';
import { wireIngest } from '../functions/ingest/wiring';
import { loadIngestConfig } from '../functions/shared/config';
import { LOCAL_AWS } from '../local/emulators';
import { sampleEvent } from '../local/sample-events';
import { microsSince, percentile, round } from './stats';

const SECRET = 'whsec_bench_0123456789abcdef';

/** An HTTP handler that answers SendMessage as SQS does (with the body's MD5, which the SDK checks), without a socket. */
const stubbedSqs = {
  handle: async (request: { body?: string | Uint8Array }) => {
    const text = typeof request.body === 'string' ? request.body : Buffer.from(request.body ?? '{}').toString('utf8');
    const { MessageBody } = JSON.parse(text) as { MessageBody: string };
    const body = JSON.stringify({ MessageId: 'bench', MD5OfMessageBody: createHash('md5').update(MessageBody).digest('hex') });
    const { Readable } = await import('node:stream');
    return { response: { statusCode: 200, headers: { 'content-type': 'application/x-amz-json-1.0' }, body: Readable.from([Buffer.from(body)]) } };
  },
};

function signedRequests(count: number) {
  return Array.from({ length: count }, () => {
    const body = JSON.stringify(sampleEvent('payment_intent.succeeded'), null, 2);
    const header = Stripe.webhooks.generateTestHeaderString({ payload: body, secret: SECRET });
    return { body, header };
  });
}

function handlerFor(sqs: SQSClient, queueUrl: string) {
  const noop = () => undefined;
  return wireIngest({
    config: loadIngestConfig({ QUEUE_URL: queueUrl, STRIPE_WEBHOOK_SECRET: SECRET }),
    sqs,
    log: { debug: noop, info: noop, warn: noop, error: noop },
    count: noop,
  });
}

async function measure(handler: ReturnType<typeof handlerFor>, iterations: number, warmup: number) {
  const requests = signedRequests(200);
  const samples: number[] = [];
  for (let index = 0; index < warmup + iterations; index++) {
    const { body, header } = requests[index % requests.length]!;
    const event = { version: '2.0', requestContext: { http: { method: 'POST' } }, headers: { 'stripe-signature': header }, body, isBase64Encoded: false } as never;
    const start = process.hrtime.bigint();
    const response = await handler(event);
    const micros = microsSince(start);
    if (response.statusCode !== 200) throw new Error(`Bench request answered ${response.statusCode}: ${response.body}`);
    if (index >= warmup) samples.push(micros);
  }
  return { p50: round(percentile(samples, 50)), p99: round(percentile(samples, 99)), iterations };
}

export async function ingestCpu(sqsEndpoint: string, queueUrl: string) {
  const stubbed = new SQSClient({ region: 'us-east-1', credentials: LOCAL_AWS.credentials, requestHandler: stubbedSqs as never });
  const cpu = await measure(handlerFor(stubbed, 'https://sqs.us-east-1.amazonaws.com/123456789012/bench'), 20_000, 2_000);

  // The signature check alone, the part of the cost that is ours rather than the SDK's.
  const requests = signedRequests(200);
  const verifySamples: number[] = [];
  for (let index = 0; index < 22_000; index++) {
    const { body, header } = requests[index % requests.length]!;
    const raw = Buffer.from(body);
    const start = process.hrtime.bigint();
    verifyStripeEvent(raw, header, { secrets: [SECRET], toleranceSeconds: 300, now: Date.now() });
    if (index >= 2_000) verifySamples.push(microsSince(start));
  }

  const emulated = new SQSClient({ endpoint: sqsEndpoint, ...LOCAL_AWS });
  const local = await measure(handlerFor(emulated, queueUrl), 3_000, 300);
  stubbed.destroy();
  emulated.destroy();
  return { cpu, verify: { p50: round(percentile(verifySamples, 50)), p99: round(percentile(verifySamples, 99)) }, local };
}
