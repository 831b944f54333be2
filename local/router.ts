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

/** API Gateway HTTP API's payload limit; larger requests never reach the Lambda. */
const API_GATEWAY_MAX_BODY = 10 * 1024 * 1024;

export interface RouterDeps {
  readonly ingest: IngestHandler;
  readonly eventLog: EventLog;
  readonly ops: OpsDeps;
}

export type Router = (request: IncomingMessage, response: ServerResponse) => Promise<void>;

export function createRouter(deps: RouterDeps): Router {
  return async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const body = await readBody(request, API_GATEWAY_MAX_BODY);
    if (body === undefined) return send(response, 413, { message: 'Request Entity Too Large' });

    if (url.pathname === '/webhook') return webhook(deps, request, response, body);
    if (isConsolePath(url.pathname)) return serveConsole(response, url.pathname);
    const answer = await handleOps(request.method ?? 'GET', url, body.toString('utf8'), deps.ops);
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

export function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}
