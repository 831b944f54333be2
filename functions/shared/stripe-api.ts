/**
 * The only module that creates a Stripe API client (stripe-node; no HTTP is written by hand).
 *
 * Every call goes through `StripeApi`, which adds what stripe-node leaves out:
 * - a read rate limit, because the account's limit (about 100 reads a second live, 25 in a sandbox)
 *   is shared with the merchant's own code;
 * - retries on 429, after the `Retry-After` Stripe sends or with backoff (stripe-node retries
 *   connection errors and 5xx itself, but not 429);
 * - errors that say what to do and never carry the key (see StripeApiError).
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import Stripe from 'stripe';
import type { ApiKeySource, StripeApiConfig } from './config';
import { StripeApiError, redactSecrets } from './errors';

/** The API version the handlers are typed for: stripe-node's own. The endpoint is registered with it. */
export const PINNED_API_VERSION: string = Stripe.API_VERSION;

export interface StripeApiOptions {
  readonly apiKey: string;
  /** Where the key was read from, named in errors: `the secret prod/stripe/api-key` or `STRIPE_API_KEY`. */
  readonly keyOrigin: string;
  /** e.g. `http://127.0.0.1:12111`. @default Stripe's API */
  readonly apiBase?: string;
  readonly readsPerSecond: number;
  /** Retries of a 429 before giving up. @default 5 */
  readonly maxRateLimitRetries?: number;
  /** stripe-node's own retries of connection errors and 5xx. @default 2 */
  readonly maxNetworkRetries?: number;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Epoch milliseconds. @default Date.now */
  readonly now?: () => number;
}

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A rate-limited, retrying Stripe API client whose errors are StripeApiError. */
export class StripeApi {
  readonly client: Stripe;
  private nextReadAt = 0;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;

  constructor(private readonly options: StripeApiOptions) {
    this.client = new Stripe(options.apiKey, {
      ...hostOptions(options.apiBase),
      maxNetworkRetries: options.maxNetworkRetries ?? 2,
      timeout: 10_000,
      telemetry: false,
      appInfo: { name: 'stripe-webhooks-aws' },
    });
    this.sleep = options.sleep ?? sleepFor;
    this.now = options.now ?? Date.now;
  }

  /**
   * Runs one read (a GET) within the rate limit.
   *
   * @example
   * const page = await api.read((stripe) => stripe.events.list({ limit: 100 }));
   */
  async read<T>(call: (stripe: Stripe) => Promise<T>): Promise<T> {
    return this.withRetries(async () => {
      await this.takeReadSlot();
      return call(this.client);
    });
  }

  /** Runs one write (endpoint management); writes are rare and have their own, separate limit at Stripe. */
  async write<T>(call: (stripe: Stripe) => Promise<T>): Promise<T> {
    return this.withRetries(() => call(this.client));
  }

  private async takeReadSlot(): Promise<void> {
    const now = this.now();
    const at = Math.max(now, this.nextReadAt);
    this.nextReadAt = at + 1000 / this.options.readsPerSecond;
    if (at > now) await this.sleep(at - now);
  }

  private async withRetries<T>(attempt: () => Promise<T>): Promise<T> {
    const maxRetries = this.options.maxRateLimitRetries ?? 5;
    for (let retry = 0; ; retry++) {
      try {
        return await attempt();
      } catch (error) {
        const failure = translateStripeError(error, this.options.keyOrigin);
        if (failure.failure !== 'rate_limited' || retry >= maxRetries) throw failure;
        await this.sleep(retryDelayMs(error, retry));
      }
    }
  }
}

/** The wait Stripe asks for in `Retry-After`, else exponential backoff from 1 s, capped at 30 s. */
function retryDelayMs(error: unknown, retry: number): number {
  const header = (error as { headers?: Record<string, string | undefined> }).headers?.['retry-after'];
  const seconds = header === undefined ? Number.NaN : Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds, 60) * 1000;
  return Math.min(1000 * 2 ** retry, 30_000);
}

