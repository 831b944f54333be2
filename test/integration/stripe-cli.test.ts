/**
 * The real Stripe CLI (`stripe listen`, @stripe/cli 1.52) forwarding to the local stack, as a developer
 * runs it against `npm start`. Stripe's side of the CLI's session is played on loopback by
 * test/helpers/stripe-cli-session.ts, and nothing may leave the machine: the CLI runs with a throwaway
 * HOME, telemetry and self-update off, `--skip-update`, and its proxy variables pointing at the
 * stand-in, which records any request meant for another host.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Outcome } from '../../local/event-log';
import { sampleEvent, type SampleEventType } from '../../local/sample-events';
import { thinNotificationFor } from '../../local/sample-thin-events';
import type { LocalStack } from '../../local/stack';
import { getLedgerRecord } from '../../ops/ledger-reads';
import { TEST_SECRET } from '../helpers/factories';
import { eventually, getJson, startTestStack } from '../helpers/local-stack';
import { SESSIONS_PATH, startStripeCliStandIn, stripeSignature, type StripeCliStandIn } from '../helpers/stripe-cli-session';

const API_KEY = 'sk_test_51LoopbackOnly0000000000000000';

/**
 * The CLI's binary, from @stripe/cli's Linux x64 package (an optional dependency: the registry this
 * project is built against serves only that platform's package, and npm skips it elsewhere). Run
 * directly, not through @stripe/cli's shim, which runs it with spawnSync: killing the shim would
 * leave the CLI running.
 */
const ON_LINUX_X64 = process.platform === 'linux' && process.arch === 'x64';

function stripeCliBinary(): string {
  // On Linux x64 a missing package is a failure, never a skip.
  return join(dirname(require.resolve('@stripe/cli-linux-x64/package.json')), 'bin', 'stripe');
}

interface Listener {
  readonly standIn: StripeCliStandIn;
  readonly output: () => string;
  /** The signing secret the CLI printed once it was ready. */
  readonly printedSecret: string;
}

