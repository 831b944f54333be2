/**
 * The stack's configuration, from CDK context (`-c stage=prod -c alarmEmail=ops@example.com`), typed
 * and validated once at synth. Every problem is reported together; the stack's defaults live here, and
 * those the functions share with it (such as the worker timeout) in functions/shared/config.ts.
 */
import { DEFAULT_STRIPE_READS_PER_SECOND, DEFAULT_WORKER_TIMEOUT_SECONDS } from '../functions/shared/config';
import { LEDGER_TABLE } from '../functions/shared/resources';

export interface PipelineConfig {
  /** Prefix of every resource name; one stack per stage. @default 'dev' */
  readonly stage: string;
  /** Alarm notifications go to this address (SNS e-mail subscription). @default none */
  readonly alarmEmail?: string;
  /** Steady-state requests per second API Gateway accepts before answering 429 (Stripe retries). @default 500 */
  readonly throttleRateLimit: number;
  /** @default 1000 */
  readonly throttleBurstLimit: number;
  /** Messages per worker invocation. @default 10 */
  readonly batchSize: number;
  /** How long the event source gathers a batch. @default 1 s */
  readonly batchingWindowSeconds: number;
  /** Most worker invocations at once: protects downstream systems (DynamoDB, third-party APIs). @default 20 */
  readonly maxConcurrency: number;
  /** @default 30 s; the queue's visibility timeout is 6× this, as AWS recommends */
  readonly workerTimeoutSeconds: number;
  /** @default 10 s: the ingest answers within Stripe's timeout or not at all */
  readonly ingestTimeoutSeconds: number;
  /**
   * How long every log group keeps its logs. @default 365 for a production stage (`prod` or
   * `production`), which Control Tower's CT.CLOUDWATCH.PR.2 requires; 30 elsewhere, which costs less
   */
  readonly logRetentionDays: number;
  /** An alarm fires when the oldest queued event is older than this. @default 300 s */
  readonly oldestMessageAlarmSeconds: number;
  /** An alarm fires when more signatures than this fail within 5 minutes. @default 20 */
  readonly signatureFailureAlarmThreshold: number;
  /** How often the scheduled reconcile compares Stripe's Events API with the ledger. @default 15 */
  readonly reconcileIntervalMinutes: number;
  /** Stripe API reads per second the reconcile, and each worker instance, may make (the account's limit is shared with the merchant's own code). @default 10 */
  readonly stripeReadsPerSecond: number;
  /** Only events of this mode are accepted (the worker's STRIPE_LIVEMODE); the others are refused. @default both */
  readonly livemode?: boolean;
  /** The accounts whose events are accepted (STRIPE_ACCOUNTS): `all`, or `platform` and `acct_…` ids. @default all */
  readonly accounts?: Accounts;
  /**
   * Stripe's partner event source (`aws.partner/stripe.com/ed_…`), created by an Amazon EventBridge event
   * destination in Stripe. When set, the stack adds its partner event bus and a rule that puts Stripe's
   * events on the event queue. @default none: events arrive by webhook only
   */
  readonly eventBridgeSource?: string;
  /**
   * How many of the ledger's indexes (in LEDGER_TABLE's order) to deploy. CloudFormation adds one
   * global secondary index per update, so a stage deployed before an index was added reaches the new
   * ones one deploy at a time (README, Upgrading). @default all of them
   */
  readonly ledgerIndexes: number;
  /** Places the functions in the user's VPC (`-c vpcId=vpc-…`). @default none: the functions run outside any VPC */
  readonly network?: NetworkConfig;
}

/** The VPC the functions run in, from `-c vpcId=vpc-…` and the settings that refine it. */
export interface NetworkConfig {
  /** Looked up at synth (with credentials, then cached in cdk.context.json). */
  readonly vpcId: string;
  /**
   * The subnets the functions use. They need a route to api.stripe.com (a NAT gateway or the
   * company's egress). @default the VPC's private subnets with egress
   */
  readonly subnetIds?: readonly string[];
  /** The functions' security groups. @default one the stack creates: HTTPS out only */
  readonly securityGroupIds?: readonly string[];
  /**
   * Whether the stack adds the endpoints the functions need (SQS, Secrets Manager, DynamoDB). Turn it
   * off where the VPC already has them, as shared endpoints of a landing zone. @default true
   */
  readonly createEndpoints: boolean;
}

/** `all`, or the accepted accounts: `platform` for the platform's own events, `acct_…` for connected accounts. */
export type Accounts = 'all' | readonly string[];

/** The settings that have no default: unset means "not used" (or, for livemode and accounts, "accept every event"). */
type OptionalSetting = 'alarmEmail' | 'livemode' | 'accounts' | 'eventBridgeSource' | 'network';

