/**
 * Where the webhook signing secrets come from, and how long they are trusted.
 *
 * On AWS they live in Secrets Manager. They are fetched once per container and kept for a refresh
 * interval, so a rotation takes effect without a redeploy. A signature that matches none of the cached
 * secrets also triggers an early refresh (at most once per `minRefreshMs`), so a secret added during a
 * roll is picked up on its first delivery instead of after the interval.
 */
import { parseSecretList } from '../shared/config';
import { NotQueuedError, describeError } from '../shared/errors';
import type { AwsJsonClient } from './aws-json-client';

export type SecretsLoader = () => Promise<readonly string[]>;

export interface SecretCacheOptions {
  /** How long loaded secrets are used before they are fetched again. */
  readonly refreshMs: number;
  /** The least time between two fetches, whatever triggers them. @default 30 000 */
  readonly minRefreshMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
  /** Told when a refresh fails but cached secrets are still served. */
  readonly onRefreshError?: (error: unknown) => void;
}

export class SecretCache {
  private secrets: readonly string[] | undefined;
  private loadedAt = 0;
  private inFlight: Promise<readonly string[]> | undefined;
  private readonly minRefreshMs: number;
  private readonly now: () => number;

  constructor(private readonly load: SecretsLoader, private readonly options: SecretCacheOptions) {
    this.minRefreshMs = options.minRefreshMs ?? 30_000;
    this.now = options.now ?? Date.now;
  }

  /**
   * The secrets to verify with. Fetches them when none are cached or the cache is older than the
   * refresh interval. A failed refresh keeps serving the cached secrets; a failed first fetch throws
   * NotQueuedError, which the ingest answers with 503 so that Stripe retries.
   */
  async get(): Promise<readonly string[]> {
    if (this.secrets && this.now() - this.loadedAt < this.options.refreshMs) return this.secrets;
    return this.reload();
  }

  /**
   * Called when a signature matched none of the cached secrets. Returns a fresh list if one was
   * fetched and it differs from the cached one, otherwise undefined (nothing new to try).
   */
  async refreshAfterMismatch(): Promise<readonly string[] | undefined> {
    if (this.now() - this.loadedAt < this.minRefreshMs) return undefined;
    const before = this.secrets;
    const after = await this.reload();
    return sameSecrets(before, after) ? undefined : after;
  }

  private reload(): Promise<readonly string[]> {
    this.inFlight ??= this.fetch().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async fetch(): Promise<readonly string[]> {
    try {
      const secrets = await this.load();
      if (secrets.length === 0) throw new Error('the secret holds no signing secret');
      this.secrets = secrets;
      this.loadedAt = this.now();
      return secrets;
    } catch (error) {
      if (this.secrets) {
        // Stale secrets beat no secrets: try again after the short interval, not on every request.
        this.loadedAt = this.now() - this.options.refreshMs + this.minRefreshMs;
        this.options.onRefreshError?.(error);
        return this.secrets;
      }
      throw new NotQueuedError(`Signing secrets are unavailable: ${describeError(error)}`, { cause: error });
    }
  }
}

function sameSecrets(a: readonly string[] | undefined, b: readonly string[]): boolean {
  return a !== undefined && a.length === b.length && a.every((secret, index) => secret === b[index]);
}

/** Secrets given directly, as locally from STRIPE_WEBHOOK_SECRET. */
export function staticSecrets(secrets: readonly string[]): SecretsLoader {
  return async () => secrets;
}

/**
 * Reads the signing secrets from a Secrets Manager secret. The secret string may be a comma-separated
 * list (`whsec_old,whsec_new`), a JSON array of strings, or a JSON object with a `secrets` array.
 */
export function secretsManagerSecrets(client: AwsJsonClient, endpoint: URL, secretId: string): SecretsLoader {
  return async () => {
    const result = await client.call<{ SecretString?: string }>(endpoint, 'GetSecretValue', { SecretId: secretId });
    if (result.SecretString === undefined) throw new Error(`secret ${secretId} has no string value`);
    return parseSecretString(result.SecretString);
  };
}

export function parseSecretString(value: string): string[] {
  const trimmed = value.trim();
  if (!trimmed.startsWith('[') && !trimmed.startsWith('{')) return parseSecretList(trimmed);
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    // The parser's message may quote the secret itself, so it is not passed on.
    throw new Error('the secret looks like JSON but does not parse');
  }
  const list = Array.isArray(parsed) ? parsed : (parsed as { secrets?: unknown }).secrets;
  if (!Array.isArray(list) || !list.every((item) => typeof item === 'string')) {
    throw new Error('the secret JSON must be an array of strings or {"secrets": [...]}');
  }
  return list.map((secret) => secret.trim()).filter((secret) => secret.length > 0);
}
