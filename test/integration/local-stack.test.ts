/**
 * `npm start`'s stack, driven over HTTP as a developer (and the Stripe CLI) would drive it.
 */
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { LocalStack } from '../../local/stack';
import { SAMPLE_OBJECTS, sampleEvent } from '../../local/sample-events';
import { trigger } from '../../scripts/trigger';
import { TEST_SECRET, signedBody, snapshotAttributes } from '../helpers/factories';
import { eventually, getJson, jsonRequest, rawRequest, startTestStack } from '../helpers/local-stack';

describe('local stack', () => {
  let stack: LocalStack & { lines: string[] };

  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(() => stack.stop());

  const completed = (eventId: string) =>
    eventually(async () => {
      const { status, body } = await getJson(`${stack.url}/api/events/${eventId}`);
      return status === 200 && (body.status === 'completed' || body.status === 'ignored') ? body : undefined;
    }, 20_000, `${eventId} to complete`);

  it('answers /health once ready', async () => {
    expect(await getJson(`${stack.url}/health`)).toEqual({ status: 200, body: { status: 'ready' } });
  });

  it('takes a signed POST to a 200 and a completed event in the ledger, with one line per step', async () => {
    const event = sampleEvent('payment_intent.succeeded');
    const { body, header } = signedBody(event);

    const response = await fetch(`${stack.url}/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', 'Stripe-Signature': header }, body });

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ received: true });
    const detail = await completed(event.id);
    expect(detail).toMatchObject({ id: event.id, type: 'payment_intent.succeeded', status: 'completed', attempts: 1, payload: { id: event.id } });
    expect(typeof detail.receivedAt).toBe('string');
    expect(typeof detail.processedAt).toBe('string');
    // The ledger says completed as soon as the commit lands; the terminal line follows the commit's answer.
    const lines = await eventually(async () => {
      const mine = stack.lines.filter((line) => line.includes(event.id));
      return mine.length >= 2 ? mine : undefined;
    }, 5_000, 'the completion line');
    expect(lines[0]).toMatch(/← payment_intent\.succeeded +evt_\w+ +received → queued in \d+ ms/);
    expect(lines[1]).toMatch(/✓ payment_intent\.succeeded .* completed \d+ ms after receipt \(attempt 1\)/);
    expect(stack.lines.join('\n')).toContain('PaymentIntent was successful!');
    expect((await getJson(`${stack.url}/api/payments/${event.data.object.id}`)).body).toMatchObject({ status: 'succeeded' });
  });

  it('answers 400 to a bad signature and says why in the terminal', async () => {
    const { body } = signedBody(sampleEvent('payment_intent.succeeded'));
    const response = await fetch(`${stack.url}/webhook`, { method: 'POST', headers: { 'stripe-signature': 't=1,v1=00' }, body });
    expect(response.status).toBe(400);
    expect(stack.lines.at(-1)).toMatch(/✗ 400 No signature matches the payload/);
  });

  it('keeps the ledger totals right under a shuffled duplicate storm', async () => {
    const result = await trigger({ types: ['payout.paid', 'transfer.created', 'transfer.reversed'], count: 5, duplicates: 3, shuffle: true, url: `${stack.url}/webhook`, secret: TEST_SECRET });
    expect(result.byStatus).toEqual({ 200: 45 });
    await Promise.all(result.eventIds.map(completed));

    const { body: ledger } = await getJson(`${stack.url}/api/ledger`);
    const entries = ledger.entries.filter((entry: { eventId: string }) => result.eventIds.includes(entry.eventId));
    expect(entries).toHaveLength(15);
    const sum = ledger.entries.reduce((total: number, entry: { amount: number }) => total + entry.amount, 0);
    expect(ledger.totals.usd).toEqual({ amount: sum, entries: ledger.entries.length });
    const { body: events } = await getJson(`${stack.url}/api/events?type=payout.paid&status=completed`);
    expect(events.events.every((event: { attempts: number }) => event.attempts === 1)).toBe(true);
  });

  it('processes every type the trigger command offers: completed, or ignored when no action handles it', async () => {
    const types = Object.keys(SAMPLE_OBJECTS);
    expect(types.length).toBeGreaterThanOrEqual(15);
    const result = await trigger({ types, url: `${stack.url}/webhook`, secret: TEST_SECRET });
    expect(result.byStatus).toEqual({ 200: types.length });
    const outcomes = await Promise.all(result.eventIds.map(completed));
    expect(outcomes.filter((event) => event.status === 'ignored').map((event) => event.type).sort()).toEqual(['charge.succeeded', 'customer.created', 'payment_intent.canceled', 'payment_intent.created']);
  });

  it('lists events filtered by status and type, and refuses bad filters', async () => {
    const { body } = await getJson(`${stack.url}/api/events?status=completed&limit=2`);
    expect(body.events).toHaveLength(2);
    expect(body.events.every((event: { status: string }) => event.status === 'completed')).toBe(true);
    expect((await getJson(`${stack.url}/api/events?status=nope`)).status).toBe(400);
    expect((await getJson(`${stack.url}/api/events/evt_unknown`)).status).toBe(404);
  });

  it('sends a failing type to the DLQ, and redrive brings it back once the failure is cleared', async () => {
    expect((await getJson(`${stack.url}/api/chaos`, jsonRequest('PUT', { failTypes: ['invoice.paid'] }))).status).toBe(200);
    const [eventId] = (await trigger({ types: ['invoice.paid'], url: `${stack.url}/webhook`, secret: TEST_SECRET })).eventIds;

    // Listed from the ledger on its last failed attempt; in the queue once SQS has moved it there.
    const dlq = await eventually(async () => {
      const { body } = await getJson(`${stack.url}/api/dlq`);
      return body.messages.some((message: { eventId: string }) => message.eventId === eventId) && body.queued >= 1 ? body : undefined;
    }, 30_000, 'the event to reach the DLQ');
    expect(dlq.messages).toContainEqual({ eventId, type: 'invoice.paid', status: 'failed', receiveCount: 5, deadLetteredAt: expect.any(String), lastError: expect.stringContaining('failTypes') });
    expect((await getJson(`${stack.url}/api/events/${eventId}`)).body).toMatchObject({ status: 'failed', attempts: 5, lastError: expect.stringContaining('failTypes') });
    expect(stack.lines.filter((line) => line.includes(eventId!)).at(-1)).toMatch(/☠ invoice\.paid +evt_\w+ +dead-lettered after 5 receives: fix the cause, then npm run redrive -- --local/);

    await getJson(`${stack.url}/api/chaos`, jsonRequest('PUT', { failTypes: [] }));
    // `queued` may count another test's dead letter while this one's message is still on its way (its
    // visibility timeout must end first): a redrive by id in that window reports it notFound, so retry.
    const redrive = await eventually(async () => {
      const answer = await getJson(`${stack.url}/api/dlq/redrive`, jsonRequest('POST', { eventIds: [eventId] }));
      return answer.body.notFound?.includes(eventId) ? undefined : answer;
    }, 30_000, 'the redrive to find the dead letter');

    expect(redrive.body).toMatchObject({ moved: 1, failed: [], notFound: [] });
    expect(await completed(eventId!)).toMatchObject({ status: 'completed', attempts: 6 });
    expect((await getJson(`${stack.url}/api/dlq`)).body).toMatchObject({ count: 0, queued: 0 });
  }, 60_000);

  it('refuses invalid chaos settings', async () => {
    const response = await getJson(`${stack.url}/api/chaos`, jsonRequest('PUT', { workerFailRate: 2 }));
    expect(response.status).toBe(400);
    expect(response.body.error.message).toMatch(/workerFailRate/);
  });
});

describe('local stack, against other web pages in the developer\'s browser', () => {
  // A stack of its own: a dead letter of the tests above would change the counts this one checks.
  let stack: LocalStack & { lines: string[] };
  const deadLetter = sampleEvent('payout.paid');
  const chaos = { failTypes: ['charge.refunded'] };
  /** What a page elsewhere can send: its own Origin, a rebound name's Host, a form's content types. */
  const attacks = (): { attack: string; headers: Record<string, string>; refusal: string }[] => [
    { attack: 'a foreign Origin', headers: { host: `localhost:${stack.port}`, origin: 'https://evil.example', 'content-type': 'application/json' }, refusal: 'Origin https://evil.example may not call this server' },
    { attack: 'the Origin of a sandboxed page', headers: { host: `localhost:${stack.port}`, origin: 'null', 'content-type': 'application/json' }, refusal: 'Origin null may not call this server' },
    { attack: 'a rebinding Host', headers: { host: `evil.example:${stack.port}`, 'content-type': 'application/json' }, refusal: `Host evil.example:${stack.port} does not name this server` },
    // JSON in the body, as a text/plain form can write it: the routes would parse it.
    { attack: 'a form-encoded POST', headers: { host: `localhost:${stack.port}`, 'content-type': 'application/x-www-form-urlencoded' }, refusal: 'needs content-type: application/json' },
    { attack: 'a text/plain form', headers: { host: `localhost:${stack.port}`, 'content-type': 'text/plain' }, refusal: 'needs content-type: application/json' },
  ];
  const routes = [
    { method: 'POST', path: '/api/dlq/redrive', body: JSON.stringify({ eventIds: [deadLetter.id] }) },
    { method: 'POST', path: '/api/dlq/redrive', body: '{}' },
    { method: 'PUT', path: '/api/chaos', body: JSON.stringify(chaos) },
    { method: 'POST', path: '/api/reconcile', body: '{}' },
  ];
  const dlqDepth = async () => (await getJson(`${stack.url}/api/dlq`)).body.queued as number;

  beforeAll(async () => {
    // No retry under a slow machine's load sends an event to the dead-letter queue.
    stack = await startTestStack({ visibilityTimeoutSeconds: 30 });
    await stack.sqs.send(new SendMessageCommand({ QueueUrl: stack.resources.deadLetterQueueUrl, MessageBody: JSON.stringify(deadLetter), MessageAttributes: snapshotAttributes(deadLetter) }));
    expect(await dlqDepth()).toBe(1);
  });
  afterAll(() => stack.stop());

  const completed = (eventId: string) =>
    eventually(async () => {
      const { status, body } = await getJson(`${stack.url}/api/events/${eventId}`);
      return status === 200 && body.status === 'completed' ? body : undefined;
    }, 20_000, `${eventId} to complete`);

  it('answers each 403 with the reason, sends no CORS header, and changes nothing', async () => {
    // Read in this process: GET /api/chaos answers 405 (ops-api.ts matches PUT's path first).
    const chaosBefore = { ...stack.chaos.current };
    expect(chaosBefore.failTypes).toEqual([]);

    for (const { attack, headers, refusal } of attacks()) {
      for (const { method, path, body } of routes) {
        const response = await rawRequest(`${stack.url}${path}`, { method, headers, body });
        expect({ attack, method, path, status: response.status }).toEqual({ attack, method, path, status: 403 });
        expect(JSON.parse(response.body).error.message).toContain(refusal);
        expect(Object.keys(response.headers).filter((name) => name.startsWith('access-control-'))).toEqual([]);
      }
    }

    expect(await dlqDepth()).toBe(1);
    expect(stack.chaos.current).toEqual(chaosBefore);
  });

  it('answers no CORS preflight, and sends no CORS header to a read from another origin', async () => {
    const preflight = await rawRequest(`${stack.url}/api/chaos`, {
      method: 'OPTIONS',
      headers: { host: `localhost:${stack.port}`, origin: 'https://evil.example', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type' },
    });
    const read = await rawRequest(`${stack.url}/api/events`, { method: 'GET', headers: { host: `localhost:${stack.port}`, origin: 'https://evil.example' } });

    expect(preflight.status).toBe(405);
    expect(read.status).toBe(200);
    for (const response of [preflight, read]) expect(Object.keys(response.headers).filter((name) => name.startsWith('access-control-'))).toEqual([]);
  });

  it('takes a signed webhook under any Host and Origin: Stripe and the Stripe CLI post with their own', async () => {
    const event = sampleEvent('payout.paid');
    const { body, header } = signedBody(event);

    const response = await rawRequest(`${stack.url}/webhook`, { method: 'POST', headers: { host: 'hooks.example.ngrok.app', origin: 'https://stripe.com', 'content-type': 'text/plain', 'stripe-signature': header }, body });

    expect(response.status).toBe(200);
    expect(await completed(event.id)).toMatchObject({ status: 'completed' });
  });

  it('does what the same requests ask when they come from this server\'s own page (the console)', async () => {
    const headers = { host: `localhost:${stack.port}`, origin: `http://localhost:${stack.port}`, 'content-type': 'application/json; charset=utf-8' };

    const chaosSet = await rawRequest(`${stack.url}/api/chaos`, { method: 'PUT', headers, body: JSON.stringify(chaos) });
    expect(chaosSet.status).toBe(200);
    expect(stack.chaos.current.failTypes).toEqual(chaos.failTypes);
    await getJson(`${stack.url}/api/chaos`, jsonRequest('PUT', { failTypes: [] }));

    const redrive = await rawRequest(`${stack.url}/api/dlq/redrive`, { method: 'POST', headers: { ...headers, host: `127.0.0.1:${stack.port}`, origin: `http://127.0.0.1:${stack.port}` }, body: JSON.stringify({ eventIds: [deadLetter.id] }) });
    expect(JSON.parse(redrive.body)).toMatchObject({ moved: 1, failed: [], notFound: [] });
    expect(await completed(deadLetter.id)).toMatchObject({ status: 'completed' });
  });
});
