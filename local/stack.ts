/**
 * The whole pipeline on one machine: emulators, queues and tables from the shared definitions, the
 * real ingest and worker handlers (the same adapters and cores as on AWS), an HTTP server standing in
 * for API Gateway, a poller standing in for Lambda's SQS event source mapping, the ops API and the
 * console.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { createIngestHandler } from '../functions/ingest/api-gateway';
import { sqsEnqueue } from '../functions/ingest/enqueue';
import { SecretCache, staticSecrets } from '../functions/ingest/secrets';
import { createDynamoDbClient, createSqsClient } from '../functions/shared/clients';
import { DEFAULT_TOLERANCE_SECONDS } from '../functions/shared/config';
import { MAX_MESSAGE_BYTES } from '../functions/shared/resources';
import { registry } from '../functions/worker/actions';
import { DynamoLedger } from '../functions/worker/ledger';
import type { Registry } from '../functions/worker/registry';
import { createWorkerHandler } from '../functions/worker/sqs-batch';
import { toHttpApiEvent } from './api-gateway-event';
import { Chaos, type ChaosSettings } from './chaos';
import { createPipelineResources, type PipelineResources } from './create-resources';
import { LOCAL_AWS, startEmulators, type Emulators } from './emulators';
import { EventLog, terminalLog, type OutcomeListener, type Print } from './event-log';
import { handleOps } from './ops-api';
import { startPoller, type Poller } from './poller';

/** API Gateway HTTP API's payload limit; larger requests never reach the Lambda. */
const API_GATEWAY_MAX_BODY = 10 * 1024 * 1024;

export interface LocalStackOptions {
  /** @default 4242; 0 picks a free port */
  readonly port?: number;
  /** Signing secrets accepted by the ingest. */
  readonly secrets: readonly string[];
  /** Resource name prefix. @default 'local' */
  readonly stage?: string;
  /** Use running emulators instead of starting them. */
  readonly endpoints?: { readonly sqs: string; readonly dynamodb: string };
  /** Keeps DynamoDB data across restarts. */
  readonly dataDir?: string;
  /** Short, so that local retries come within seconds. @default 5 */
  readonly visibilityTimeoutSeconds?: number;
  readonly batchSize?: number;
  readonly batchingWindowMs?: number;
  readonly concurrency?: number;
  readonly chaos?: Partial<ChaosSettings>;
  readonly chaosSeed?: number;
  /** Replaces the reference actions (tests). */
  readonly registry?: Registry;
  /** Where the terminal lines go. @default console.log */
  readonly print?: Print;
  /** Told of every ledger outcome, for drills and benchmarks that count them. */
  readonly onOutcome?: OutcomeListener;
}

export interface LocalStack {
  readonly url: string;
  /** The emulators' endpoints, for the AWS CLI or SDK scripts. */
  readonly endpoints: { readonly sqs: string; readonly dynamodb: string };
  readonly port: number;
  readonly resources: PipelineResources;
  readonly chaos: Chaos;
  readonly sqs: SQSClient;
  readonly db: DynamoDBClient;
  stop(): Promise<void>;
}

