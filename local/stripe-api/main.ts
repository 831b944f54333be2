/**
 * The Stripe API stand-in on its own: `tsx local/stripe-api/main.ts`.
 *
 *   PORT   where it listens on 127.0.0.1 (default 12111, stripe-mock's port)
 *
 * It stops on Ctrl-C or SIGTERM. Everything it holds is in memory and goes with it.
 */
import { STANDIN_API_KEY, startStripeApiStandIn, type StripeApiStandIn } from './server';

const DEFAULT_PORT = 12_111;

async function main(): Promise<void> {
  const port = process.env.PORT === undefined ? DEFAULT_PORT : Number(process.env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`PORT must be a port number, got "${process.env.PORT}"`);

  let standIn: StripeApiStandIn;
  try {
    standIn = await startStripeApiStandIn({ port });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new Error(`Port ${port} is in use: stop what holds it, or start with PORT=<another port>`);
    throw error;
  }

  console.log(`Stripe API stand-in listening on ${standIn.url}

  Keys      any sk_test_… or rk_test_… key (npm start's tools use ${STANDIN_API_KEY})
  Routes    /v1/events · /v1/events/{id} · /v2/core/events/{id} · /v1/webhook_endpoints · /v1/payment_intents/{id} and other objects
  Own       POST /_standin/events {"event": {…}, "delivered": true} (a v2 event: {"event": {…}, "relatedObject": {…}})
            POST|DELETE /_standin/faults · GET /_standin/requests

Use it:  STRIPE_API_BASE=${standIn.url} STRIPE_API_KEY=${STANDIN_API_KEY} npm start
   or:   curl -u ${STANDIN_API_KEY}: ${standIn.url}/v1/events

Ctrl-C stops it.`);

  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    await standIn.stop();
    console.log('Stripe API stand-in stopped.');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown());
  process.on('SIGTERM', () => void shutdown());
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
