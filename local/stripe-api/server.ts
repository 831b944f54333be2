/**
 * A small stand-in for Stripe's API on loopback, for tests, `npm start` and offline work: stripe-node
 * talks to it with `new Stripe(key, { host: '127.0.0.1', port, protocol: 'http' })`.
 *
 * This file is the HTTP plumbing: each request is logged, may meet an injected fault, is
 * authenticated, may be rate limited, and is then answered by its route. The stand-in writes nothing
 * to the console: a log line is one more place for a key to leak.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LoggedRequest, RouteContext } from './context';
import { invalidApiKey, invalidRequest, missingApiKey, rateLimited, resourceMissing, serverError, StripeErrorResponse, v2NotFound } from './errors';
import { FaultBook, type Fault, type FaultStatus } from './faults';
import { flatQuery, parseForm } from './form';
import { ReadLimiter } from './rate-limit';
import { route } from './routes';
import { MemoryStore, type StandInStore } from './store';

/** The key npm start's tools use with the stand-in. It is a placeholder, not a secret. */
export const STANDIN_API_KEY = 'sk_test_standin_local_0000';

export interface StripeApiStandInOptions {
  /** @default 0 (a free port) */
  readonly port?: number;
  /** Keys accepted. @default any key starting with sk_test_ or rk_test_ (like stripe-mock). */
  readonly apiKeys?: readonly string[];
  /** Epoch milliseconds; tests pass a fixed clock. @default Date.now */
  readonly now?: () => number;
  /** Reads per second allowed before answering 429 (like Stripe's rate limiter). @default unlimited */
  readonly readsPerSecond?: number;
}

export interface StripeApiStandIn {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly port: number;
  readonly store: StandInStore;
  /**
   * Answers the next `times` requests matching `method`/`path` (a RegExp tested against the path without
   * query, `/v1/…` and `/v2/…` alike) with the given error; a 404 on a `/v2/` path in v2's error shape.
   */
  injectFault(fault: { method?: string; path?: RegExp; status: FaultStatus; times: number; retryAfterSeconds?: number }): void;
  /**
   * Every request to Stripe's API (`/v1/…` and `/v2/…`) received, in order, up to the latest 10,000: method, path,
   * query as a plain object of strings / string arrays. No headers (they carry the key). The stand-in's
   * own `/_standin/` requests are not in it.
   */
  readonly requests: readonly LoggedRequest[];
  stop(): Promise<void>;
}

/** Enough for any Stripe form body; anything larger is not a request the stand-in should hold. */
const MAX_BODY_BYTES = 1024 * 1024;
/** The log keeps the latest requests only, so a stack left running for days stays small. */
const MAX_LOGGED_REQUESTS = 10_000;
const CONTROL_PREFIX = '/_standin/';

/**
 * Starts a stand-in on 127.0.0.1.
 *
 * @example
 * const standIn = await startStripeApiStandIn({ now: () => Date.parse('2026-11-01T00:00:00Z') });
 * standIn.store.recordEvent(sampleEvent('payment_intent.succeeded'));
 * const stripe = new Stripe(STANDIN_API_KEY, { host: '127.0.0.1', port: standIn.port, protocol: 'http' });
 * const { data } = await stripe.events.list({ limit: 100 });
 * standIn.store.recordThinEvent(meterErrorReport.event, { relatedObject: meterErrorReport.relatedObject });
 * const event = await stripe.parseEventNotificationWithoutVerification(JSON.stringify(meterErrorReport.notification)).fetchEvent();
 * await standIn.stop();
 */
export async function startStripeApiStandIn(options: StripeApiStandInOptions = {}): Promise<StripeApiStandIn> {
  const now = options.now ?? Date.now;
  const store = new MemoryStore();
  const faults = new FaultBook();
  const requests: LoggedRequest[] = [];
  const limiter = options.readsPerSecond === undefined ? undefined : new ReadLimiter(options.readsPerSecond, now);
  const accepts = (key: string) => (options.apiKeys ? options.apiKeys.includes(key) : /^(?:sk|rk)_test_./.test(key));
  const context: RouteContext = {
    store,
    now,
    control: { injectFault: (fault) => faults.inject(fault), clearFaults: () => faults.clear(), requests },
  };

  const answer = async (request: IncomingMessage): Promise<{ status: number; body: unknown; headers?: Readonly<Record<string, string>> }> => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const method = (request.method ?? 'GET').toUpperCase();
    const path = url.pathname;
    const query = url.search.slice(1);
    const isControl = path.startsWith(CONTROL_PREFIX);
    const body = await readBody(request);
    if (!isControl) {
      requests.push({ method, path, query: flatQuery(query) });
      if (requests.length > MAX_LOGGED_REQUESTS) requests.shift();
    }

    const key = apiKeyOf(request.headers.authorization);
    // The control routes stay reachable whatever is injected: they are how faults get cleared.
    const fault = isControl ? undefined : faults.take(method, path);
    if (fault) throw faultError(fault, key, path);
    if (key === undefined) throw missingApiKey();
    if (!accepts(key)) throw invalidApiKey(key);
    if (body === undefined) throw invalidRequest(413, `The request body is larger than ${MAX_BODY_BYTES} bytes.`);
    if (limiter && !isControl && method === 'GET') {
      const wait = limiter.admit();
      if (wait !== undefined) throw rateLimited(wait);
    }

    const params = isControl ? {} : parseForm(method === 'POST' ? body : query);
    return route({ method, path, params, body }, context);
  };

  const server = createServer((request, response) => {
    answer(request).then(
      (result) => send(response, result.status, result.body, result.headers),
      (error: unknown) => {
        const failure = error instanceof StripeErrorResponse ? error : serverError(500);
        send(response, failure.status, { error: failure.body }, failure.headers);
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    store,
    injectFault: (fault) => faults.inject(fault),
    requests,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // stripe-node keeps connections alive; without this, close would wait for them to idle out.
        server.closeAllConnections();
      }),
  };
}

/** The key from `Authorization: Bearer <key>`, or from Basic auth with the key as user name (curl -u). */
function apiKeyOf(header: string | undefined): string | undefined {
  const [scheme, credentials] = (header ?? '').trim().split(/\s+/, 2);
  if (!credentials) return undefined;
  if (/^bearer$/i.test(scheme!)) return credentials;
  if (/^basic$/i.test(scheme!)) return Buffer.from(credentials, 'base64').toString('utf8').split(':')[0] || undefined;
  return undefined;
}

function faultError(fault: Fault, key: string | undefined, path: string): StripeErrorResponse {
  switch (fault.status) {
    case 401:
      return key === undefined ? missingApiKey() : invalidApiKey(key);
    case 404: {
      const id = path.split('/').pop() ?? path;
      return path.startsWith('/v2/') ? v2NotFound('object', id) : resourceMissing('object', id);
    }
    case 429:
      return rateLimited(fault.retryAfterSeconds ?? 1);
    default:
      return serverError(fault.status);
  }
}

/** The body as text; undefined when it is larger than MAX_BODY_BYTES. */
async function readBody(request: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    // Keep reading (and dropping) so the client gets the answer rather than a reset connection.
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
  }
  return size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks).toString('utf8');
}

function send(response: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    ...headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'request-id': `req_${randomBytes(10).toString('base64url').replace(/[-_]/g, 'x').slice(0, 14)}`,
  });
  response.end(text);
}
