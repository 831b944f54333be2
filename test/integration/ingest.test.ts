/**
 * The ingest adapter against the SQS emulator: what Stripe gets back, and what lands on the queue.
 */
import { Readable } from 'node:stream';
import { createIngestHandler, type IngestAdapterDeps } from '../../functions/ingest/api-gateway';
import { AwsJsonClient, SQS_SERVICE } from '../../functions/ingest/aws-json-client';
import { sqsEnqueue } from '../../functions/ingest/enqueue';
import { SecretCache, staticSecrets } from '../../functions/ingest/secrets';
import { MESSAGE_ATTRIBUTE } from '../../functions/shared/message';
import { MAX_MESSAGE_BYTES } from '../../functions/shared/resources';
import { LOCAL_AWS, freePort } from '../../local/emulators';
import { sampleEvent } from '../../local/sample-events';
import { sampleMeterErrorReport } from '../../local/sample-thin-events';
import { emulatorEnqueue, freshResources, receiveAll, testClients } from '../helpers/aws';
import { OTHER_SECRET, TEST_SECRET, httpApiEvent, restApiEvent, signedBody, signedHttpApiEvent } from '../helpers/factories';
import { recordingCount, recordingLog } from '../helpers/recorders';

describe('ingest handler (API Gateway → SQS)', () => {
  const { sqs } = testClients();
  let queueUrl: string;

  beforeEach(async () => {
    ({ queueUrl } = await freshResources());
  });
  afterAll(() => sqs.destroy());

  function handlerFor(overrides: Partial<IngestAdapterDeps> = {}) {
    const log = recordingLog();
    const count = recordingCount();
    const handler = createIngestHandler({
      secrets: new SecretCache(staticSecrets([TEST_SECRET]), { refreshMs: Infinity }),
      enqueue: emulatorEnqueue(queueUrl),
      toleranceSeconds: 300,
      maxMessageBytes: MAX_MESSAGE_BYTES,
      now: Date.now,
      log,
      count,
      ...overrides,
    });
    return { handler, log, count };
  }

  it('answers 200 to a correctly signed thin notification and queues it byte for byte, marked thin', async () => {
    const { handler, log } = handlerFor();
    const { notification } = sampleMeterErrorReport();
    const request = signedHttpApiEvent(notification);

    const response = await handler(request);

    expect(response.statusCode).toBe(200);
    const [message] = await receiveAll(sqs, queueUrl);
    expect(message!.Body).toBe(request.body);
    const attributes = message!.MessageAttributes!;
    expect(attributes[MESSAGE_ATTRIBUTE.kind]?.StringValue).toBe('thin');
    expect(attributes[MESSAGE_ATTRIBUTE.eventId]?.StringValue).toBe(notification.id);
    expect(attributes[MESSAGE_ATTRIBUTE.eventType]?.StringValue).toBe('v1.billing.meter.error_report_triggered');
    expect(log.entries).toContainEqual(expect.objectContaining({ message: 'Event queued', attributes: expect.objectContaining({ form: 'thin' }) }));
  });

  it('answers 200 {"received":true} and queues the exact raw body with its attributes', async () => {
    const { handler, count } = handlerFor();
    const event = sampleEvent('payment_intent.succeeded');
    const request = signedHttpApiEvent(event);

    const response = await handler(request);

    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ received: true });
    const [message, ...rest] = await receiveAll(sqs, queueUrl);
    expect(rest).toHaveLength(0);
    expect(message!.Body).toBe(request.body);
    const attributes = message!.MessageAttributes!;
    expect(attributes[MESSAGE_ATTRIBUTE.eventId]?.StringValue).toBe(event.id);
    expect(attributes[MESSAGE_ATTRIBUTE.eventType]?.StringValue).toBe('payment_intent.succeeded');
    expect(attributes[MESSAGE_ATTRIBUTE.livemode]?.StringValue).toBe('false');
    expect(attributes[MESSAGE_ATTRIBUTE.apiVersion]?.StringValue).toBe(event.api_version);
    expect(Date.parse(attributes[MESSAGE_ATTRIBUTE.receivedAt]!.StringValue!)).toBeGreaterThan(Date.now() - 60_000);
    expect(count.totals).toEqual({});
  });

  it('verifies a base64-encoded body over its decoded bytes', async () => {
    const { handler } = handlerFor();
    const { body, header } = signedBody(sampleEvent('charge.refunded'));
    const response = await handler(httpApiEvent(body, { base64: true, headers: { 'stripe-signature': header } }));
    expect(response.statusCode).toBe(200);
    expect((await receiveAll(sqs, queueUrl))[0]!.Body).toBe(body);
  });

  it('keeps non-ASCII bytes intact through base64 decoding', async () => {
    const { handler } = handlerFor();
    const event = sampleEvent('customer.created', { object: { name: 'Zoë Ünal — 東京' } });
    const { body, header } = signedBody(event);
    const response = await handler(httpApiEvent(body, { base64: true, headers: { 'stripe-signature': header } }));
    expect(response.statusCode).toBe(200);
    expect(JSON.parse((await receiveAll(sqs, queueUrl))[0]!.Body!).data.object.name).toBe('Zoë Ünal — 東京');
  });

  it('accepts a REST API (payload 1.0) event with the header in any case', async () => {
    const { handler } = handlerFor();
    const { body, header } = signedBody(sampleEvent('invoice.paid'));
    const response = await handler(restApiEvent(body, { headers: { 'STRIPE-Signature': header } }));
    expect(response.statusCode).toBe(200);
    expect(await receiveAll(sqs, queueUrl)).toHaveLength(1);
  });

  it('accepts a REST API base64 body', async () => {
    const { handler } = handlerFor();
    const { body, header } = signedBody(sampleEvent('invoice.paid'));
    const response = await handler(restApiEvent(body, { base64: true, headers: { 'Stripe-Signature': header } }));
    expect(response.statusCode).toBe(200);
  });

  it('answers 400 with a short reason, queues nothing and counts a signature failure', async () => {
    const { handler, count, log } = handlerFor();
    const request = signedHttpApiEvent(sampleEvent('payment_intent.succeeded'), { secret: OTHER_SECRET });

    const response = await handler(request);

    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body).error.type).toBe('SignatureVerificationError');
    expect(JSON.parse(response.body).error.message).toMatch(/No signature matches/);
    expect(await receiveAll(sqs, queueUrl)).toHaveLength(0);
    expect(count.totals.SignatureFailures).toBe(1);
    expect(log.text()).not.toContain(request.headers['stripe-signature']!.split('v1=')[1]);
  });

  it.each([
    ['a missing header', httpApiEvent('{"id":"evt_1"}')],
    ['a stale signature', signedHttpApiEvent(sampleEvent('payment_intent.succeeded'), { timestamp: Math.floor(Date.now() / 1000) - 3600 })],
    ['a body that is not an event', httpApiEvent('{"hello":"world"}', { headers: { 'stripe-signature': signedBody('{"hello":"world"}').header } })],
    ['no body at all', httpApiEvent(undefined, { headers: { 'stripe-signature': 't=1,v1=abc' } })],
  ])('answers 400 for %s', async (_, request) => {
    const { handler } = handlerFor();
    expect((await handler(request)).statusCode).toBe(400);
    expect(await receiveAll(sqs, queueUrl)).toHaveLength(0);
  });

  it.each(['GET', 'PUT', 'DELETE'])('answers 405 with an Allow header for %s', async (method) => {
    const { handler } = handlerFor();
    const response = await handler(httpApiEvent(undefined, { method }));
    expect(response.statusCode).toBe(405);
    expect(response.headers?.allow).toBe('POST');
  });

  it('answers 413 for a body over the queue limit, before verifying it', async () => {
    const { handler } = handlerFor({ maxMessageBytes: 4096 });
    const event = sampleEvent('customer.created', { object: { description: 'x'.repeat(5000) } });
    const response = await handler(signedHttpApiEvent(event));
    expect(response.statusCode).toBe(413);
    expect(await receiveAll(sqs, queueUrl)).toHaveLength(0);
  });

  it('answers 413 when the body fits but body plus attributes does not', async () => {
    const event = sampleEvent('customer.created');
    const { body } = signedBody(event);
    const limit = Buffer.byteLength(body) + 20;
    const { handler } = handlerFor({ maxMessageBytes: limit });
    const response = await handler(signedHttpApiEvent(event));
    expect(response.statusCode).toBe(413);
  });

  it('answers 503 when SQS is unreachable, so that Stripe retries', async () => {
    const { handler, count } = handlerFor({ enqueue: emulatorEnqueue(queueUrl, `http://127.0.0.1:${await freePort()}`) });
    const response = await handler(signedHttpApiEvent(sampleEvent('payment_intent.succeeded')));
    expect(response.statusCode).toBe(503);
    expect(count.totals.EnqueueFailures).toBe(1);
  });

  it('answers 503 when the queue does not exist', async () => {
    const { handler } = handlerFor({ enqueue: emulatorEnqueue(`${queueUrl}-missing`) });
    expect((await handler(signedHttpApiEvent(sampleEvent('payment_intent.succeeded')))).statusCode).toBe(503);
  });

  // Faults only a stubbed answer can produce: SQS answering 200 without a message id, or with the MD5 of another body.
  it.each([
    ['without a message id', {}],
    ['with an MD5 that does not match the body', { MessageId: 'm-1', MD5OfMessageBody: '0'.repeat(32) }],
  ])('answers 503 when SQS answers %s', async (_case, answer) => {
    const requestHandler = { handle: async () => ({ response: { statusCode: 200, headers: {}, body: Readable.from([Buffer.from(JSON.stringify(answer))]) } }) };
    const sqsAnswering = new AwsJsonClient({ service: SQS_SERVICE, ...LOCAL_AWS, requestHandler });
    const { handler, count } = handlerFor({ enqueue: sqsEnqueue(sqsAnswering, queueUrl) });
    expect((await handler(signedHttpApiEvent(sampleEvent('payment_intent.succeeded')))).statusCode).toBe(503);
    expect(count.totals.EnqueueFailures).toBe(1);
  });

  it('answers 503 when the signing secrets cannot be loaded', async () => {
    const secrets = new SecretCache(async () => Promise.reject(new Error('AccessDenied')), { refreshMs: 1000 });
    const { handler } = handlerFor({ secrets });
    expect((await handler(signedHttpApiEvent(sampleEvent('payment_intent.succeeded')))).statusCode).toBe(503);
    expect(await receiveAll(sqs, queueUrl)).toHaveLength(0);
  });

  it('picks up a rolled secret on the first delivery signed with it', async () => {
    let stored = [TEST_SECRET];
    const secrets = new SecretCache(async () => stored, { refreshMs: 3_600_000, minRefreshMs: 0 });
    const { handler } = handlerFor({ secrets });
    expect((await handler(signedHttpApiEvent(sampleEvent('payment_intent.succeeded')))).statusCode).toBe(200);

    stored = [TEST_SECRET, OTHER_SECRET];
    const response = await handler(signedHttpApiEvent(sampleEvent('payment_intent.succeeded'), { secret: OTHER_SECRET }));

    expect(response.statusCode).toBe(200);
    expect(await receiveAll(sqs, queueUrl)).toHaveLength(2);
  });
});