export class PortInUseError extends Error {
  readonly name = 'PortInUseError';
  constructor(readonly port: number) {
    super(`Port ${port} is already in use. Stop whatever uses it, or pick another port: PORT=${port + 1} npm start`);
  }
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const print = options.print ?? ((line: string) => console.log(line));
  let emulators: Emulators | undefined;
  const cleanups: (() => Promise<void> | void)[] = [];
  const stopAll = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    await emulators?.stop();
  };
  let ready = false;

  try {
    // Claim the port first: if it is taken, say so before spending seconds on the emulators.
    const server = createServer();
    await listen(server, options.port ?? 4242);
    cleanups.push(() => closeServer(server));
    const port = (server.address() as { port: number }).port;

    let endpoints = options.endpoints;
    if (!endpoints) {
      emulators = await startEmulators({ dataDir: options.dataDir });
      endpoints = { dynamodb: emulators.dynamodb.endpoint, sqs: emulators.sqs.endpoint };
    }
    const sqs = createSqsClient({ endpoint: endpoints.sqs, ...LOCAL_AWS });
    const db = createDynamoDbClient({ endpoint: endpoints.dynamodb, ...LOCAL_AWS });
    cleanups.push(() => {
      sqs.destroy();
      db.destroy();
    });
    const resources = await createPipelineResources(sqs, db, {
      stage: options.stage ?? 'local',
      visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? 5,
    });
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: resources.queueUrl, AttributeNames: ['QueueArn'] }));

    const chaos = new Chaos(options.chaos, options.chaosSeed);
    const eventLog = new EventLog(print, options.onOutcome);
    const log = terminalLog(print);
    const count = () => undefined;

    const ingest = createIngestHandler({
      secrets: new SecretCache(staticSecrets(options.secrets), { refreshMs: Number.POSITIVE_INFINITY }),
      enqueue: chaos.wrapEnqueue(sqsEnqueue(sqs, resources.queueUrl)),
      toleranceSeconds: DEFAULT_TOLERANCE_SECONDS,
      maxMessageBytes: MAX_MESSAGE_BYTES,
      now: Date.now,
      log,
      count,
    });
    const ledger = new DynamoLedger(db, { ...resources, retentionDays: 90 });
    const worker = createWorkerHandler({
      // Chaos outside the trace: a crash injected after a commit still shows the commit that happened.
      ledger: chaos.wrapLedger(eventLog.traceLedger(ledger)),
      registry: chaos.wrapRegistry(options.registry ?? registry),
      log,
      count,
      now: Date.now,
      leaseMs: 60_000,
    });

    const poller: Poller = startPoller({
      sqs,
      queueUrl: resources.queueUrl,
      queueArn: Attributes!.QueueArn!,
      handler: worker,
      // Larger than Lambda's default of 10: DynamoDB Local charges heavily per request, and 30 events
      // (90 items) still fit one combined commit. Measured best on 2 cores (BENCHMARKS.md).
      batchSize: options.batchSize ?? 30,
      batchingWindowMs: options.batchingWindowMs,
      concurrency: options.concurrency,
      onError: (error) => print(`poller: ${String(error)}`),
    });
    cleanups.push(() => poller.stop());

    const consoleDir = join(__dirname, 'console');
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      void route(request, response).catch((error: unknown) => {
        print(`server error: ${String(error)}`);
        if (!response.headersSent) send(response, 500, { error: { message: 'Internal error' } });
      });
    });

    async function route(request: IncomingMessage, response: ServerResponse): Promise<void> {
      const url = new URL(request.url ?? '/', 'http://localhost');
      const body = await readBody(request, API_GATEWAY_MAX_BODY);
      if (body === undefined) return send(response, 413, { message: 'Request Entity Too Large' });

      if (url.pathname === '/webhook') {
        const started = Date.now();
        const result = await ingest(toHttpApiEvent(request, body, started));
        const ackMs = Date.now() - started;
        if (result.statusCode === 200) {
          const event = JSON.parse(body.toString('utf8')) as { id: string; type: string };
          eventLog.queued(event.id, event.type, body.toString('utf8'), ackMs);
        } else {
          eventLog.rejected(result.statusCode, (JSON.parse(result.body) as { error?: { message?: string } }).error?.message ?? '');
        }
        response.writeHead(result.statusCode, result.headers as Record<string, string>);
        response.end(result.body);
        return;
      }
      if (url.pathname === '/' || url.pathname === '/console' || url.pathname.startsWith('/console/')) {
        return serveConsole(response, consoleDir, url.pathname);
      }
      const answer = await handleOps(request.method ?? 'GET', url, body.toString('utf8'), {
        sqs,
        db,
        resources,
        eventLog,
        chaos,
        isReady: () => ready,
      });
      if (answer) return send(response, answer.status, answer.body);
      send(response, 404, { error: { message: `Nothing at ${url.pathname}. Stripe posts to /webhook; the console is at /console.` } });
    }

    ready = true;
    return { url: `http://localhost:${port}`, endpoints, port, resources, chaos, sqs, db, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(error.code === 'EADDRINUSE' ? new PortInUseError(port) : error));
    server.listen(port, '127.0.0.1', () => resolve());
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** The request body, or undefined when it exceeds `limit` bytes. */
async function readBody(request: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limit) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

const CONSOLE_FILES: Record<string, string> = {
  '/': 'index.html',
  '/console': 'index.html',
  '/console/': 'index.html',
  '/console/console.js': 'console.js',
  '/console/console.css': 'console.css',
};

const CONTENT_TYPES: Record<string, string> = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };

async function serveConsole(response: ServerResponse, directory: string, path: string): Promise<void> {
  const file = CONSOLE_FILES[path];
  if (!file) return send(response, 404, { error: { message: `No console file ${path}` } });
  const content = await readFile(join(directory, file));
  response.writeHead(200, { 'content-type': CONTENT_TYPES[file.split('.').pop()!]!, 'cache-control': 'no-store' });
  response.end(content);
}
