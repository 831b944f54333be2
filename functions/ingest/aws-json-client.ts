/**
 * The ingest's way to call AWS: one SigV4-signed request to a service's JSON protocol (signed by
 * sigv4.ts), sent through the SDK's own Node HTTP handler, without an SDK client.
 *
 * Why not the SDK client: the ingest makes one call per webhook (SendMessage), and an SDK client spends
 * about 140 µs of CPU per call in its middleware (schema serde, endpoint rules, user agent, retry
 * bookkeeping), ten times the signature check, and loading the clients is most of the ingest's cold
 * start (BENCHMARKS.md). This costs a fraction of both. The worker, the reconcile and the tools keep
 * the SDK clients: a batch shares their per-call cost.
 *
 * What it keeps of the client's behaviour: SigV4 signing (session tokens included), the same
 * connection reuse and time limits (functions/shared/clients.ts), and the standard retry policy:
 * 3 attempts, exponential backoff with full jitter, for throttling, 5xx answers and network errors.
 * It does not correct clock skew: Lambda's clock is kept in sync.
 */
import { NodeHttpHandler, streamCollector } from '@smithy/node-http-handler';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider, HttpRequest, HttpResponse } from '@smithy/types';
import { REQUEST_TIME_LIMITS } from '../shared/request-time-limits';
import { SigningKeys, signPost } from './sigv4';

export interface AwsJsonService {
  /** The signing name, e.g. `sqs`. */
  readonly signingName: string;
  /** Prefix of the `X-Amz-Target` header, e.g. `AmazonSQS`. */
  readonly targetPrefix: string;
  readonly jsonVersion: '1.0' | '1.1';
}

export const SQS_SERVICE: AwsJsonService = { signingName: 'sqs', targetPrefix: 'AmazonSQS', jsonVersion: '1.0' };
export const SECRETS_MANAGER_SERVICE: AwsJsonService = { signingName: 'secretsmanager', targetPrefix: 'secretsmanager', jsonVersion: '1.1' };

/** What sends a signed request: the SDK's Node HTTP handler, or a stub. */
export interface RequestHandler {
  handle(request: HttpRequest): Promise<{ response: HttpResponse }>;
}

export interface AwsJsonClientOptions {
  readonly service: AwsJsonService;
  readonly region: string;
  readonly credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** @default the SDK's Node HTTP handler with our time limits; tests and benchmarks pass a stub */
  readonly requestHandler?: RequestHandler;
  /** @default 3, as the SDK's standard retry mode */
  readonly maxAttempts?: number;
  /** @default setTimeout; tests pass one that does not wait */
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default the system clock */
  readonly now?: () => Date;
}

/** An answer that is not a success, or no answer at all. Carries AWS's error code, never the request. */
export class AwsCallError extends Error {
  readonly name = 'AwsCallError';
  constructor(
    message: string,
    /** AWS's error code (e.g. `QueueDoesNotExist`), or the network error's code. */
    readonly code: string,
    /** The HTTP status, or undefined when nothing was answered. */
    readonly status: number | undefined,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

const BASE_DELAY_MS = 100;
const MAX_DELAY_MS = 20_000;
const THROTTLING = /Throttl|RequestLimitExceeded|TooManyRequests|SlowDown|RequestThrottled/;
/** Network failures the SDK also treats as transient. */
const TRANSIENT_NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT']);
/** Credentials that expire are fetched again this long before they do, as the SDK does. */
const CREDENTIALS_REFRESH_MS = 5 * 60_000;

export class AwsJsonClient {
  private readonly keys = new SigningKeys();
  private identity: Promise<AwsCredentialIdentity> | undefined;
  private readonly handler: RequestHandler;
  private readonly maxAttempts: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => Date;
  private readonly contentType: string;

  constructor(private readonly options: AwsJsonClientOptions) {
    this.handler = options.requestHandler ?? new NodeHttpHandler(REQUEST_TIME_LIMITS);
    this.now = options.now ?? (() => new Date());
    this.maxAttempts = options.maxAttempts ?? 3;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.contentType = `application/x-amz-json-${options.service.jsonVersion}`;
  }

  /** Calls `operation` at `endpoint` (the service's origin) with `input`, and returns the parsed answer. */
  async call<Output>(endpoint: URL, operation: string, input: object): Promise<Output> {
    const body = JSON.stringify(input);
    for (let attempt = 1; ; attempt++) {
      try {
        return (await this.attempt(endpoint, operation, body)) as Output;
      } catch (error) {
        const failure = asCallError(error);
        if (!failure.retryable || attempt >= this.maxAttempts) throw failure;
        await this.sleep(Math.random() * Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** attempt));
      }
    }
  }

  private async attempt(endpoint: URL, operation: string, body: string): Promise<unknown> {
    const headers = signPost(
      { host: endpoint.host, 'content-type': this.contentType, 'x-amz-target': `${this.options.service.targetPrefix}.${operation}` },
      body,
      await this.credentials(),
      { region: this.options.region, service: this.options.service.signingName },
      this.now(),
      this.keys,
    );
    const request: HttpRequest = {
      method: 'POST',
      protocol: endpoint.protocol,
      hostname: endpoint.hostname,
      ...(endpoint.port ? { port: Number(endpoint.port) } : {}),
      path: '/',
      query: {},
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      body,
    };
    const { response } = await this.handler.handle(request);
    const text = Buffer.from(await streamCollector(response.body)).toString('utf8');
    if (response.statusCode >= 200 && response.statusCode < 300) return text === '' ? {} : JSON.parse(text);
    throw errorOfAnswer(operation, response.statusCode, response.headers, text);
  }

  /** The identity to sign with: resolved once, and again shortly before it expires. */
  private async credentials(): Promise<AwsCredentialIdentity> {
    const { credentials } = this.options;
    if (typeof credentials !== 'function') return credentials;
    const current = this.identity && (await this.identity.catch(() => undefined));
    if (!current || (current.expiration && current.expiration.getTime() - Date.now() < CREDENTIALS_REFRESH_MS)) {
      this.identity = credentials();
    }
    return this.identity!;
  }
}

/** AWS's JSON error shape: `__type` (`namespace#Code`) and `message`, or the query-compatible header. */
function errorOfAnswer(operation: string, status: number, headers: Record<string, string>, text: string): AwsCallError {
  let parsed: { __type?: string; code?: string; message?: string; Message?: string } = {};
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    // Not JSON (a proxy's page, an empty body): the status says enough.
  }
  const queryError = headers['x-amzn-query-error']?.split(';')[0];
  const code = queryError ?? (parsed.__type ?? parsed.code ?? headers['x-amzn-errortype'] ?? `Http${status}`).split('#').pop()!.split(':')[0]!;
  const message = parsed.message ?? parsed.Message ?? '';
  const retryable = status >= 500 || status === 429 || THROTTLING.test(code);
  return new AwsCallError(`${operation} answered ${status} ${code}${message ? `: ${message}` : ''}`, code, status, retryable);
}

function asCallError(error: unknown): AwsCallError {
  if (error instanceof AwsCallError) return error;
  const { code, name, message } = (error ?? {}) as { code?: string; name?: string; message?: string };
  const retryable = name === 'TimeoutError' || TRANSIENT_NETWORK_CODES.has(code ?? '');
  return new AwsCallError(`no answer: ${message ?? String(error)}`, code ?? name ?? 'NetworkError', undefined, retryable);
}
