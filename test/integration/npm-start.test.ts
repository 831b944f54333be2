/**
 * `npm start` as a developer runs it: a separate process that answers "starting" until it is ready,
 * prints where everything is, refuses a busy port or a missing Java with advice, and leaves nothing
 * behind on Ctrl-C.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { registry } from '../../functions/worker/actions';
import { freePort, LOCAL_AWS } from '../../local/emulators';
import { readLocalStackFile, type LocalStackFile } from '../../local/stack-file';
import { getLedgerRecord } from '../../ops/ledger-reads';
import { startStripeApiStandIn } from '../../local/stripe-api/server';

const ROOT = join(__dirname, '..', '..');

function startCli(env: Record<string, string>): { child: ChildProcessWithoutNullStreams; output: () => string } {
  // One process (tsx as a loader, not its CLI wrapper), so that killing it kills the stack itself.
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  return { child, output: () => output };
}

async function waitForOutput(output: () => string, pattern: RegExp, timeoutMs = 60_000): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = output().match(pattern);
    if (match) return match;
    if (Date.now() > deadline) throw new Error(`No ${pattern} in:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A command as a user types it (`npm run <script> -- …`), run to its end; asynchronously, so a stand-in in this process can answer it. */
async function runScript(script: string, args: readonly string[], env: Record<string, string>): Promise<{ status: number | null; output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: ROOT, env: { ...process.env, ...env } });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const status = await exitOf(child);
  return { status, output };
}

