/**
 * The only module that reads `process.env`. Each function reads its configuration once, at cold start,
 * and every problem is reported together in one ConfigError, so a misconfigured deploy fails loudly on
 * its first invocation instead of misbehaving later.
 */
import { ConfigError } from './errors';

type Env = Readonly<Record<string, string | undefined>>;

/** Where the webhook signing secrets come from. */
export type SecretSource =
  | { readonly kind: 'env'; readonly secrets: readonly string[] }
  | { readonly kind: 'secrets-manager'; readonly secretId: string; readonly refreshSeconds: number };

/**
 * Endpoint overrides, for emulators. They use the SDK's own variable names but are passed to the
 * clients explicitly: with an explicit endpoint the SQS client addresses the emulator rather than the
 * host named in the queue URL.
 */
export interface Endpoints {
  readonly sqs?: string;
  readonly dynamodb?: string;
  readonly secretsManager?: string;
}

export interface IngestConfig {
  readonly endpoints: Endpoints;
  /** The function's region (AWS_REGION, which Lambda always sets), for signing its calls to AWS. */
  readonly region: string;
  readonly queueUrl: string;
  readonly secretSource: SecretSource;
  /** Maximum age of a signature timestamp, and the allowed clock skew into the future. Never 0. */
  readonly toleranceSeconds: number;
}

export interface WorkerConfig {
  readonly endpoints: Endpoints;
  readonly ledgerTableName: string;
  readonly projectionsTableName: string;
  /** How long a delivery owns an event while an action with effects outside DynamoDB runs. Never shorter than the worker's timeout. */
  readonly leaseSeconds: number;
  /** The worker function's timeout, which a lease must outlive so that a live worker is never overtaken. */
  readonly workerTimeoutSeconds: number;
  /** How long a ledger item is kept: must outlive Stripe's 30-day event retention and any replay. */
  readonly ledgerRetentionDays: number;
  /** Which events the stage accepts (STRIPE_LIVEMODE, STRIPE_ACCOUNTS); the others are refused. */
  readonly acceptance: Acceptance;
  /**
   * The Stripe API, to fetch what thin notifications name and the current objects handlers ask for.
   * Absent when no key is configured: snapshot events need none.
   */
  readonly stripeApi?: StripeApiConfig;
}

/** Which events a stage accepts, by mode and account (functions/worker/acceptance.ts applies it). */
export interface Acceptance {
  /** Only events of this mode; undefined accepts both. */
  readonly livemode?: boolean;
  /** `all`, or the accounts accepted: `acct_…` ids, and `platform` for the platform's own events. */
  readonly accounts: 'all' | readonly string[];
}

/** Where the Stripe API key comes from: the environment locally, Secrets Manager on AWS. */
export type ApiKeySource =
  | { readonly kind: 'env'; readonly key: string }
  | { readonly kind: 'secrets-manager'; readonly secretId: string };

export interface StripeApiConfig {
  readonly keySource: ApiKeySource;
  /** Another host for the API (a loopback stand-in), e.g. `http://127.0.0.1:12111`. @default Stripe's */
  readonly apiBase?: string;
  /** Reads per second this process may make; Stripe allows about 100 in live mode and 25 in a sandbox, shared with the merchant's own code. */
  readonly readsPerSecond: number;
}

/** The scheduled reconcile: the queue it fills, the tables it reads and keeps its checkpoint in, and the Events API. */
export interface ReconcileConfig {
  readonly endpoints: Endpoints;
  readonly queueUrl: string;
  readonly ledgerTableName: string;
  readonly stateTableName: string;
  readonly stripeApi: StripeApiConfig;
  /** Events younger than this are left alone: their webhook may still be on its way. */
  readonly settleSeconds: number;
  /** How far each scan reaches back before the end of the last one. */
  readonly overlapSeconds: number;
  /** How far the very first scan reaches back. */
  readonly firstLookbackSeconds: number;
}

export const DEFAULT_TOLERANCE_SECONDS = 300;
export const DEFAULT_SECRET_REFRESH_SECONDS = 300;
export const DEFAULT_LEASE_SECONDS = 60;
/** The worker function's timeout (the CDK stack's default too). */
export const DEFAULT_WORKER_TIMEOUT_SECONDS = 30;
export const DEFAULT_LEDGER_RETENTION_DAYS = 90;
/**
 * A tenth of live mode's read limit and under half a sandbox's: reconciling must never starve the
 * merchant's own API calls, which share the account's limit. 10 pages of 100 events a second is
 * still 1,000 events a second.
 */
export const DEFAULT_STRIPE_READS_PER_SECOND = 10;
/** Stripe keeps events 30 days; a ledger that forgets sooner would let a manual resend run twice. */
export const MIN_LEDGER_RETENTION_DAYS = 31;

/**
 * Splits a comma-separated list of signing secrets. Several are accepted because, while a secret is
 * rolled, Stripe signs each delivery with both the old and the new one for up to 24 hours.
 */
export function parseSecretList(value: string): string[] {
  return value
    .split(',')
    .map((secret) => secret.trim())
    .filter((secret) => secret.length > 0);
}

