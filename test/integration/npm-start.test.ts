/**
 * `npm start` as a developer runs it: a separate process that prints where everything is, refuses a
 * busy port with advice, and leaves nothing behind on Ctrl-C.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { join } from 'node:path';
import { freePort } from '../../local/emulators';
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
