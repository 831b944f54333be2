/**
 * `npm start` as a developer runs it: a separate process that prints where everything is, refuses a
 * busy port with advice, and leaves nothing behind on Ctrl-C.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { join } from 'node:path';
import { freePort } from '../../local/emulators';

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
