/**
 * Property-based fuzzing of the ingest (fast-check) against the real SQS emulator: arbitrary methods,
 * headers, bodies, encodings and payload versions, mixed with correctly signed events so that every
 * path is reached. The ingest never throws, never answers 5xx for a client's input, and answers 200
 * exactly when a message was queued.
 */
import fc from 'fast-check';
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';
import Stripe from 'stripe';
import { createIngestHandler } from '../../functions/ingest/api-gateway';
import { SecretCache, staticSecrets } from '../../functions/ingest/secrets';
import { SAMPLE_OBJECTS, sampleEvent, type SampleEventType } from '../../local/sample-events';
import { emulatorEnqueue, freshResources, testClients } from '../helpers/aws';
import { OTHER_SECRET, TEST_SECRET, httpApiEvent, restApiEvent } from '../helpers/factories';
import { recordingCount, recordingLog } from '../helpers/recorders';

const NOW_S = Math.floor(Date.now() / 1000);

const sampleBody = fc
  .constantFrom(...(Object.keys(SAMPLE_OBJECTS) as SampleEventType[]))
  .map((type) => JSON.stringify(sampleEvent(type, { created: NOW_S })));

/** Bodies: real events, JSON that is not an event, arbitrary text and bytes, and nothing at all. */
const body = fc.oneof(
  { weight: 4, arbitrary: sampleBody },
  { weight: 1, arbitrary: sampleBody.chain((text) => fc.nat(text.length).map((cut) => text.slice(0, cut))) },
  { weight: 1, arbitrary: fc.json() },
  { weight: 1, arbitrary: fc.string({ unit: 'binary' }) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes).toString('latin1')) },
  { weight: 1, arbitrary: fc.constant('') },
);

/** A Stripe-Signature for the body: right, wrong secret, stale, future, or garbage. */
const signature = (payload: string) =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constant(Stripe.webhooks.generateTestHeaderString({ payload, secret: TEST_SECRET, timestamp: NOW_S })) },
    { weight: 1, arbitrary: fc.constant(Stripe.webhooks.generateTestHeaderString({ payload, secret: OTHER_SECRET, timestamp: NOW_S })) },
    { weight: 1, arbitrary: fc.integer({ min: -100_000, max: 100_000 }).map((skew) => Stripe.webhooks.generateTestHeaderString({ payload, secret: TEST_SECRET, timestamp: NOW_S + skew })) },
    { weight: 1, arbitrary: fc.string() },
    { weight: 1, arbitrary: fc.tuple(fc.string(), fc.string()).map(([t, v]) => `t=${t},v1=${v}`) },
  );

const request = body.chain((payload) =>
  fc.record({
    payload: fc.constant(payload),
    method: fc.oneof({ weight: 6, arbitrary: fc.constant('POST') }, { weight: 1, arbitrary: fc.constantFrom('GET', 'PUT', 'post', '', 'DELETE') }, { weight: 1, arbitrary: fc.string() }),
    signature: fc.option(signature(payload), { nil: undefined, freq: 8 }),
    headerName: fc.constantFrom('stripe-signature', 'Stripe-Signature', 'STRIPE-SIGNATURE', 'stripe_signature'),
    extraHeaders: fc.dictionary(fc.string({ minLength: 1, maxLength: 20 }), fc.string({ maxLength: 50 }), { maxKeys: 4 }),
    base64: fc.boolean(),
    corruptBase64: fc.boolean(),
    restApi: fc.boolean(),
  }),
);

describe('ingest fuzzing', () => {
  const { sqs } = testClients();
  afterAll(() => sqs.destroy());

  it('never throws, never answers 5xx to client input, and answers 200 only for a queued message', async () => {
    const { queueUrl } = await freshResources();
    let queued = 0;
    const statuses = new Map<number, number>();
    const enqueue = emulatorEnqueue(queueUrl);
    const handler = createIngestHandler({
      secrets: new SecretCache(staticSecrets([TEST_SECRET]), { refreshMs: Infinity }),
      enqueue: async (message) => {
        await enqueue(message);
        queued += 1;
      },
      toleranceSeconds: 300,
      // Small, so that some real events exceed it and the 413 path is fuzzed too (the 2nd message
      // format's attributes take about 50 bytes more than the first's).
      maxMessageBytes: 750,
      now: () => NOW_S * 1000,
      log: recordingLog(),
      count: recordingCount(),
    });

    await fc.assert(
      fc.asyncProperty(request, async (input) => {
        const headers: Record<string, string> = { ...input.extraHeaders };
        if (input.signature !== undefined) headers[input.headerName] = input.signature;
        let event: APIGatewayProxyEventV2 | APIGatewayProxyEvent = input.restApi
          ? restApiEvent(input.payload, { method: input.method, headers, base64: input.base64 })
          : httpApiEvent(input.payload, { method: input.method, headers, base64: input.base64 });
        if (input.base64 && input.corruptBase64) event = { ...event, body: `${event.body ?? ''}%%not base64%%` } as typeof event;

        const before = queued;
        const response = await handler(event);
        statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);

        expect([200, 400, 405, 413]).toContain(response.statusCode);
        expect(response.statusCode === 200).toBe(queued === before + 1);
        if (response.statusCode !== 200) expect(queued).toBe(before);
        expect(() => JSON.parse(response.body)).not.toThrow();
      }),
      { numRuns: 800, seed: Number(process.env.FUZZ_SEED ?? 20261122) },
    );
    // The generators must reach the interesting paths, or the property proves little.
    expect(queued).toBeGreaterThan(20);
    for (const status of [400, 405, 413]) expect(statuses.get(status)).toBeGreaterThan(0);
  }, 120_000);
});