async function eventStatus(port: number, eventId: string, expected: string): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const response = await fetch(`http://127.0.0.1:${port}/api/events/${eventId}`);
    const body = (await response.json()) as Record<string, unknown>;
    if (body.status === expected) return body;
    if (Date.now() > deadline) throw new Error(`Event ${eventId} is ${JSON.stringify(body)}, not ${expected}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function exitOf(child: ChildProcessWithoutNullStreams): Promise<number | null> {
  return child.exitCode !== null ? Promise.resolve(child.exitCode) : new Promise((resolve) => child.once('exit', resolve));
}

function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => socket.destroy() && resolve(true)).once('error', () => resolve(false));
  });
}

describe('npm start', () => {
  it('starts everything, prints the endpoints and the dev secret, and stops it all on Ctrl-C', async () => {
    const port = await freePort();
    const { child, output } = startCli({ PORT: String(port), STRIPE_WEBHOOK_SECRET: '' });
    try {
      await waitForOutput(output, /Ready in/);
      expect(output()).toContain(`POST http://localhost:${port}/webhook`);
      expect(output()).toMatch(/Secret +whsec_dev_\w+ +\(dev secret/);
      const [, dynamoPort, sqsPort] = output().match(/DynamoDB Local http:\/\/127\.0\.0\.1:(\d+) · SQS http:\/\/127\.0\.0\.1:(\d+)/)!;
      expect(await isListening(Number(dynamoPort))).toBe(true);

      child.kill('SIGINT');
      expect(await exitOf(child)).toBe(0);

      expect(output()).toContain('Stopped.');
      for (const emulatorPort of [port, Number(dynamoPort), Number(sqsPort)]) expect(await isListening(emulatorPort)).toBe(false);
    } finally {
      child.kill('SIGKILL');
    }
  }, 90_000);

  it('answers every route 503 starting, with Retry-After: 1, from the moment its port opens until it is ready', async () => {
    const port = await freePort();
    const { child, output } = startCli({ PORT: String(port) });
    try {
      const deadline = Date.now() + 30_000;
      while (!(await isListening(port))) {
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`The port never opened:\n${output()}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const routes = [['GET', '/health'], ['POST', '/webhook'], ['GET', '/console'], ['GET', '/api/events'], ['POST', '/api/dlq/redrive'], ['PUT', '/api/chaos'], ['GET', '/nowhere']] as const;

      // A time limit well inside the seconds the emulators take: a request that waits for them fails.
      const answers = await Promise.all(
        routes.map(async ([method, path]) => {
          const response = await fetch(`http://127.0.0.1:${port}${path}`, {
            method,
            ...(method === 'GET' ? {} : { headers: { 'content-type': 'application/json' }, body: '{}' }),
            signal: AbortSignal.timeout(2_000),
          });
          return { route: `${method} ${path}`, status: response.status, retryAfter: response.headers.get('retry-after'), body: await response.json() };
        }),
      );
      const readyBeforeAnswers = output().includes('Ready in');

      expect(answers).toEqual(routes.map(([method, path]) => ({ route: `${method} ${path}`, status: 503, retryAfter: '1', body: { status: 'starting' } })));
      expect(readyBeforeAnswers).toBe(false);

      await waitForOutput(output, /Ready in/);
      expect(await (await fetch(`http://127.0.0.1:${port}/health`)).json()).toEqual({ status: 'ready' });
      expect((await fetch(`http://127.0.0.1:${port}/api/events`)).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${port}/nowhere`)).status).toBe(404);
    } finally {
      child.kill('SIGINT');
      await exitOf(child);
    }
  }, 90_000);

  it('leaves no emulator running when it is killed outright, without a chance to clean up', async () => {
    const { child, output } = startCli({ PORT: String(await freePort()) });
    try {
      await waitForOutput(output, /Ready in/);
      const [, dynamoPort, sqsPort] = output().match(/DynamoDB Local http:\/\/127\.0\.0\.1:(\d+) · SQS http:\/\/127\.0\.0\.1:(\d+)/)!;
      child.kill('SIGKILL');
      await exitOf(child);

      const deadline = Date.now() + 15_000;
      while ((await isListening(Number(dynamoPort))) || (await isListening(Number(sqsPort)))) {
        if (Date.now() > deadline) throw new Error('An emulator outlived the process that started it');
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    } finally {
      child.kill('SIGKILL');
    }
  }, 90_000);

  describe('a missed webhook, found by npm run backfill -- --local', () => {
    async function missAndBackfill(env: Record<string, string>) {
      const port = await freePort();
      const { child, output } = startCli({ PORT: String(port), STRIPE_WEBHOOK_SECRET: '', ...env });
      try {
        await waitForOutput(output, /Ready in/);
        const triggered = await runScript('scripts/trigger.ts', ['--undelivered', 'payment_intent.succeeded'], { PORT: String(port), STRIPE_WEBHOOK_SECRET: '', ...env });
        expect(triggered.status).toBe(0);
        const [, eventId] = triggered.output.match(/payment_intent\.succeeded (evt_\w+)/)!;
        expect((await fetch(`http://127.0.0.1:${port}/api/events/${eventId}`)).status).toBe(404);

        const backfilled = await runScript('scripts/backfill.ts', ['--local', '--since', '1h'], env);
        expect(backfilled.output).toContain(`queued payment_intent.succeeded ${eventId}`);
        expect(backfilled.output).toMatch(/1 queued\./);
        expect(backfilled.status).toBe(0);
        expect(await eventStatus(port, eventId!, 'completed')).toMatchObject({ source: 'backfill', attempts: 1 });

        // A second run finds it in the ledger and queues nothing.
        const again = await runScript('scripts/backfill.ts', ['--local', '--since', '1h'], env);
        expect(again.output).toMatch(/1 already in the ledger, 0 queued\./);
        return output();
      } finally {
        child.kill('SIGINT');
        await exitOf(child);
      }
    }

    it('with the Stripe API stand-in npm start runs', async () => {
      const output = await missAndBackfill({});
      expect(output).toMatch(/Stripe API http:\/\/127\.0\.0\.1:\d+ +\(stand-in/);
      expect(output).toMatch(/stripe listen --events payment_intent\.succeeded,[a-z_.,]+ --forward-to localhost:\d+\/webhook/);
    }, 120_000);

    it('with an external stand-in given by STRIPE_API_BASE and STRIPE_API_KEY', async () => {
      const apiKey = 'sk_test_external_standin_key_1234';
      const external = await startStripeApiStandIn({ apiKeys: [apiKey] });
      try {
        const output = await missAndBackfill({ STRIPE_API_BASE: external.url, STRIPE_API_KEY: apiKey });
        expect(output).toContain(`Stripe API ${external.url}  (STRIPE_API_BASE)`);
        expect(external.requests.filter((request) => request.path === '/v1/events').length).toBeGreaterThanOrEqual(2);
        expect(output).not.toContain(apiKey);
      } finally {
        await external.stop();
      }
    }, 120_000);
  });

  describe('npm run trigger: thin notifications and Amazon EventBridge', () => {
    let port: number;
    let stack: { child: ChildProcessWithoutNullStreams; output: () => string };
    let db: DynamoDBClient;
    let stackFile: LocalStackFile;
    const env = () => ({ PORT: String(port), STRIPE_WEBHOOK_SECRET: '' });
    const triggerCli = (...args: string[]) => runScript('scripts/trigger.ts', args, env());

    beforeAll(async () => {
      port = await freePort();
      stack = startCli(env());
      await waitForOutput(stack.output, /Ready in/);
      stackFile = await stackFileOf(port);
      db = new DynamoDBClient({ endpoint: stackFile.dynamodbEndpoint, ...LOCAL_AWS });
    }, 90_000);

    afterAll(async () => {
      db?.destroy();
      stack.child.kill('SIGINT');
      await exitOf(stack.child);
    });

    /** The ledger record itself: the ops API does not show the form an event came in, or the thin event's id. */
    const ledgerRecord = async (eventId: string) => getLedgerRecord(db, stackFile.ledgerTableName, eventId);

    /** .local/stack.json once it names this stack: it is written just after the banner, and one a killed run left may still be there. */
    async function stackFileOf(stackPort: number): Promise<LocalStackFile> {
      const deadline = Date.now() + 5_000;
      for (;;) {
        try {
          const file = readLocalStackFile();
          if (file.webhookUrl === `http://localhost:${stackPort}/webhook`) return file;
        } catch {
          // Not written yet.
        }
        if (Date.now() > deadline) throw new Error(`.local/stack.json does not name the stack on port ${stackPort}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }

    /** The line trigger printed for a type: the id delivered, the form and way, and the snapshot a thin one is folded into. */
    function printed(output: string, type: string): { id: string; form: string; way: string; snapshot?: string } {
      const match = output.match(new RegExp(`${type.replace(/\./g, '\\.')} (evt_\\w+) \\((snapshot|thin) via (webhook|eventbridge)(?:, for snapshot (evt_\\w+))?\\)`));
      if (!match) throw new Error(`No ${type} line in:\n${output}`);
      return { id: match[1]!, form: match[2]!, way: match[3]!, ...(match[4] ? { snapshot: match[4] } : {}) };
    }

    it('prints how to forward thin events with the Stripe CLI, next to the snapshot command', () => {
      expect(stack.output()).toMatch(new RegExp(`stripe listen --all-thin --forward-to localhost:${port}/webhook`));
      expect(stack.output()).toMatch(/stripe listen --events payment_intent\.succeeded,[a-z_.,]+ --forward-to/);
    });

    it('--thin: the notification is signed and POSTed, the worker fetches its snapshot from the stand-in, and the event completes once', async () => {
      const triggered = await triggerCli('--thin', 'payment_intent.succeeded');

      expect(triggered.status).toBe(0);
      const line = printed(triggered.output, 'v1.payment_intent.succeeded');
      expect(line).toMatchObject({ form: 'thin', way: 'webhook', snapshot: expect.stringMatching(/^evt_/) });
      expect(triggered.output).toContain('[200 POST] OK v1.payment_intent.succeeded');
      expect(await eventStatus(port, line.snapshot!, 'completed')).toMatchObject({ type: 'payment_intent.succeeded', source: 'webhook', attempts: 1 });
      expect(await ledgerRecord(line.snapshot!)).toMatchObject({ form: 'thin', thinEventId: line.id });
    }, 60_000);

    it('--via eventbridge: the snapshot event goes on the queue as EventBridge delivers it, and completes once', async () => {
      const triggered = await triggerCli('--via', 'eventbridge', 'payment_intent.succeeded');

      expect(triggered.status).toBe(0);
      const line = printed(triggered.output, 'payment_intent.succeeded');
      expect(line).toEqual({ id: expect.stringMatching(/^evt_/), form: 'snapshot', way: 'eventbridge' });
      expect(triggered.output).toContain(`[queued] payment_intent.succeeded ${line.id}`);
      expect(triggered.output).toContain('Put 1 EventBridge messages of 1 events on the queue.');
      expect(await eventStatus(port, line.id, 'completed')).toMatchObject({ type: 'payment_intent.succeeded', source: 'eventbridge', attempts: 1 });
      expect(await ledgerRecord(line.id)).toMatchObject({ form: 'snapshot' });
    }, 60_000);

    it('--via eventbridge --thin: the thin notification is the EventBridge event\'s detail, and the event completes once', async () => {
      const triggered = await triggerCli('--via', 'eventbridge', '--thin', 'payment_intent.succeeded');

      expect(triggered.status).toBe(0);
      const line = printed(triggered.output, 'v1.payment_intent.succeeded');
      expect(line).toMatchObject({ form: 'thin', way: 'eventbridge' });
      expect(await eventStatus(port, line.snapshot!, 'completed')).toMatchObject({ type: 'payment_intent.succeeded', source: 'eventbridge', attempts: 1 });
      expect(await ledgerRecord(line.snapshot!)).toMatchObject({ form: 'thin', thinEventId: line.id });
    }, 60_000);

    it.each([[[]], [['--thin']], [['--via', 'eventbridge']]])('sends the thin-only v1.billing.meter.error_report_triggered (%j), keyed by its own id', async (flags) => {
      const triggered = await triggerCli(...flags, 'v1.billing.meter.error_report_triggered');

      expect(triggered.status).toBe(0);
      const line = printed(triggered.output, 'v1.billing.meter.error_report_triggered');
      expect(line.form).toBe('thin');
      expect(line.snapshot).toBeUndefined();
      const source = flags.includes('eventbridge') ? 'eventbridge' : 'webhook';
      if (registry.find('v1.billing.meter.error_report_triggered')) {
        expect(await eventStatus(port, line.id, 'completed')).toMatchObject({ type: 'v1.billing.meter.error_report_triggered', source, attempts: 1 });
      } else {
        // TODO: once the meter handler (functions/worker/actions/meters.ts) is registered, only the branch above runs.
        expect(await eventStatus(port, line.id, 'ignored')).toMatchObject({ type: 'v1.billing.meter.error_report_triggered', source });
      }
      expect(await ledgerRecord(line.id)).toMatchObject({ form: 'thin' });
    }, 60_000);

    it.each([
      [['--via', 'carrier-pigeon', 'payment_intent.succeeded'], '--via must be webhook or eventbridge, got "carrier-pigeon"'],
      [['--via', 'eventbridge', '--url', 'http://localhost:1/webhook', 'payment_intent.succeeded'], 'takes no --url'],
      [['--undelivered', '--thin', 'payment_intent.succeeded'], '--undelivered records snapshot events'],
      [['--undelivered', 'v1.billing.meter.error_report_triggered'], '--undelivered records snapshot events'],
      [['--thin', 'v2.core.account.updated'], 'Unknown event type v2.core.account.updated'],
    ])('refuses %j with a clear error, sending nothing', async (args, message) => {
      const before = (await (await fetch(`http://127.0.0.1:${port}/api/events?limit=100`)).json()) as { count: number };

      const triggered = await triggerCli(...args);

      expect(triggered.status).toBe(1);
      expect(triggered.output).toContain(message);
      expect(triggered.output).not.toMatch(/\[(?:\d+ POST|queued|not delivered)\]/);
      const after = (await (await fetch(`http://127.0.0.1:${port}/api/events?limit=100`)).json()) as { count: number };
      expect(after.count).toBe(before.count);
    }, 30_000);
  });

  describe('without Java 17 or newer on PATH', () => {
    const install = 'Install it (Debian/Ubuntu: sudo apt-get install openjdk-17-jre-headless; macOS: brew install openjdk@17), then run npm start again.';
    let bin: string;

    // A PATH with node, as npm start's command needs, and only the java each case puts there.
    beforeEach(() => {
      bin = mkdtempSync(join(tmpdir(), 'path-'));
      symlinkSync(process.execPath, join(bin, 'node'));
    });
    afterEach(() => rmSync(bin, { recursive: true, force: true }));

    const fakeJava = (script: string) => writeFileSync(join(bin, 'java'), `#!/bin/sh\n${script}\n`, { mode: 0o755 });

    it.each([
      ['no java', undefined, 'no java was found on PATH.'],
      ['Java 8', `echo 'java version "1.8.0_381"' >&2`, 'the java on PATH is Java 8 (1.8.0_381).'],
      ['Java 11', `echo 'openjdk version "11.0.22" 2024-01-16' >&2`, 'the java on PATH is Java 11 (11.0.22).'],
      ["macOS's java with no runtime behind it", `echo 'The operation couldn’t be completed. Unable to locate a Java Runtime.' >&2; exit 1`, 'the java on PATH did not run (java -version: The operation couldn’t be completed. Unable to locate a Java Runtime).'],
    ])('with %s, says so in one line and exits with code 1', async (_case, script, problem) => {
      if (script) fakeJava(script);
      const port = await freePort();
      const { child, output } = startCli({ PORT: String(port), PATH: bin });

      expect(await exitOf(child)).toBe(1);
      expect(output()).not.toMatch(/^ {4}at /m);
      expect(output().trim().split('\n')).toEqual(['Starting DynamoDB Local and the SQS emulator…', `DynamoDB Local needs Java 17 or newer, and ${problem} ${install}`]);
      expect(await isListening(port)).toBe(false);
    }, 30_000);
  });

  it('names a busy port and how to change it', async () => {
    const blocker = createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => blocker.once('listening', resolve));
    const port = (blocker.address() as { port: number }).port;
    const { child, output } = startCli({ PORT: String(port) });
    try {
      expect(await exitOf(child)).toBe(1);
      expect(output()).toContain(`Port ${port} is already in use`);
      expect(output()).toContain(`PORT=${port + 1} npm start`);
    } finally {
      blocker.close();
    }
  }, 30_000);
});
