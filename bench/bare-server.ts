/**
 * The floor for the local stack's ack: a server that only reads the body, verifies the signature with
 * stripe-node (`Stripe.webhooks.constructEvent`, as Stripe's guide does) and answers 200. No queue, no
 * worker, no logging. Run as its own process by the benchmark, like the local stack, so that both are
 * reached the same way over loopback HTTP and the ratio between them is the cost of everything else.
 */
import { createServer } from 'node:http';
import Stripe from 'stripe';

const secret = process.env.BARE_SECRET!;

const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    try {
      Stripe.webhooks.constructEvent(Buffer.concat(chunks), String(request.headers['stripe-signature']), secret);
    } catch {
      response.writeHead(400, { 'content-type': 'application/json' }).end('{"error":{"message":"bad signature"}}');
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' }).end('{"received":true}');
  });
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => console.log(`listening on ${(server.address() as { port: number }).port}`));
