/**
 * The local stack's HTTP routes: POST /webhook as API Gateway hands it to the ingest, the console's
 * files, and the ops API. One request in, one response out; the server itself is in stack.ts.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { IngestHandler } from '../functions/ingest/api-gateway';
import { toHttpApiEvent } from './api-gateway-event';
import { isConsolePath, serveConsole } from './console-files';
import type { EventLog } from './event-log';
import { handleOps, type OpsDeps } from './ops-api';
import { isMutation, refusal } from './request-guard';

/** API Gateway HTTP API's payload limit; larger requests never reach the Lambda. */
const API_GATEWAY_MAX_BODY = 10 * 1024 * 1024;

export interface RouterDeps {
  /** The port the server listens on, which a mutation's Host and Origin must name. */
  readonly port: number;
  readonly ingest: IngestHandler;
  readonly eventLog: EventLog;
  readonly ops: OpsDeps;
}

export type Router = (request: IncomingMessage, response: ServerResponse) => Promise<void>;

export function createRouter(deps: RouterDeps): Router {
  return async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const method = request.method ?? 'GET';
    // Another web page in the developer's browser could otherwise redrive, reconcile or turn chaos on.
    // Not POST /webhook: Stripe and the Stripe CLI post there under their own Host, and it is signed.
    if (isMutation(method) && url.pathname.startsWith('/api/')) {
      const refused = refusal({ method, url, headers: request.headers }, { port: deps.port });
      if (refused) return send(response, 403, { error: { message: refused } });
    }
    const body = await readBody(request, API_GATEWAY_MAX_BODY);
    if (body === undefined) return send(response, 413, { message: 'Request Entity Too Large' });

    if (url.pathname === '/webhook') return webhook(deps, request, response, body);
    if (isConsolePath(url.pathname)) return serveConsole(response, url.pathname);
    const answer = await handleOps(method, url, body.toString('utf8'), deps.ops);
    if (answer) return send(response, answer.status, answer.body);
    send(response, 404, { error: { message: `Nothing at ${url.pathname}. Stripe posts to /webhook; the console is at /console.` } });
  };
}

/** The ingest, as API Gateway would invoke it, and a terminal line for what it answered. */
async function webhook(deps: RouterDeps, request: IncomingMessage, response: ServerResponse, body: Buffer): Promise<void> {
  const started = Date.now();
  const result = await deps.ingest(toHttpApiEvent(request, body, started));
  const ackMs = Date.now() - started;
  // Answer first: the sender waits for nothing the terminal does.
  response.writeHead(result.statusCode, result.headers as Record<string, string>);
  response.end(result.body);
  if (result.statusCode === 200) {
    const text = body.toString('utf8');
    const event = JSON.parse(text) as { id: string; type: string };
    deps.eventLog.queued(event.id, event.type, text, ackMs);
  } else {
    deps.eventLog.rejected(result.statusCode, (JSON.parse(result.body) as { error?: { message?: string } }).error?.message ?? '');
  }
}

/** The request body, or undefined when it exceeds `limit` bytes. */
export async function readBody(request: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limit) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** The answer to every request, /health's included, from the moment the port is open until the stack is ready. */
export function sendStarting(response: ServerResponse): void {
  response.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' });
  response.end(JSON.stringify({ status: 'starting' }));
}

export function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}
