/**
 * Stripe's side of `stripe listen`, on loopback, so the real Stripe CLI can run with no network.
 * Point the CLI at it with `--api-base <apiBase>` and it plays what Stripe plays (stripe/stripe-cli,
 * branch v2, which the 1.52 binary is built from):
 *
 * - `POST /v1/stripecli/sessions` (pkg/stripeauth/client.go): a form with `device_name`,
 *   `websocket_features[]` (`webhooks` for snapshot events, `v2_events` for thin ones) and
 *   `forward_to_url` & co., authorised by `Authorization: Bearer <key>`; answered with the
 *   session (pkg/stripeauth/messages.go), whose `secret` is what the CLI prints as the signing secret.
 * - The websocket (pkg/websocket/client.go): dialled at `websocket_url?websocket_feature=<feature>`
 *   with a `Websocket-Id` header and the subprotocol `stripecli-devproxy-v1`; the CLI pings every 2 s
 *   and drops the connection after 10 s without a pong.
 * - Down the websocket (pkg/websocket/webhook_messages.go): `webhook_event` for a snapshot event,
 *   `v2_event` for a thin one (its own type, with `payload` and `destination_id`, not a variant of
 *   `webhook_event`). The CLI forwards the payload as the request body, with `http_headers` as headers.
 * - Up the websocket (pkg/websocket/messages.go, pkg/proxy/webhook_event_processor.go): an
 *   `event_ack` as soon as an event parses, then a `webhook_response` with the endpoint's status.
 *
 * The CLI signs nothing: like Stripe, this stand-in signs each payload with the session's secret.
 * It also records every request that reaches it, including any the CLI meant for the internet when
 * HTTPS_PROXY/HTTP_PROXY point here (they arrive as CONNECT or absolute-URL requests, refused).
 */
import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { acceptWebSocket, type WebSocketPeer } from './websocket-server';

export const SESSIONS_PATH = '/v1/stripecli/sessions';
const SUBPROTOCOL = 'stripecli-devproxy-v1';
// The value Stripe answers with, per the CLI's own fixtures (pkg/stripeauth/client_test.go); the CLI
// treats it as opaque and only sends it back in the websocket URL.
const AUTHORIZED_FEATURE = 'webhook-payloads';

export interface CliRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** What the CLI sends back once the local endpoint has answered (pkg/websocket/webhook_messages.go). */
export interface WebhookResponseMessage {
  readonly type: 'webhook_response';
  readonly webhook_id: string;
  readonly webhook_conversation_id?: string;
  readonly forward_url: string;
  readonly status: number;
  readonly http_headers: Record<string, string>;
  readonly body: string;
  readonly request_headers: Record<string, string>;
  readonly request_body: string;
  readonly notification_id?: string;
}

export interface EventAckMessage {
  readonly type: 'event_ack';
  readonly event_id: string;
  readonly webhook_conversation_id: string;
  readonly webhook_id: string;
}

export type CliMessage = WebhookResponseMessage | EventAckMessage;

export interface SendOptions {
  /** The Stripe-Signature header to send instead of a valid one. */
  readonly signature?: string;
  /** @default 15_000 */
  readonly timeoutMs?: number;
}

export interface StripeCliStandIn {
  /** For `--api-base`: the CLI accepts only `http://127.0.0.1(:port)` as a loopback base (pkg/stripe/url.go). */
  readonly apiBase: string;
  /** Every request received, in order, websocket upgrades included. */
  readonly requests: readonly CliRequest[];
  /** Requests the CLI meant for another host, through the proxy variables: each one would have left the machine. */
  readonly outboundAttempts: () => readonly CliRequest[];
  /** The form of each session request. */
  readonly sessions: readonly URLSearchParams[];
  /** Every message the CLI sent up the websocket. */
  readonly messages: readonly CliMessage[];
  /** Resolves once the CLI has opened its websocket with the session it was given. */
  connected(timeoutMs?: number): Promise<void>;
  /** Sends a snapshot event and resolves with the CLI's report of what the endpoint answered. */
  sendSnapshotEvent(payload: string, options?: SendOptions): Promise<WebhookResponseMessage>;
  /** Sends a thin event notification and resolves with the CLI's report of what the endpoint answered. */
  sendThinEvent(payload: string, options?: SendOptions): Promise<WebhookResponseMessage>;
  stop(): Promise<void>;
}

/** Stripe's signature scheme: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.payload" keyed by the secret>`. */
export function stripeSignature(payload: string, secret: string, timestamp = Math.floor(Date.now() / 1000)): string {
  const v1 = createHmac('sha256', secret).update(`${timestamp}.${payload}`, 'utf8').digest('hex');
  return `t=${timestamp},v1=${v1}`;
}

