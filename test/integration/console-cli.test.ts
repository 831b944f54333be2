/**
 * `npm run console -- --local` against a running local stack: its token, and the DNS-rebinding and
 * cross-origin refusals that keep another web page from driving it (each refused request leaves the
 * queues as they were), and the console API it serves: listing, search, overview, redrive with a
 * preview, and the replay of a finished event.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { snapshotMessage } from '../../functions/shared/message';
import { sampleEvent } from '../../local/sample-events';
import type { LocalStack } from '../../local/stack';
import { writeLocalStackFile } from '../../local/stack-file';
import { queueDepth } from '../../ops/dead-letters';
import { getLedgerRecord } from '../../ops/ledger-reads';
import { startConsole, type RunningConsole } from '../../scripts/console';
import { signedBody } from '../helpers/factories';
import { eventually, rawRequest, startTestStack } from '../helpers/local-stack';

describe('npm run console -- --local', () => {
  let stack: LocalStack & { lines: string[] };
  let dir: string;
  let running: RunningConsole;
  let printed: string[];
  let base: string;
  let host: string;
  let token: string;

  beforeAll(async () => {
    stack = await startTestStack();
    dir = mkdtempSync(join(tmpdir(), 'console-cli-'));
    writeLocalStackFile(
      { ...stack.resources, sqsEndpoint: stack.endpoints.sqs, dynamodbEndpoint: stack.endpoints.dynamodb, stripeApiBase: stack.stripeApiBase, webhookUrl: `${stack.url}/webhook` },
      join(dir, 'stack.json'),
    );
    printed = [];
    const started = await startConsole(['--local', '--port', '0'], { print: (line) => printed.push(line), printError: (line) => printed.push(line), localStackFile: join(dir, 'stack.json') });
    if (typeof started === 'number') throw new Error(`The console did not start (exit ${started}): ${printed.join('\n')}`);
    running = started;
    base = `http://127.0.0.1:${running.server.port}`;
    host = `127.0.0.1:${running.server.port}`;
    token = running.server.token;
  }, 60_000);
  afterAll(async () => {
    await running?.stop();
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A request as the console's own page makes it. */
  async function api(method: 'GET' | 'POST', path: string, body?: unknown) {
    const response = await rawRequest(`${base}${path}`, {
      method,
      headers: { host, origin: base, 'x-console-token': token, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: JSON.parse(response.body) as any };
  }

  async function deliver(event: { id: string }): Promise<void> {
    const { body, header } = signedBody(event);
    const response = await fetch(`${stack.url}/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', 'Stripe-Signature': header }, body });
    expect(response.status).toBe(200);
  }

  const completed = (eventId: string) =>
    eventually(async () => {
      const record = await getLedgerRecord(stack.db, stack.resources.ledgerTableName, eventId);
      return record?.status === 'completed' ? record : undefined;
    }, 20_000, `${eventId} to complete`);

  /** A dead letter put straight into the dead-letter queue, as the worker's failures leave one. */
  async function deadLetter(): Promise<string> {
    const event = sampleEvent('payout.paid');
    const message = snapshotMessage(event, JSON.stringify(event), { source: 'webhook', receivedAt: new Date() });
    await stack.sqs.send(new SendMessageCommand({ QueueUrl: stack.resources.deadLetterQueueUrl, MessageBody: message.body, MessageAttributes: message.attributes }));
    return event.id;
  }

  it('prints a loopback URL with a token; opening it trades the token for a cookie and serves the page with it', async () => {
    const url = printed.find((line) => line.trim().startsWith('http'))!.trim();
    expect(url).toBe(`${base}/console?token=${token}`);
    expect(token).toMatch(/^[\w-]{43}$/);

    const first = await rawRequest(url, { method: 'GET', headers: { host } });
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe('/console');
    const cookie = String(first.headers['set-cookie']).split(';')[0]!;
    expect(first.headers['set-cookie']).toEqual([expect.stringMatching(/HttpOnly; SameSite=Strict/)]);

    const page = await rawRequest(`${base}/console`, { method: 'GET', headers: { host, cookie } });
    expect(page.status).toBe(200);
    expect(page.body).toContain(`<meta name="console-token" content="${token}">`);
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    expect(Object.keys(page.headers).filter((name) => name.startsWith('access-control-'))).toEqual([]);
  });

  it('refuses a request without the token, under a rebinding Host, or from another origin, with 403, and redrives nothing', async () => {
    const eventId = await deadLetter();
    await eventually(async () => ((await queueDepth(stack.sqs, stack.resources.deadLetterQueueUrl)) === 1 ? true : undefined), 10_000, 'the dead letter');
    const redrive = JSON.stringify({ eventIds: [eventId] });
    const json = { 'content-type': 'application/json' };

    const refused = await Promise.all([
      rawRequest(`${base}/api/events`, { method: 'GET', headers: { host } }),
      rawRequest(`${base}/api/dlq/redrive`, { method: 'POST', headers: { host, origin: base, ...json }, body: redrive }),
      // The cookie alone is what a form posted from another page would bring: a mutation needs the header.
      rawRequest(`${base}/api/dlq/redrive`, { method: 'POST', headers: { host, origin: base, ...json, cookie: `stripe_console_token=${token}` }, body: redrive }),
      rawRequest(`${base}/api/dlq/redrive`, { method: 'POST', headers: { host: `rebound.example:${running.server.port}`, 'x-console-token': token, ...json }, body: redrive }),
      rawRequest(`${base}/api/dlq/redrive`, { method: 'POST', headers: { host, origin: 'https://evil.example', 'x-console-token': token, ...json }, body: redrive }),
      rawRequest(`${base}/api/dlq/redrive`, { method: 'POST', headers: { host, origin: base, 'x-console-token': token, 'content-type': 'text/plain' }, body: redrive }),
      rawRequest(`${base}/api/dlq/redrive`, { method: 'POST', headers: { host, origin: base, 'x-console-token': `${token.slice(0, -1)}x`, ...json }, body: redrive }),
    ]);

    expect(refused.map((response) => response.status)).toEqual([403, 403, 403, 403, 403, 403, 403]);
    expect(refused.map((response) => JSON.parse(response.body).error.message)).toEqual([
      'This needs the console token: open the URL the console printed',
      'POST needs the console token in the x-console-token header',
      'POST needs the console token in the x-console-token header',
      `Host rebound.example:${running.server.port} does not name this server: open it as http://localhost:${running.server.port}`,
      'Origin https://evil.example may not call this server: only its own pages may',
      'POST needs content-type: application/json',
      'POST needs the console token in the x-console-token header',
    ]);
    for (const response of refused) expect(response.body).not.toContain(token);
    expect(await queueDepth(stack.sqs, stack.resources.deadLetterQueueUrl)).toBe(1);
    expect(await queueDepth(stack.sqs, stack.resources.queueUrl)).toBe(0);

    // The same request from the console's page: the preview lists it and moves nothing, then the redrive moves it.
    const preview = await api('POST', '/api/dlq/redrive', { eventIds: [eventId], dryRun: true });
    expect(preview.body).toMatchObject({ dryRun: true, moved: 0, matched: [{ eventId, type: 'payout.paid' }] });
    expect(await queueDepth(stack.sqs, stack.resources.deadLetterQueueUrl)).toBe(1);
    const moved = await api('POST', '/api/dlq/redrive', { eventIds: [eventId] });
    expect(moved).toMatchObject({ status: 200, body: { moved: 1, rate: 50, failed: [], notFound: [] } });
    await completed(eventId);
  }, 60_000);

  it('lists, searches and shows events, and draws the overview from the ledger', async () => {
    const event = sampleEvent('payment_intent.succeeded');
    stack.stripeStandIn!.store.recordEvent(event);
    await deliver(event);
    await completed(event.id);
    const objectId = (event.data.object as { id: string }).id;

    const listed = await api('GET', '/api/events?status=completed&type=payment_intent.succeeded&since=1h');
    expect(listed.status).toBe(200);
    expect(listed.body.events.map((summary: { id: string }) => summary.id)).toContain(event.id);

    expect((await api('GET', `/api/search?q=${event.id}`)).body).toMatchObject({ kind: 'event', events: [{ id: event.id, status: 'completed' }] });
    expect((await api('GET', `/api/search?q=${objectId}`)).body).toMatchObject({ kind: 'object', events: [{ id: event.id, objectId }] });

    const detail = await api('GET', `/api/events/${event.id}`);
    expect(detail.body).toMatchObject({ id: event.id, deliveries: 1, duplicatesAbsorbed: 0, deliveryLog: [{ source: 'webhook', receiveCount: 1 }], payloadSource: 'events-api' });
    expect(detail.body.completionLatencyMs).toBeGreaterThanOrEqual(detail.body.receiptLatencyMs);

    const overview = await api('GET', '/api/overview?since=1h');
    expect(overview.body).toMatchObject({ source: 'ledger', periodSeconds: 60 });
    // Whole minutes, as CloudWatch aligns them: the hour's partial first and last minutes are two more.
    expect(overview.body.points.length).toBeGreaterThanOrEqual(60);
    expect(overview.body.points.length).toBeLessThanOrEqual(61);
    expect(overview.body.totals.received).toBeGreaterThanOrEqual(1);
    expect(overview.body.totals.completed).toBeGreaterThanOrEqual(1);

    expect(await api('GET', '/api/events?since=40d')).toMatchObject({ status: 400, body: { error: { message: expect.stringMatching(/spans 960 hours/) } } });
    expect(await api('GET', '/api/events/evt_not_in_this_ledger')).toMatchObject({ status: 404 });
    expect(await api('GET', '/api/ledger')).toMatchObject({ status: 404 });
  }, 60_000);

  it('replays a completed event only when confirmed, and the worker does it again', async () => {
    const event = sampleEvent('payout.paid');
    stack.stripeStandIn!.store.recordEvent(event);
    await deliver(event);
    const before = await completed(event.id);

    const plan = await api('GET', `/api/events/${event.id}/replay`);
    expect(plan.body).toMatchObject({ eventId: event.id, status: 'completed', replayable: true, effect: expect.stringContaining('runs its action again') });
    const unconfirmed = await api('POST', `/api/events/${event.id}/replay`, {});
    expect(unconfirmed).toMatchObject({ status: 400, body: { error: { message: expect.stringContaining(`{"confirm": "${event.id}"}`) } } });
    expect(await queueDepth(stack.sqs, stack.resources.queueUrl)).toBe(0);

    const replayed = await api('POST', `/api/events/${event.id}/replay`, { confirm: event.id });
    expect(replayed.body).toEqual({ queued: true, eventId: event.id, type: 'payout.paid', payloadSource: 'events-api' });
    const after = await eventually(async () => {
      const record = await getLedgerRecord(stack.db, stack.resources.ledgerTableName, event.id);
      return record && record.attempts! > before.attempts! && record.status === 'completed' ? record : undefined;
    }, 20_000, 'the replay to be done');
    expect(after.receivedAt).toBe(before.receivedAt);
  }, 60_000);

  it('refuses to replay an event that is not done, or that the ledger has never seen', async () => {
    expect(await api('GET', '/api/events/evt_never_seen/replay')).toMatchObject({ status: 404 });
    expect(await api('POST', '/api/events/evt_never_seen/replay', { confirm: 'evt_never_seen' })).toMatchObject({ status: 400, body: { error: { message: 'No event evt_never_seen in the ledger' } } });
  });
});
