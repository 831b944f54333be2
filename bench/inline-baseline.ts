/**
 * Baseline 1, Stripe's guide pattern: verify the signature, then do the business work inline (here a
 * 200 ms action) before answering. Run as its own process by the benchmark, like the local stack.
 */
import { createServer } from 'node:http';
import Stripe from 'stripe';

const secret = process.env.BASELINE_SECRET!;
const workMs = Number(process.env.BASELINE_WORK_MS ?? 200);

const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    let event: Stripe.Event;
    try {
      event = Stripe.webhooks.constructEvent(Buffer.concat(chunks), String(request.headers['stripe-signature']), secret);
    } catch {
      response.writeHead(400).end();
      return;
    }
    // The business action, done before answering, as the guide's samples do.
    setTimeout(() => {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ received: true, id: event.id }));
    }, workMs);
  });
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => console.log(`listening on ${(server.address() as { port: number }).port}`));
