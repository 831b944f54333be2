/**
 * `npm start`: the whole pipeline on this machine, ready for `stripe listen`.
 *
 *   PORT              HTTP port (default 4242)
 *   STRIPE_WEBHOOK_SECRET  signing secret(s), comma-separated; a dev secret is generated when unset
 *   DATA_DIR          keep DynamoDB data across restarts
 *   VISIBILITY_TIMEOUT_SECONDS  how soon a failed event is retried (default 5)
 *   STRIPE_API_BASE, STRIPE_API_KEY  another Stripe API for the backfill (default: a stand-in this starts)
 *   CHAOS_WORKER_FAIL_RATE, CHAOS_WORKER_CRASH_AFTER_COMMIT_RATE, CHAOS_ENQUEUE_FAIL_RATE,
 *   CHAOS_FAIL_TYPES, CHAOS_SEED   fault injection for drills
 */
import { resolve } from 'node:path';
import { registry } from '../functions/worker/actions';
import { chaosFromEnv } from './chaos';
import { DEV_SECRET_FILE, localSecrets } from './dev-secret';
import { JavaUnavailableError } from './emulators';
import { PortInUseError, startLocalStack, type LocalStack } from './stack';
import { removeLocalStackFile, writeLocalStackFile } from './stack-file';
import { terminalLines } from './terminal-lines';

async function main(): Promise<void> {
  const env = process.env;
  const port = env.PORT === undefined ? 4242 : Number(env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`PORT must be a port number, got "${env.PORT}"`);
  const visibility = env.VISIBILITY_TIMEOUT_SECONDS === undefined ? 5 : Number(env.VISIBILITY_TIMEOUT_SECONDS);
  if (!Number.isInteger(visibility) || visibility < 1 || visibility > 43_200) throw new Error('VISIBILITY_TIMEOUT_SECONDS must be a whole number of seconds from 1 to 43200');
  const { secrets, generated } = localSecrets(env);
  const chaos = chaosFromEnv(env);

  console.log('Starting DynamoDB Local and the SQS emulator…');
  const started = Date.now();
  const terminal = terminalLines();
  const stack: LocalStack = await startLocalStack({
    port,
    print: terminal.print,
    // The ingest's answers to Stripe before the worker's batches, when this machine is busy.
    ingestFirst: true,
    secrets,
    ...(generated ? { secretsFile: DEV_SECRET_FILE } : {}),
    dataDir: env.DATA_DIR ? resolve(env.DATA_DIR) : undefined,
    visibilityTimeoutSeconds: visibility,
    chaos: chaos.settings,
    chaosSeed: chaos.seed,
    ...(env.STRIPE_API_BASE ? { stripeApi: { base: env.STRIPE_API_BASE, ...(env.STRIPE_API_KEY ? { key: env.STRIPE_API_KEY } : {}) } } : {}),
  });

  console.log(`
Ready in ${((Date.now() - started) / 1000).toFixed(1)} s.

  Webhook   POST ${stack.url}/webhook
  Console   ${stack.url}/console
  Ops API   ${stack.url}/api/events · /api/dlq · /api/overview · /api/ledger · /health
  Operator  npm run events -- --local --status failed · npm run console -- --local  (as against a deployed stage)
  Secret    ${generated ? `${secrets[0]}  (dev secret, also used by npm run trigger)` : `${secrets.length} from STRIPE_WEBHOOK_SECRET`}
  Emulators DynamoDB Local ${stack.endpoints.dynamodb} · SQS ${stack.endpoints.sqs} (region us-east-1)
  Stripe API ${stack.stripeApiBase}  ${stack.stripeStandIn ? '(stand-in: records what npm run trigger sends)' : '(STRIPE_API_BASE)'}
  Data      ${env.DATA_DIR ? `DynamoDB kept in ${resolve(env.DATA_DIR)}` : 'in memory (set DATA_DIR to keep it)'}

Try:  npm run trigger -- payment_intent.succeeded
      npm run trigger -- --thin payment_intent.succeeded               (a thin notification; the worker fetches the event)
      npm run trigger -- --via eventbridge payment_intent.succeeded    (as an Amazon EventBridge destination delivers it)
      npm run trigger -- --undelivered payment_intent.succeeded && npm run backfill -- --local --since 1h
  or: stripe listen --events ${registry.snapshotTypes.join(',')} --forward-to localhost:${stack.port}/webhook
      stripe listen --all-thin --forward-to localhost:${stack.port}/webhook
      (thin events need their own listen: the CLI keeps snapshot and thin events apart. Then start with
      STRIPE_WEBHOOK_SECRET=<the whsec_ each prints>, comma-separated if they differ)
`);
  if (Object.values(chaos.settings).some((value) => (Array.isArray(value) ? value.length > 0 : value))) {
    console.log(`Chaos is ON: ${JSON.stringify(stack.chaos.current)}\n`);
  }

  // Where `npm run redrive -- --local` finds the emulators, which run on free ports.
  writeLocalStackFile({
    sqsEndpoint: stack.endpoints.sqs,
    dynamodbEndpoint: stack.endpoints.dynamodb,
    stripeApiBase: stack.stripeApiBase,
    webhookUrl: `${stack.url}/webhook`,
    ...stack.resources,
  });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    terminal.flush();
    console.log(`\n${signal}: stopping the poller, the server and the emulators…`);
    await stack.stop();
    removeLocalStackFile();
    terminal.flush();
    console.log('Stopped.');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  // What the developer can fix is said in one line; anything else keeps its stack for whoever debugs it.
  console.error(error instanceof PortInUseError || error instanceof JavaUnavailableError ? error.message : error);
  process.exit(1);
});
