/**
 * The console for a deployed stage (`npm run console -- --stage S`), or for `npm start` from outside it
 * (`--local`): the same page and API as the local stack's console, on a server of its own that holds the
 * operator's AWS credentials and so lets nobody else drive it. It listens on 127.0.0.1 only, and every
 * request must carry a random token, which the printed URL brings in its query; the first load trades
 * it for a cookie and the page's script sends it in a header (request-guard.ts has the rules). Nothing
 * is deployed for it, and it logs no request, token or secret.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describeError, redactSecrets } from '../functions/shared/errors';
import { handleConsoleApi, type ConsoleTarget } from './console-api';
import { isConsolePath, PAGE_HEADERS, serveConsole } from './console-files';
import { refusal, TOKEN_QUERY, tokenCookie } from './request-guard';
import { readBody } from './router';

/** Beside npm start's 4242. */
export const DEFAULT_CONSOLE_PORT = 4243;

/** A mutation's body; the console's requests are a few hundred bytes. */
const MAX_BODY_BYTES = 64 * 1024;

export interface ConsoleServerOptions {
  readonly target: ConsoleTarget;
  /** @default DEFAULT_CONSOLE_PORT; 0 picks a free port */
  readonly port?: number;
  /** @default 32 random bytes */
  readonly token?: string;
  /** Where an unexpected failure is told (redacted, without the request). @default console.error */
  readonly logError?: (line: string) => void;
}

export interface ConsoleServer {
  /** The URL to open, carrying the token. */
  readonly url: string;
  readonly port: number;
  readonly token: string;
  close(): Promise<void>;
}

/** Starts the console on 127.0.0.1. @throws when the port is taken */
export async function startConsoleServer(options: ConsoleServerOptions): Promise<ConsoleServer> {
  const token = options.token ?? randomBytes(32).toString('base64url');
  const logError = options.logError ?? console.error;
  let port = options.port ?? DEFAULT_CONSOLE_PORT;
  const server: Server = createServer((request, response) => {
    answer(request, response, { target: options.target, port, token }).catch((error: unknown) => {
      logError(`Console request failed: ${redactSecrets(describeError(error))}`);
      if (!response.headersSent) send(response, 500, { error: { message: 'The console failed to answer; its terminal says why' } });
      else response.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/console?${TOKEN_QUERY}=${token}`,
    port,
    token,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function answer(request: IncomingMessage, response: ServerResponse, context: { target: ConsoleTarget; port: number; token: string }): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://127.0.0.1');
  const method = request.method ?? 'GET';
  const guarded = { method, url, headers: request.headers };
  const refused = refusal(guarded, { port: context.port, token: context.token });
  if (refused) return send(response, 403, { error: { message: refused } });

  const cookie = tokenCookie(guarded, { port: context.port, token: context.token });
  if (cookie) {
    // The printed URL's first load: the token moves to a cookie, and out of the address bar and history.
    url.searchParams.delete(TOKEN_QUERY);
    response.writeHead(303, { 'set-cookie': cookie, location: `${url.pathname}${url.search}`, ...PAGE_HEADERS });
    return void response.end();
  }

  const body = (await readBody(request, MAX_BODY_BYTES))?.toString('utf8');
  if (body === undefined) return send(response, 413, { error: { message: `A request body may have at most ${MAX_BODY_BYTES} bytes` } });
  if (url.pathname === '/health') return send(response, 200, { status: 'ready' });
  if (isConsolePath(url.pathname)) return serveConsole(response, url.pathname, context.token);
  const handled = await handleConsoleApi(method, url, body, context.target);
  if (handled) return send(response, handled.status, handled.body);
  send(response, 404, { error: { message: `No route ${method} ${url.pathname}` } });
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  response.end(JSON.stringify(body));
}