export function loadIngestConfig(env: Env = process.env): IngestConfig {
  const problems: string[] = [];
  const queueUrl = required(env, 'QUEUE_URL', problems);
  const toleranceSeconds = integer(env, 'WEBHOOK_TOLERANCE_SECONDS', DEFAULT_TOLERANCE_SECONDS, 1, 86_400, problems, {
    zero: 'WEBHOOK_TOLERANCE_SECONDS=0 would turn off the replay-protection check; use a positive number of seconds (default 300)',
  });
  const secretSource = loadSecretSource(env, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return { endpoints: loadEndpoints(env), region: regionOf(env), queueUrl: queueUrl!, secretSource: secretSource!, toleranceSeconds };
}

export function loadWorkerConfig(env: Env = process.env): WorkerConfig {
  const problems: string[] = [];
  const ledgerTableName = required(env, 'LEDGER_TABLE_NAME', problems);
  const projectionsTableName = required(env, 'PROJECTIONS_TABLE_NAME', problems);
  const leaseSeconds = integer(env, 'LEASE_SECONDS', DEFAULT_LEASE_SECONDS, 1, 43_200, problems);
  const workerTimeoutSeconds = integer(env, 'WORKER_TIMEOUT_SECONDS', DEFAULT_WORKER_TIMEOUT_SECONDS, 1, 900, problems);
  if (leaseSeconds < workerTimeoutSeconds) {
    // A lease that ends while its holder still runs lets a second delivery run the same external effect.
    problems.push(`LEASE_SECONDS (${leaseSeconds}) must not be shorter than WORKER_TIMEOUT_SECONDS (${workerTimeoutSeconds}): a lease must outlive the invocation that holds it`);
  }
  const ledgerRetentionDays = integer(
    env,
    'LEDGER_RETENTION_DAYS',
    DEFAULT_LEDGER_RETENTION_DAYS,
    MIN_LEDGER_RETENTION_DAYS,
    3650,
    problems,
  );
  const acceptance = loadAcceptance(env, problems);
  const hasApiKey = Boolean(env.STRIPE_API_KEY?.trim() || env.STRIPE_API_KEY_SECRET_ARN?.trim());
  const stripeApi = hasApiKey ? loadStripeApiConfig(env, problems) : undefined;
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    endpoints: loadEndpoints(env),
    ledgerTableName: ledgerTableName!,
    projectionsTableName: projectionsTableName!,
    leaseSeconds,
    workerTimeoutSeconds,
    ledgerRetentionDays,
    acceptance,
    ...(stripeApi ? { stripeApi } : {}),
  };
}

/** `STRIPE_LIVEMODE` (`true`, `false`, or unset for both) and `STRIPE_ACCOUNTS` (`all`, or `platform` and `acct_…` ids, comma-separated). */
function loadAcceptance(env: Env, problems: string[]): Acceptance {
  const mode = env.STRIPE_LIVEMODE?.trim();
  let livemode: boolean | undefined;
  if (mode === 'true' || mode === 'false') livemode = mode === 'true';
  else if (mode) problems.push(`STRIPE_LIVEMODE must be true (live events only), false (test events only) or unset (both), got "${mode}"`);
  const list = env.STRIPE_ACCOUNTS?.trim() || 'all';
  if (list === 'all') return { ...(livemode === undefined ? {} : { livemode }), accounts: 'all' };
  const accounts = list.split(',').map((entry) => entry.trim()).filter(Boolean);
  for (const account of accounts) {
    if (account !== 'platform' && !/^acct_[A-Za-z0-9]+$/.test(account)) problems.push(`STRIPE_ACCOUNTS entries must be "platform" or acct_… ids, got "${account}"`);
  }
  return { ...(livemode === undefined ? {} : { livemode }), accounts };
}

export const DEFAULT_SETTLE_SECONDS = 600;
export const DEFAULT_OVERLAP_SECONDS = 300;
export const DEFAULT_FIRST_LOOKBACK_SECONDS = 3600;

export function loadReconcileConfig(env: Env = process.env): ReconcileConfig {
  const problems: string[] = [];
  const queueUrl = required(env, 'QUEUE_URL', problems);
  const ledgerTableName = required(env, 'LEDGER_TABLE_NAME', problems);
  const stateTableName = required(env, 'STATE_TABLE_NAME', problems);
  const stripeApi = loadStripeApiConfig(env, problems);
  const settleSeconds = integer(env, 'RECONCILE_SETTLE_SECONDS', DEFAULT_SETTLE_SECONDS, 0, 86_400, problems);
  const overlapSeconds = integer(env, 'RECONCILE_OVERLAP_SECONDS', DEFAULT_OVERLAP_SECONDS, 0, 86_400, problems);
  const firstLookbackSeconds = integer(env, 'RECONCILE_FIRST_LOOKBACK_SECONDS', DEFAULT_FIRST_LOOKBACK_SECONDS, 60, 30 * 86_400, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    endpoints: loadEndpoints(env),
    queueUrl: queueUrl!,
    ledgerTableName: ledgerTableName!,
    stateTableName: stateTableName!,
    stripeApi,
    settleSeconds,
    overlapSeconds,
    firstLookbackSeconds,
  };
}