export const DEFAULT_CONFIG: Omit<PipelineConfig, OptionalSetting> = {
  stage: 'dev',
  throttleRateLimit: 500,
  throttleBurstLimit: 1000,
  batchSize: 10,
  batchingWindowSeconds: 1,
  maxConcurrency: 20,
  workerTimeoutSeconds: DEFAULT_WORKER_TIMEOUT_SECONDS,
  ingestTimeoutSeconds: 10,
  logRetentionDays: 30,
  oldestMessageAlarmSeconds: 300,
  signatureFailureAlarmThreshold: 20,
  reconcileIntervalMinutes: 15,
  stripeReadsPerSecond: DEFAULT_STRIPE_READS_PER_SECOND,
  ledgerIndexes: LEDGER_TABLE.indexes?.length ?? 0,
};

/** Stages whose logs are kept for the year Control Tower's CT.CLOUDWATCH.PR.2 asks, unless logRetentionDays says otherwise. */
const PRODUCTION_STAGES = ['prod', 'production'];
const PRODUCTION_LOG_RETENTION_DAYS = 365;

/** The name Stripe gives the partner event source of an EventBridge event destination. */
const EVENT_BRIDGE_SOURCE = /^aws\.partner\/stripe\.com\/ed_[A-Za-z0-9_]+$/;

/** Retention periods CloudWatch Logs accepts. */
const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