export async function startStripeCliStandIn(options: { readonly apiKey: string; readonly secret: string }): Promise<StripeCliStandIn> {
  const requests: CliRequest[] = [];
  const sessions: URLSearchParams[] = [];
  const messages: CliMessage[] = [];
  const issuedIds = new Set<string>();
  const upgraded = new Set<Duplex>();
  const waiters = new Set<() => void>();
  // One destination per stand-in, as Stripe keeps one for the CLI's session; responses to thin
  // events are told apart by their notification_id (the event id).
  const destinationId = `ed_test_${randomBytes(8).toString('hex')}`;
  let peer: WebSocketPeer | undefined;

  const notify = () => {
    for (const waiter of [...waiters]) waiter();
  };

  /** Resolves with the first value `check` returns other than undefined, re-checked on every change. */
  const waitFor = <T>(check: () => T | undefined, timeoutMs: number, what: string): Promise<T> =>
    new Promise((resolve, reject) => {
      const attempt = () => {
        const value = check();
        if (value === undefined) return;
        clearTimeout(timer);
        waiters.delete(attempt);
        resolve(value);
      };
      const timer = setTimeout(() => {
        waiters.delete(attempt);
        reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${what}; requests seen: ${requests.map((r) => `${r.method} ${r.url}`).join(', ') || 'none'}`));
      }, timeoutMs);
      waiters.add(attempt);
      attempt();
    });

  const server = createServer((request, response) => {
    void readBody(request).then((body) => {
      requests.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body });
      answer(request, response, body);
    });
  });

  const answer = (request: IncomingMessage, response: ServerResponse, body: string) => {
    const url = request.url ?? '/';
    if (!url.startsWith('/')) return refuseOutbound(response);
    if (request.method !== 'POST' || url !== SESSIONS_PATH) {
      return json(response, 404, { error: { type: 'invalid_request_error', message: `Unrecognized request URL (${request.method}: ${url}).` } });
    }
    if (request.headers.authorization !== `Bearer ${options.apiKey}`) {
      return json(response, 401, { error: { type: 'invalid_request_error', message: 'Invalid API Key provided.' } });
    }
    const form = new URLSearchParams(body);
    sessions.push(form);
    const websocketId = `cliws_${randomBytes(8).toString('hex')}`;
    issuedIds.add(websocketId);
    json(response, 200, {
      websocket_url: `ws://127.0.0.1:${port()}/subscribe/${websocketId}`,
      websocket_id: websocketId,
      websocket_authorized_feature: AUTHORIZED_FEATURE,
      secret: options.secret,
      // Seconds before the CLI resets its connection on purpose: longer than any test, so none sees one.
      reconnect_delay: 3_600,
      display_connect_filter_warning: false,
    });
    notify();
  };

  // An absolute URL is a request meant for another host, sent to the proxy.
  const refuseOutbound = (response: ServerResponse) => json(response, 403, { error: { message: 'No network in tests' } });

  server.on('connect', (request: IncomingMessage, socket: Socket) => {
    requests.push({ method: 'CONNECT', url: request.url ?? '', headers: request.headers, body: '' });
    socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
    notify();
  });

  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    requests.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body: '' });
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const websocketId = String(request.headers['websocket-id'] ?? '');
    const known = url.pathname === `/subscribe/${websocketId}` && issuedIds.has(websocketId) && url.searchParams.get('websocket_feature') === AUTHORIZED_FEATURE;
    if (!known) {
      // What Stripe answers to a session it does not know; the CLI then asks for a new session.
      const body = JSON.stringify({ error: { message: 'Unknown WebSocket ID.' } });
      socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
      return;
    }
    upgraded.add(socket);
    socket.on('close', () => upgraded.delete(socket));
    const accepted = acceptWebSocket(request, socket, head, SUBPROTOCOL);
    accepted.on('message', (text) => {
      messages.push(JSON.parse(text) as CliMessage);
      notify();
    });
    accepted.on('close', () => {
      if (peer === accepted) peer = undefined;
      notify();
    });
    peer = accepted;
    notify();
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = () => (server.address() as AddressInfo).port;

  const send = (message: Record<string, unknown>) => {
    if (!peer) throw new Error('The Stripe CLI is not connected');
    peer.send(JSON.stringify(message));
  };

  // Headers as Stripe sends them with a webhook.
  const httpHeaders = (payload: string, signature: string | undefined) => ({
    Accept: '*/*; q=0.5, application/xml',
    'Cache-Control': 'no-cache',
    'Content-Type': 'application/json; charset=utf-8',
    'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
    'Stripe-Signature': signature ?? stripeSignature(payload, options.secret),
  });

  const responseTo = (predicate: (message: WebhookResponseMessage) => boolean, timeoutMs: number, what: string) =>
    waitFor(() => messages.find((message): message is WebhookResponseMessage => message.type === 'webhook_response' && predicate(message)), timeoutMs, what);

  return {
    apiBase: `http://127.0.0.1:${port()}`,
    requests,
    outboundAttempts: () => requests.filter((request) => request.method === 'CONNECT' || !request.url.startsWith('/')),
    sessions,
    messages,
    connected: (timeoutMs = 15_000) => waitFor(() => (peer ? true : undefined), timeoutMs, 'the Stripe CLI to open its websocket').then(() => undefined),

    sendSnapshotEvent: (payload, sendOptions = {}) => {
      const webhookId = `we_${randomBytes(8).toString('hex')}`;
      const conversationId = `wc_${randomBytes(8).toString('hex')}`;
      send({
        type: 'webhook_event',
        webhook_id: webhookId,
        webhook_conversation_id: conversationId,
        event_payload: payload,
        http_headers: httpHeaders(payload, sendOptions.signature),
        // A null api_version is the account's default version, the only one the CLI forwards without --latest.
        endpoint: { api_version: null },
      });
      return responseTo((message) => message.webhook_id === webhookId && message.webhook_conversation_id === conversationId, sendOptions.timeoutMs ?? 15_000, `the response to ${webhookId}`);
    },

    sendThinEvent: (payload, sendOptions = {}) => {
      const eventId = (JSON.parse(payload) as { id: string }).id;
      send({ type: 'v2_event', payload, http_headers: httpHeaders(payload, sendOptions.signature), destination_id: destinationId });
      return responseTo((message) => message.webhook_id === destinationId && message.notification_id === eventId, sendOptions.timeoutMs ?? 15_000, `the response to thin event ${eventId}`);
    },

    stop: async () => {
      peer?.close(1001, 'Stand-in stopping');
      for (const socket of upgraded) socket.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function json(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), 'Request-Id': `req_${randomBytes(6).toString('hex')}` });
  response.end(text);
}
