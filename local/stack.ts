/**
 * The whole pipeline on one machine: emulators, queues and tables from the shared definitions, the
 * ingest and the worker from their one wiring (the same adapters and cores as on AWS), an HTTP server
 * standing in for API Gateway (its routes are in router.ts), and a poller standing in for Lambda's SQS
 * event source mapping, which runs with the worker in a thread of its own (worker-thread.ts). Beside
 * them, a stand-in for Stripe's API (local/stripe-api/), which the backfill reads, unless a Stripe API
 * base is given.
 */
import { createServer, type Server } from 'node:http';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { wireIngest } from '../functions/ingest/wiring';
import { createDynamoDbClient, createSqsClient } from '../functions/shared/clients';
import { loadIngestConfig } from '../functions/shared/config';
import { createStripeApi } from '../functions/shared/stripe-api';
import type { PipelineResources } from '../ops/stage';
import { Chaos, type ChaosSettings } from './chaos';
import { createPipelineResources } from './create-resources';
import { readDevSecrets } from './dev-secret';
import { LOCAL_AWS, startEmulators, type Emulators } from './emulators';
import { EventLog, terminalLog, type OutcomeListener, type Print } from './event-log';
import { localStripeApiConfig } from './local-stripe-api';
import { createRouter, send, sendStarting, type Router } from './router';
import { startStripeApiStandIn, type StripeApiStandIn } from './stripe-api/server';
import { startWorkerThread } from './worker-thread';

export interface LocalStackOptions {
  /** @default 4242; 0 picks a free port */
  readonly port?: number;
  /** Signing secrets accepted by the ingest. */
  readonly secrets: readonly string[];
  /**
   * The file the secrets came from (the dev secret file): read again when a signature matches none,
   * so an endpoint registered or rotated with `npm run stripe:endpoint -- --local` needs no restart.
   */
  readonly secretsFile?: string;
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
  /** Where the terminal lines go. @default console.log */
  readonly print?: Print;
  /** Told of every ledger outcome, for drills and benchmarks that count them. */
  readonly onOutcome?: OutcomeListener;
  /**
   * The ingest's answers first, as on AWS, where nothing else shares its CPU: DynamoDB Local and the
   * worker's thread run below normal CPU priority, so that on a busy machine they wait for the ingest
   * rather than the reverse, and the SQS emulator runs in this process, so that a SendMessage wakes no
   * other. For `npm start`; the tests and the drill keep one priority and the emulators as processes.
   */
  readonly ingestFirst?: boolean;
  /** Another Stripe API (STRIPE_API_BASE, STRIPE_API_KEY) instead of the stand-in this stack starts. */
  readonly stripeApi?: { readonly base: string; readonly key?: string };
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
  /** The Stripe API the backfill reads: the stand-in's address, or the one given. */
  readonly stripeApiBase: string;
  /** The stand-in, when this stack started one. */
  readonly stripeStandIn?: StripeApiStandIn;
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
  let route: Router | undefined;

  try {
    // Claim the port first: if it is taken, say so before spending seconds on the emulators. From then
    // on every request is answered, "starting" until the routes exist, so none hangs on a half-built stack.
    const server = createServer((request, response) => {
      if (!route) return sendStarting(response);
      void route(request, response).catch((error: unknown) => {
        print(`server error: ${String(error)}`);
        if (!response.headersSent) send(response, 500, { error: { message: 'Internal error' } });
      });
    });
    await listen(server, options.port ?? 4242);
    cleanups.push(() => closeServer(server));
    const port = (server.address() as { port: number }).port;

    let endpoints = options.endpoints;
    if (!endpoints) {
      emulators = await startEmulators({ dataDir: options.dataDir, lowPriority: options.ingestFirst, sqsInProcess: options.ingestFirst });
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

    let stripeStandIn: StripeApiStandIn | undefined;
    if (!options.stripeApi) {
      stripeStandIn = await startStripeApiStandIn();
      cleanups.push(() => stripeStandIn!.stop());
    }
    const stripeApiBase = options.stripeApi?.base ?? stripeStandIn!.url;
    // The read rate limit shares a real account's limit with the merchant's code; the stack's own
    // stand-in shares nothing, so it is read at the most the setting allows.
    const apiEnv: Record<string, string> = options.stripeApi ? (options.stripeApi.key ? { STRIPE_API_KEY: options.stripeApi.key } : {}) : { STRIPE_READS_PER_SECOND: '100' };
    const stripeApi = await createStripeApi(localStripeApiConfig(stripeApiBase, apiEnv));

    const chaos = new Chaos(options.chaos, options.chaosSeed);
    const eventLog = new EventLog(print, options.onOutcome);
    const log = terminalLog(print);
    const count = () => undefined;

    // The functions' own configuration loaders, so every default is the one the Lambdas use.
    const ingest = wireIngest({
      config: loadIngestConfig({ QUEUE_URL: resources.queueUrl, STRIPE_WEBHOOK_SECRET: options.secrets.join(','), AWS_ENDPOINT_URL_SQS: endpoints.sqs }),
      credentials: LOCAL_AWS.credentials,
      log,
      count,
      ...(options.secretsFile ? { loadSecrets: fileSecrets(options.secretsFile) } : {}),
      decorateEnqueue: (enqueue) => chaos.wrapEnqueue(enqueue),
    });
    // The worker and its poller run in a thread of their own, as on AWS in a Lambda of their own.
    const worker = await startWorkerThread(
      {
        endpoints,
        queueUrl: resources.queueUrl,
        queueArn: Attributes!.QueueArn!,
        ledgerTableName: resources.ledgerTableName,
        projectionsTableName: resources.projectionsTableName,
        // Thin notifications and current objects are read from the same Stripe API the reconcile uses.
        stripeApi: { base: stripeApiBase, env: apiEnv },
        // Larger than Lambda's default of 10: DynamoDB Local charges heavily per request, and 30 events
        // (90 items) still fit one combined commit. Measured best on 2 cores (BENCHMARKS.md).
        batchSize: options.batchSize ?? 30,
        ...(options.batchingWindowMs === undefined ? {} : { batchingWindowMs: options.batchingWindowMs }),
        ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
        chaos: { settings: chaos.current, ...(options.chaosSeed === undefined ? {} : { seed: options.chaosSeed + 1 }) },
        lowPriority: options.ingestFirst === true,
      },
      { outcome: (...report) => eventLog.outcome(...report), deadLettered: (...report) => eventLog.deadLettered(...report), print, chaos },
    );
    cleanups.push(() => worker.stop());

    route = createRouter({ port, ingest, eventLog, ops: { sqs, db, resources, eventLog, chaos, stripeApi } });
    return {
      url: `http://localhost:${port}`,
      endpoints,
      port,
      resources,
      chaos,
      sqs,
      db,
      stripeApiBase,
      ...(stripeStandIn ? { stripeStandIn } : {}),
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** The dev secret file's secrets, newest first (the order the ingest tries them). */
function fileSecrets(file: string) {
  return async () => readDevSecrets(file).reverse();
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
