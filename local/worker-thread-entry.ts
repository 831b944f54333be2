/**
 * Runs inside the worker thread (see worker-thread.ts): the worker from its one wiring, the poller
 * standing in for the event source mapping, and chaos for the worker's faults, with every outcome,
 * log line and injected fault reported to the main thread, a batch of reports at a time.
 */
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { createDynamoDbClient, createSqsClient } from '../functions/shared/clients';
import { loadWorkerConfig } from '../functions/shared/config';
import { createStripeApi } from '../functions/shared/stripe-api';
import { stripeReads } from '../functions/worker/stripe-reads';
import { wireWorker } from '../functions/worker/wiring';
import { Chaos } from './chaos';
import { LOCAL_AWS } from './emulators';
import { terminalLog } from './event-log';
import { traceLedger, type OutcomeReport } from './ledger-trace';
import { localStripeApiConfig } from './local-stripe-api';
import { startPoller } from './poller';
import type { HostCommand, ThreadReport, WorkerThreadSetup } from './worker-thread';

const setup = workerData as WorkerThreadSetup;
const port = parentPort!;

// When the machine is busy, the ingest's thread answers Stripe first and the worker takes the CPU left,
// as if it ran on a machine of its own. Linux only: there a priority is per thread; elsewhere it would
// lower the whole process, the ingest with it.
if (setup.lowPriority && process.platform === 'linux') setPriority(0, 10);

// Reports wait for the end of the current turn of the event loop and go as one message: a batch's
// outcomes cost the main thread one message, not one per event.
const outbox: ThreadReport[] = [];
function report(message: ThreadReport): void {
  outbox.push(message);
  if (outbox.length === 1) setImmediate(flush);
}
function flush(): void {
  if (outbox.length > 0) port.postMessage(outbox.splice(0));
}

const outcomes: OutcomeReport = {
  outcome: (eventId, type, outcome, detail, at) => report({ kind: 'outcome', eventId, type, outcome, ...(detail === undefined ? {} : { detail }), at }),
  deadLettered: (eventId, type, receiveCount, at) => report({ kind: 'deadLettered', eventId, type, receiveCount, at }),
};
const print = (line: string) => report({ kind: 'print', line });

async function main(): Promise<void> {
  const sqs = createSqsClient({ endpoint: setup.endpoints.sqs, ...LOCAL_AWS });
  const db = createDynamoDbClient({ endpoint: setup.endpoints.dynamodb, ...LOCAL_AWS });
  const stripeApi = await createStripeApi(localStripeApiConfig(setup.stripeApi.base, setup.stripeApi.env));
  const chaos = new Chaos(setup.chaos.settings, setup.chaos.seed, (fault) => report({ kind: 'injected', fault }));
  const worker = wireWorker({
    config: loadWorkerConfig({ LEDGER_TABLE_NAME: setup.ledgerTableName, PROJECTIONS_TABLE_NAME: setup.projectionsTableName }),
    db,
    log: terminalLog(print),
    count: () => undefined,
    // Thin notifications and current objects are read from the same Stripe API the reconcile uses.
    reads: stripeReads(async () => stripeApi),
    decorateRegistry: (registry) => chaos.wrapRegistry(registry),
    // Chaos outside the trace: a crash injected after a commit still shows the commit that happened.
    decorateLedger: (ledger) => chaos.wrapLedger(traceLedger(ledger, outcomes)),
  });
  const poller = startPoller({
    sqs,
    queueUrl: setup.queueUrl,
    queueArn: setup.queueArn,
    handler: worker,
    batchSize: setup.batchSize,
    batchingWindowMs: setup.batchingWindowMs,
    concurrency: setup.concurrency,
    onError: (error) => print(`poller: ${String(error)}`),
  });

  port.on('message', (command: HostCommand) => {
    if (command.kind === 'chaos') chaos.update(command.settings);
    if (command.kind === 'stop') {
      void poller.stop().then(() => {
        sqs.destroy();
        db.destroy();
        outbox.push({ kind: 'stopped' });
        flush();
        port.close();
      });
    }
  });
  report({ kind: 'ready' });
}

void main();