function hostOptions(apiBase: string | undefined): { host?: string; port?: number; protocol?: 'http' | 'https' } {
  if (!apiBase) return {};
  const url = new URL(apiBase);
  const protocol = url.protocol === 'http:' ? 'http' : 'https';
  return { host: url.hostname, port: url.port ? Number(url.port) : protocol === 'http' ? 80 : 443, protocol };
}

/** Any error from stripe-node as a StripeApiError that is safe to log. */
export function translateStripeError(error: unknown, keyOrigin: string): StripeApiError {
  if (error instanceof StripeApiError) return error;
  const { statusCode, message, type } = error as { statusCode?: number; message?: string; type?: string };
  const safe = redactSecrets(message ?? String(error));
  if (statusCode === 401) {
    // Stripe's message quotes part of the key: it is dropped, cause and all.
    return new StripeApiError('key_refused', `Stripe refused the API key in ${keyOrigin} (401): put a valid secret or restricted key (sk_… or rk_…) there`, 401);
  }
  if (statusCode === 403) return new StripeApiError('key_refused', `The API key in ${keyOrigin} may not do this (403): give the restricted key read access to Events (and write access to Webhook Endpoints for npm run stripe:endpoint). ${safe}`, 403);
  if (statusCode === 404) return new StripeApiError('not_found', `Stripe has no such object (404): ${safe}`, 404, { cause: error });
  if (statusCode === 429) return new StripeApiError('rate_limited', `Stripe's rate limit was hit (429) and retries ran out: lower the read rate or try again later. ${safe}`, 429, { cause: error });
  if (statusCode === undefined || statusCode >= 500 || type === 'StripeConnectionError') {
    return new StripeApiError('unavailable', `Stripe's API is unavailable${statusCode ? ` (${statusCode})` : ''}: ${safe}`, statusCode, { cause: error });
  }
  return new StripeApiError('invalid_request', `Stripe refused the request (${statusCode}): ${safe}`, statusCode, { cause: error });
}

/**
 * The API key from where the configuration says it is. A missing, empty or placeholder value fails
 * with the command that fills it, and the key itself never appears in the message.
 */
async function loadStripeApiKey(source: ApiKeySource, secretsManager?: SecretsManagerClient): Promise<{ apiKey: string; keyOrigin: string }> {
  if (source.kind === 'env') return { apiKey: source.key, keyOrigin: 'STRIPE_API_KEY' };
  const keyOrigin = `the secret ${secretName(source.secretId)}`;
  if (!secretsManager) throw new StripeApiError('key_missing', `A Secrets Manager client is needed to read ${keyOrigin}`);
  let value: string | undefined;
  try {
    ({ SecretString: value } = await secretsManager.send(new GetSecretValueCommand({ SecretId: source.secretId })));
  } catch (error) {
    throw new StripeApiError('unavailable', `Could not read ${keyOrigin}: ${(error as Error).name}`, undefined, { cause: error });
  }
  const apiKey = value?.trim() ?? '';
  if (!/^(sk|rk)_(test|live)_/.test(apiKey)) {
    throw new StripeApiError(
      'key_missing',
      `${keyOrigin} holds no Stripe API key: aws secretsmanager put-secret-value --secret-id ${secretName(source.secretId)} --secret-string rk_live_… (a restricted key with read access to Events)`,
    );
  }
  return { apiKey, keyOrigin };
}

/** `prod/stripe/api-key` from its ARN (`…:secret:prod/stripe/api-key-AbCdEf`), or the id as given. */
function secretName(secretId: string): string {
  const match = /:secret:(.+)-[A-Za-z0-9]{6}$/.exec(secretId);
  return match ? match[1]! : secretId;
}

/** The client for a configuration: reads the key (from Secrets Manager on AWS) once. */
export async function createStripeApi(config: StripeApiConfig, secretsManager?: SecretsManagerClient): Promise<StripeApi> {
  const { apiKey, keyOrigin } = await loadStripeApiKey(config.keySource, secretsManager);
  return new StripeApi({ apiKey, keyOrigin, readsPerSecond: config.readsPerSecond, ...(config.apiBase ? { apiBase: config.apiBase } : {}) });
}