export class ConfigValidationError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid stack configuration (pass values with -c key=value):\n- ${problems.join('\n- ')}`);
  }
}

/**
 * Reads the configuration from a context lookup, e.g. `(key) => app.node.tryGetContext(key)`.
 *
 * @example
 * const config = loadPipelineConfig((key) => app.node.tryGetContext(key));
 */
export function loadPipelineConfig(context: (key: string) => unknown): PipelineConfig {
  const problems: string[] = [];
  const number = (key: keyof typeof DEFAULT_CONFIG, min: number, max: number): number => {
    const raw = context(key);
    const fallback = DEFAULT_CONFIG[key] as number;
    if (raw === undefined || raw === null || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${key} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
      return fallback;
    }
    return value;
  };

  const stage = String(context('stage') ?? DEFAULT_CONFIG.stage);
  if (!/^[a-z][a-z0-9-]{0,19}$/.test(stage)) {
    problems.push(`stage must be 1–20 lower-case letters, digits or hyphens, starting with a letter, got ${JSON.stringify(stage)}`);
  }
  const alarmEmail = context('alarmEmail');
  if (alarmEmail !== undefined && (typeof alarmEmail !== 'string' || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(alarmEmail))) {
    problems.push(`alarmEmail must be an e-mail address, got ${JSON.stringify(alarmEmail)}`);
  }

  const livemode = readLivemode(context('livemode'), problems);
  const accounts = readAccounts(context('accounts'), problems);
  const eventBridgeSource = readEventBridgeSource(context('eventBridgeSource'), problems);
  const network = readNetwork(context, problems);
  const logRetentionDefault = PRODUCTION_STAGES.includes(stage) ? PRODUCTION_LOG_RETENTION_DAYS : DEFAULT_CONFIG.logRetentionDays;

  const config: PipelineConfig = {
    stage,
    ...(typeof alarmEmail === 'string' ? { alarmEmail } : {}),
    ...(livemode === undefined ? {} : { livemode }),
    ...(accounts === undefined ? {} : { accounts }),
    ...(eventBridgeSource === undefined ? {} : { eventBridgeSource }),
    ...(network === undefined ? {} : { network }),
    throttleRateLimit: number('throttleRateLimit', 1, 100_000),
    throttleBurstLimit: number('throttleBurstLimit', 1, 100_000),
    batchSize: number('batchSize', 1, 10_000),
    batchingWindowSeconds: number('batchingWindowSeconds', 0, 300),
    // Lambda's SQS event source accepts a maximum concurrency from 2 to 1000.
    maxConcurrency: number('maxConcurrency', 2, 1000),
    workerTimeoutSeconds: number('workerTimeoutSeconds', 3, 900),
    ingestTimeoutSeconds: number('ingestTimeoutSeconds', 3, 29),
    logRetentionDays: isSet(context('logRetentionDays')) ? number('logRetentionDays', 1, 3653) : logRetentionDefault,
    oldestMessageAlarmSeconds: number('oldestMessageAlarmSeconds', 60, 1_209_600),
    signatureFailureAlarmThreshold: number('signatureFailureAlarmThreshold', 1, 1_000_000),
    reconcileIntervalMinutes: number('reconcileIntervalMinutes', 1, 1440),
    stripeReadsPerSecond: number('stripeReadsPerSecond', 1, 100),
    ledgerIndexes: number('ledgerIndexes', 1, DEFAULT_CONFIG.ledgerIndexes),
  };
  if (config.batchSize > 10 && config.batchingWindowSeconds === 0) {
    problems.push('batchSize above 10 needs batchingWindowSeconds of at least 1 (an SQS event source rule)');
  }
  if (config.workerTimeoutSeconds * 6 > 43_200) problems.push('workerTimeoutSeconds × 6 must fit the 12-hour SQS visibility timeout');
  if (!LOG_RETENTION_DAYS.includes(config.logRetentionDays)) {
    problems.push(`logRetentionDays must be one of ${LOG_RETENTION_DAYS.join(', ')}, got ${config.logRetentionDays}`);
  }
  if (problems.length > 0) throw new ConfigValidationError(problems);
  return config;
}

/** Unset on the command line (`-c key=`) counts as unset. */
function isSet(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '';
}

/** `true` or `false` (a string from `-c`, a boolean from cdk.json); unset accepts both modes. */
function readLivemode(raw: unknown, problems: string[]): boolean | undefined {
  if (!isSet(raw)) return undefined;
  if (raw === true || raw === 'true') return true;
  if (raw === false || raw === 'false') return false;
  problems.push(`livemode must be true (live events only), false (test events only) or unset (both), got ${JSON.stringify(raw)}`);
  return undefined;
}

/** The partner event source's name, exactly as EventBridge lists it: the bus is named after it. */
function readEventBridgeSource(raw: unknown, problems: string[]): string | undefined {
  if (!isSet(raw)) return undefined;
  if (typeof raw === 'string' && EVENT_BRIDGE_SOURCE.test(raw)) return raw;
  problems.push(
    `eventBridgeSource must be the partner event source Stripe created for an EventBridge event destination, aws.partner/stripe.com/ed_… (EventBridge console → Partner event sources), got ${JSON.stringify(raw)}`,
  );
  return undefined;
}

/** A comma-separated list from `-c`, or a list from cdk.json; undefined when it is neither. */
function readList(raw: unknown): string[] | undefined {
  const entries = typeof raw === 'string' ? raw.split(',') : Array.isArray(raw) && raw.every((entry) => typeof entry === 'string') ? (raw as string[]) : undefined;
  return entries?.map((entry) => entry.trim()).filter(Boolean);
}

/** `vpcId`, and the `subnetIds`, `securityGroupIds` and `vpcEndpoints` that only mean something with it. */
function readNetwork(context: (key: string) => unknown, problems: string[]): NetworkConfig | undefined {
  const vpcId = context('vpcId');
  const ids = (key: string, prefix: string): string[] | undefined => {
    const raw = context(key);
    if (!isSet(raw)) return undefined;
    const list = readList(raw);
    if (list && list.length > 0 && list.every((id) => new RegExp(`^${prefix}-[0-9a-f]{8,17}$`).test(id))) return list;
    problems.push(`${key} must be ${prefix}-… ids separated by commas, got ${JSON.stringify(raw)}`);
    return undefined;
  };
  const subnetIds = ids('subnetIds', 'subnet');
  const securityGroupIds = ids('securityGroupIds', 'sg');
  const endpoints = context('vpcEndpoints');
  if (isSet(endpoints) && endpoints !== true && endpoints !== false && endpoints !== 'true' && endpoints !== 'false') {
    problems.push(`vpcEndpoints must be true (the stack adds the endpoints) or false (the VPC has them), got ${JSON.stringify(endpoints)}`);
  }
  if (!isSet(vpcId)) {
    const orphans = ['subnetIds', 'securityGroupIds', 'vpcEndpoints'].filter((key) => isSet(context(key)));
    if (orphans.length > 0) problems.push(`${orphans.join(', ')} need vpcId: pass -c vpcId=vpc-… to place the functions in a VPC`);
    return undefined;
  }
  if (typeof vpcId !== 'string' || !/^vpc-[0-9a-f]{8,17}$/.test(vpcId)) {
    problems.push(`vpcId must be a VPC id, vpc-…, got ${JSON.stringify(vpcId)}`);
    return undefined;
  }
  return {
    vpcId,
    ...(subnetIds ? { subnetIds } : {}),
    ...(securityGroupIds ? { securityGroupIds } : {}),
    createEndpoints: endpoints !== false && endpoints !== 'false',
  };
}

/**
 * `all`, or `platform` and `acct_…` ids: comma-separated from `-c`, or a list from cdk.json. The same
 * rules as the worker's STRIPE_ACCOUNTS (functions/shared/config.ts), checked here so that a typo fails
 * the synth rather than every event on AWS.
 */
function readAccounts(raw: unknown, problems: string[]): Accounts | undefined {
  if (!isSet(raw)) return undefined;
  const accounts = readList(raw);
  if (!accounts) {
    problems.push(`accounts must be "all", or "platform" and acct_… ids separated by commas, got ${JSON.stringify(raw)}`);
    return undefined;
  }
  if (accounts.length === 1 && accounts[0] === 'all') return 'all';
  if (accounts.length === 0) {
    // An empty list would refuse every event: surely a mistake, not a wish.
    problems.push(`accounts must name at least one account ("all", "platform" or acct_… ids), got ${JSON.stringify(raw)}`);
    return undefined;
  }
  const bad = accounts.filter((account) => account !== 'platform' && !/^acct_[A-Za-z0-9]+$/.test(account));
  if (bad.length > 0) {
    problems.push(`accounts entries must be "platform" or acct_… ids ("all" alone accepts every account), got ${bad.map((entry) => JSON.stringify(entry)).join(', ')}`);
    return undefined;
  }
  return accounts;
}
