/**
 * Refuses what another web page can make the operator's browser send to a server on this machine. Any
 * site may point the browser at http://localhost:<port>, or at a name of its own that it re-points
 * to 127.0.0.1 (DNS rebinding), and post a form there: it never reads the answer, but a redrive or a
 * chaos setting would be done by then. So:
 *
 *   - the Host must name this server on a loopback address, which a rebound name does not;
 *   - an Origin, when the browser sends one, must be this server's own: not another site's, nor the
 *     "null" of a sandboxed page or a file;
 *   - a mutation must be JSON (application/json), which a page elsewhere may send only after a CORS
 *     preflight, and these servers answer no preflight: they send no Access-Control-* header at all;
 *   - with a token (a server that holds the operator's AWS credentials), every request carries it, in
 *     the header, in the query of the URL printed for the first page load, or in the cookie set from
 *     that query; a mutation in the header, which only the page's own script can set, never in the
 *     cookie alone, which the browser adds by itself.
 *
 * Pure: the servers (the local stack, and the console for a deployed stage) answer a refusal with 403.
 */
import { timingSafeEqual } from 'node:crypto';

export interface GuardOptions {
  /** The port the server listens on, which the Host and the Origin name. */
  readonly port: number;
  /** When set, every request must carry it. */
  readonly token?: string;
}

export interface GuardedRequest {
  readonly method: string;
  readonly url: URL;
  /** Names in lower case, as Node gives them. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

export const TOKEN_HEADER = 'x-console-token';
export const TOKEN_QUERY = 'token';
export const TOKEN_COOKIE = 'stripe_console_token';

const MUTATIONS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]'];

export function isMutation(method: string): boolean {
  return MUTATIONS.has(method.toUpperCase());
}

/** Undefined when the request is allowed, else why it is refused (answered 403 with {"error":{"message":…}}). */
export function refusal(request: GuardedRequest, options: GuardOptions): string | undefined {
  const authorities = LOOPBACK_HOSTS.map((host) => `${host}:${options.port}`);
  const host = header(request, 'host');
  if (host === undefined || !authorities.includes(host.toLowerCase())) {
    return `Host ${host ?? '(none)'} does not name this server: open it as http://localhost:${options.port}`;
  }
  const origin = header(request, 'origin');
  if (origin !== undefined && !authorities.some((authority) => origin === `http://${authority}`)) {
    return `Origin ${origin} may not call this server: only its own pages may`;
  }
  const mutation = isMutation(request.method);
  if (mutation && mediaType(header(request, 'content-type')) !== 'application/json') {
    return `${request.method.toUpperCase()} needs content-type: application/json`;
  }
  if (options.token !== undefined) {
    const presented = mutation
      ? [header(request, TOKEN_HEADER)]
      : [header(request, TOKEN_HEADER), request.url.searchParams.get(TOKEN_QUERY) ?? undefined, cookie(request, TOKEN_COOKIE)];
    if (!presented.some((value) => value !== undefined && sameSecret(value, options.token!))) {
      return mutation ? `${request.method.toUpperCase()} needs the console token in the ${TOKEN_HEADER} header` : 'This needs the console token: open the URL the console printed';
    }
  }
  return undefined;
}

/**
 * The Set-Cookie value to answer with when the request brings the right token in its query (the
 * printed URL's first load), so that the page's later requests carry it without it in the URL; else
 * undefined. HttpOnly: no script reads it; SameSite=Strict: no other site's page makes the browser send it.
 */
export function tokenCookie(request: GuardedRequest, options: GuardOptions): string | undefined {
  const query = request.url.searchParams.get(TOKEN_QUERY);
  if (options.token === undefined || query === null || !sameSecret(query, options.token)) return undefined;
  return `${TOKEN_COOKIE}=${encodeURIComponent(options.token)}; HttpOnly; SameSite=Strict; Path=/`;
}

/** A header's value; a repeated header's values joined as HTTP joins them, which no allowed value equals. */
function header(request: GuardedRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(name === 'cookie' ? '; ' : ', ') : value;
}

/** "application/json" of "Application/JSON; charset=utf-8". */
function mediaType(contentType: string | undefined): string | undefined {
  return contentType?.split(';')[0]!.trim().toLowerCase();
}

function cookie(request: GuardedRequest, name: string): string | undefined {
  for (const pair of (header(request, 'cookie') ?? '').split(';')) {
    const equals = pair.indexOf('=');
    if (equals === -1 || pair.slice(0, equals).trim() !== name) continue;
    try {
      return decodeURIComponent(pair.slice(equals + 1).trim());
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** In constant time for a given length; the length of a token is no secret, its bytes are. */
function sameSecret(presented: string, token: string): boolean {
  const a = Buffer.from(presented);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}