/**
 * The Stripe API client's configuration: `STRIPE_API_KEY` (local) or `STRIPE_API_KEY_SECRET_ARN`
 * (AWS), `STRIPE_API_BASE` and `STRIPE_READS_PER_SECOND`. Problems are added to `problems`, so a
 * function that also needs other settings reports everything at once.
 */
export function loadStripeApiConfig(env: Env, problems: string[]): StripeApiConfig {
  const key = env.STRIPE_API_KEY?.trim();
  const secretId = env.STRIPE_API_KEY_SECRET_ARN?.trim();
  let keySource: ApiKeySource = { kind: 'env', key: '' };
  if (key && secretId) problems.push('set either STRIPE_API_KEY (local) or STRIPE_API_KEY_SECRET_ARN (AWS), not both');
  else if (secretId) keySource = { kind: 'secrets-manager', secretId };
  else if (key) keySource = { kind: 'env', key };
  else problems.push('STRIPE_API_KEY (a secret or restricted key, sk_… or rk_…) or STRIPE_API_KEY_SECRET_ARN is required');
  // Name the variable, never the value: configuration errors end up in logs.
  if (key && !/^(sk|rk)_(test|live)_/.test(key)) problems.push('STRIPE_API_KEY does not look like a Stripe secret or restricted key (sk_… or rk_…)');

  const apiBase = env.STRIPE_API_BASE?.trim() || undefined;
  if (apiBase !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(apiBase);
    } catch {
      // Reported below.
    }
    if (!url || !['http:', 'https:'].includes(url.protocol) || (url.pathname !== '/' && url.pathname !== '')) {
      problems.push(`STRIPE_API_BASE must be a URL such as http://127.0.0.1:12111, got "${apiBase}"`);
    }
  }
  const readsPerSecond = integer(env, 'STRIPE_READS_PER_SECOND', DEFAULT_STRIPE_READS_PER_SECOND, 1, 100, problems);
  return { keySource, ...(apiBase ? { apiBase } : {}), readsPerSecond };
}

/** Lambda always sets AWS_REGION; elsewhere (the emulators, which accept any region) it may be absent. */
function regionOf(env: Env): string {
  return env.AWS_REGION?.trim() || env.AWS_DEFAULT_REGION?.trim() || 'us-east-1';
}

function loadEndpoints(env: Env): Endpoints {
  const endpoints = {
    sqs: env.AWS_ENDPOINT_URL_SQS?.trim(),
    dynamodb: env.AWS_ENDPOINT_URL_DYNAMODB?.trim(),
    secretsManager: env.AWS_ENDPOINT_URL_SECRETS_MANAGER?.trim(),
  };
  return Object.fromEntries(Object.entries(endpoints).filter(([, value]) => value)) as Endpoints;
}

function loadSecretSource(env: Env, problems: string[]): SecretSource | undefined {
  const inline = env.STRIPE_WEBHOOK_SECRET;
  const secretId = env.STRIPE_WEBHOOK_SECRET_ARN;
  if (inline !== undefined && secretId !== undefined) {
    problems.push('set either STRIPE_WEBHOOK_SECRET (local) or STRIPE_WEBHOOK_SECRET_ARN (AWS), not both');
    return undefined;
  }
  if (secretId !== undefined && secretId.trim() !== '') {
    const refreshSeconds = integer(env, 'WEBHOOK_SECRET_REFRESH_SECONDS', DEFAULT_SECRET_REFRESH_SECONDS, 1, 86_400, problems);
    return { kind: 'secrets-manager', secretId: secretId.trim(), refreshSeconds };
  }
  if (inline === undefined) {
    problems.push('STRIPE_WEBHOOK_SECRET (comma-separated whsec_… values) or STRIPE_WEBHOOK_SECRET_ARN is required');
    return undefined;
  }
  const secrets = parseSecretList(inline);
  if (secrets.length === 0) problems.push('STRIPE_WEBHOOK_SECRET is empty');
  // Name the position, never the value: configuration errors end up in logs.
  secrets.forEach((secret, index) => {
    if (!secret.startsWith('whsec_')) problems.push(`STRIPE_WEBHOOK_SECRET entry ${index + 1} does not start with "whsec_"`);
  });
  return { kind: 'env', secrets };
}

function required(env: Env, name: string, problems: string[]): string | undefined {
  const value = env[name]?.trim();
  if (!value) problems.push(`${name} is required`);
  return value;
}

function integer(
  env: Env,
  name: string,
  fallback: number,
  min: number,
  max: number,
  problems: string[],
  messages: { zero?: string } = {},
): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value)) {
    problems.push(`${name} must be a whole number, got "${raw}"`);
    return fallback;
  }
  if (value === 0 && messages.zero) {
    problems.push(messages.zero);
    return fallback;
  }
  if (value < min || value > max) {
    problems.push(`${name} must be between ${min} and ${max}, got ${value}`);
    return fallback;
  }
  return value;
}
