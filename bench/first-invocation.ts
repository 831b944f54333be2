/**
 * The ingest's first invocation in a fresh container, in parts: Node's own start, loading and
 * initializing the bundle, the first request (which fetches the signing secret, opens the connection
 * and sends the event), and a second request for contrast. SQS and Secrets Manager are a loopback
 * stand-in in this process that answers as they do; the child runs the deployed bundle's entry.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Stripe from 'stripe';
import { sampleEvent } from '../local/sample-events';
import { runBundled } from './bundled-child';
import { median, round } from './stats';

const SECRET = 'whsec_bench_first_0123456789abcdef';

interface FirstInvocationRun {
  readonly nodeStartMs: number;
  readonly loadMs: number;
  readonly firstRequestMs: number;
  readonly secondRequestMs: number;
}

/** Answers GetSecretValue with the signing secret, and SendMessage with a message id and the body's MD5. */
async function answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const input = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { MessageBody?: string };
  const body = request.headers['x-amz-target'] === 'secretsmanager.GetSecretValue'
    ? { SecretString: SECRET }
    : { MessageId: 'bench', MD5OfMessageBody: createHash('md5').update(input.MessageBody ?? '').digest('hex') };
  response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
  response.end(JSON.stringify(body));
}

function signedRequest() {
  const body = JSON.stringify(sampleEvent('payment_intent.succeeded'), null, 2);
  const header = Stripe.webhooks.generateTestHeaderString({ payload: body, secret: SECRET });
  return { version: '2.0', requestContext: { http: { method: 'POST' } }, headers: { 'stripe-signature': header }, body, isBase64Encoded: false };
}

export async function firstInvocation(runs = 7) {
  const server = createServer((request, response) => void answer(request, response));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const dir = mkdtempSync(join(tmpdir(), 'bench-first-'));
  try {
    const samples: FirstInvocationRun[] = [];
    for (let run = 0; run < runs; run++) {
      const requestsFile = join(dir, `requests-${run}.json`);
      writeFileSync(requestsFile, JSON.stringify([signedRequest(), signedRequest()]));
      samples.push(
        await runBundled<FirstInvocationRun>('bench/first-invocation-body.ts', {
          as: 'ingest',
          env: {
            BENCH_REQUESTS_FILE: requestsFile,
            QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/bench',
            STRIPE_WEBHOOK_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:bench',
            AWS_ENDPOINT_URL_SQS: endpoint,
            AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoint,
            AWS_ACCESS_KEY_ID: 'AKIDBENCH',
            AWS_SECRET_ACCESS_KEY: 'bench',
            AWS_SESSION_TOKEN: 'bench-session',
          },
        }),
      );
    }
    const part = (name: keyof FirstInvocationRun) => round(median(samples.map((sample) => sample[name])));
    return { runs, nodeStartMs: part('nodeStartMs'), loadMs: part('loadMs'), firstRequestMs: part('firstRequestMs'), secondRequestMs: part('secondRequestMs') };
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