(ON_LINUX_X64 ? describe : describe.skip)('stripe listen, forwarding to the local stack', () => {
  let stack: LocalStack & { lines: string[] };
  let home: string;
  const outcomes = new Map<string, Outcome[]>();
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    stack = await startTestStack({ onOutcome: (eventId, outcome) => outcomes.set(eventId, [...(outcomes.get(eventId) ?? []), outcome]) });
    home = mkdtempSync(join(tmpdir(), 'stripe-cli-home-'));
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  afterAll(async () => {
    await stack?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  /** `stripe listen <flags> --forward-to localhost:<stack>/webhook`, connected to a fresh stand-in. */
  async function listen(flags: readonly string[]): Promise<Listener> {
    const standIn = await startStripeCliStandIn({ apiKey: API_KEY, secret: TEST_SECRET });
    cleanups.push(() => standIn.stop());
    const args = ['listen', '--api-base', standIn.apiBase, '--skip-update', ...flags, '--forward-to', `localhost:${stack.port}/webhook`];
    const child = spawn(stripeCliBinary(), args, {
      // Only what the CLI needs, so nothing from this machine's environment (a real key, a config) leaks in.
      env: {
        HOME: home,
        STRIPE_API_KEY: API_KEY,
        STRIPE_CLI_TELEMETRY_OPTOUT: '1',
        // Self-update checks run after a command ends, for curl installs only; off in case that changes.
        STRIPE_NO_AUTO_UPDATE: '1',
        // Go sends anything not for localhost/127.0.0.1 through these, so an attempt to reach Stripe
        // (or GitHub) lands in the stand-in's request log instead of the network.
        HTTPS_PROXY: standIn.apiBase,
        HTTP_PROXY: standIn.apiBase,
      },
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    cleanups.push(() => stop(child));

    await standIn.connected(15_000).catch((error: Error) => {
      throw new Error(`${error.message}\nCLI output:\n${output}`);
    });
    const ready = await eventually(async () => output.match(/Ready! .*Your webhook signing secret is (\S+)/) ?? undefined, 10_000, `the CLI's Ready line in:\n${output}`);
    return { standIn, output: () => output, printedSecret: ready[1]! };
  }

  /** SIGTERM, as Ctrl-C would: the CLI closes its websocket and exits; bounded, then SIGKILL. */
  async function stop(child: ChildProcessWithoutNullStreams): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }

  /** The ledger record once it is completed, after exactly one outcome: completed. */
  const completedOnce = async (eventId: string) => {
    // The outcome is reported just after the commit it follows, so wait for both.
    const record = await eventually(async () => {
      const found = await getLedgerRecord(stack.db, stack.resources.ledgerTableName, eventId);
      return found?.status === 'completed' && outcomes.has(eventId) ? found : undefined;
    }, 20_000, `${eventId} to complete; the stack printed:\n${stack.lines.slice(-20).join('\n')}`);
    expect(outcomes.get(eventId)).toEqual(['completed']);
    return record;
  };

  // Pretty-printed, as Stripe sends events: a CLI that re-serialised the JSON would change the bytes
  // and the stack would refuse the signature, which covers the exact bytes.
  const body = (event: unknown) => JSON.stringify(event, null, 2);

  describe.each([
    { flags: ['--events', 'payment_intent.succeeded,invoice.paid,payout.paid'], types: ['payment_intent.succeeded', 'invoice.paid', 'payout.paid'] as SampleEventType[] },
    { flags: ['--all-snapshot'], types: ['charge.refunded', 'transfer.created', 'transfer.reversed'] as SampleEventType[] },
  ])('snapshot events with $flags', ({ flags, types }) => {
    it('forwards each signed event byte for byte, the stack answers 200, and each completes once', async () => {
      const { standIn, printedSecret, output } = await listen(flags);

      // The session asked for snapshot events only, forwarded to the stack (and the stand-in took the key).
      expect(printedSecret).toBe(TEST_SECRET);
      expect(standIn.sessions).toHaveLength(1);
      expect(standIn.sessions[0]!.getAll('websocket_features[]')).toEqual(['webhooks']);
      expect(standIn.sessions[0]!.get('forward_to_url')).toBe(`localhost:${stack.port}/webhook`);

      const events = types.map((type) => sampleEvent(type));
      for (const event of events) {
        const payload = body(event);
        const response = await standIn.sendSnapshotEvent(payload);
        expect(response).toMatchObject({ status: 200, forward_url: `http://localhost:${stack.port}/webhook`, request_body: payload, notification_id: event.id });
        expect(JSON.parse(response.body)).toEqual({ received: true });
      }
      const acked = standIn.messages.filter((message) => message.type === 'event_ack').map((message) => (message as { event_id: string }).event_id);
      expect(acked).toEqual(events.map((event) => event.id));

      for (const event of events) {
        expect(await completedOnce(event.id)).toMatchObject({ eventId: event.id, type: event.type, attempts: 1, form: 'snapshot' });
      }
      // What the developer sees: a line per event with the status the stack answered, printed by another
      // goroutine than the one that sends the response up, so it may come a moment later.
      const lines = events.map((event) => `<--  [200] POST http://localhost:${stack.port}/webhook [${event.id}]`);
      await eventually(async () => (lines.every((line) => output().includes(line)) ? true : undefined), 5_000, `${lines.join(', ')} in:\n${output()}`);
      expect(standIn.outboundAttempts()).toEqual([]);
    });

    it('forwards a tampered event as it is, and the stack answers 400 and keeps nothing', async () => {
      const { standIn } = await listen(flags);
      const event = sampleEvent(types[0]!);
      const signature = stripeSignature(body(event), TEST_SECRET);
      const tampered = body({ ...event, data: { object: { ...(event.data.object as object), amount: 1 } } });

      const response = await standIn.sendSnapshotEvent(tampered, { signature });

      expect(response).toMatchObject({ status: 400, request_body: tampered, request_headers: expect.objectContaining({ 'Stripe-Signature': signature }) });
      expect(JSON.parse(response.body).error.message).toMatch(/No signature matches the payload/);
      expect(await getLedgerRecord(stack.db, stack.resources.ledgerTableName, event.id)).toBeUndefined();
    });
  });

  describe('thin events with --all-thin', () => {
    it('forwards a signed thin notification, the worker fetches the event it names, and it completes once', async () => {
      const { standIn, printedSecret } = await listen(['--all-thin']);
      expect(printedSecret).toBe(TEST_SECRET);
      // Thin events have their own websocket feature, and their own message type (v2_event).
      expect(standIn.sessions[0]!.getAll('websocket_features[]')).toEqual(['v2_events']);

      // The worker resolves a thin notification by reading the snapshot it names from the Stripe API.
      const event = sampleEvent('payment_intent.succeeded');
      stack.stripeStandIn!.store.recordEvent(event);
      const notification = thinNotificationFor(event);
      const payload = body(notification);

      const response = await standIn.sendThinEvent(payload);

      expect(response).toMatchObject({ status: 200, forward_url: `http://localhost:${stack.port}/webhook`, request_body: payload, notification_id: notification.id });
      expect(JSON.parse(response.body)).toEqual({ received: true });
      expect(await completedOnce(event.id)).toMatchObject({ eventId: event.id, type: event.type, attempts: 1, form: 'thin', thinEventId: notification.id });
      expect((await getJson(`${stack.url}/api/payments/${event.data.object.id}`)).body).toMatchObject({ status: 'succeeded' });
      expect(standIn.outboundAttempts()).toEqual([]);
      expect(standIn.requests.map((request) => `${request.method} ${request.url.split('?')[0]!.replace(/cliws_\w+/, '…')}`)).toEqual([`POST ${SESSIONS_PATH}`, 'GET /subscribe/…']);
    });
  });
});
