/**
 * The stack's configuration, from CDK context (`-c stage=prod -c alarmEmail=ops@example.com`), typed
 * and validated once at synth. Every problem is reported together; the stack's defaults live here, and
 * those the functions share with it (such as the worker timeout) in functions/shared/config.ts.
 */
import { DEFAULT_STRIPE_READS_PER_SECOND, DEFAULT_WORKER_TIMEOUT_SECONDS } from '../functions/shared/config';

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
  /** @default 30 */
  readonly logRetentionDays: number;
  /** An alarm fires when the oldest queued event is older than this. @default 300 s */
  readonly oldestMessageAlarmSeconds: number;
  /** An alarm fires when more signatures than this fail within 5 minutes. @default 20 */
  readonly signatureFailureAlarmThreshold: number;
  /** How often the scheduled reconcile compares Stripe's Events API with the ledger. @default 15 */
  readonly reconcileIntervalMinutes: number;
  /** Stripe API reads per second the reconcile may make (the account's limit is shared with the merchant's own code). @default 10 */
  readonly stripeReadsPerSecond: number;
}

export const DEFAULT_CONFIG: Omit<PipelineConfig, 'alarmEmail'> = {
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
};

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

  const config: PipelineConfig = {
    stage,
    ...(typeof alarmEmail === 'string' ? { alarmEmail } : {}),
    throttleRateLimit: number('throttleRateLimit', 1, 100_000),
    throttleBurstLimit: number('throttleBurstLimit', 1, 100_000),
    batchSize: number('batchSize', 1, 10_000),
    batchingWindowSeconds: number('batchingWindowSeconds', 0, 300),
    // Lambda's SQS event source accepts a maximum concurrency from 2 to 1000.
    maxConcurrency: number('maxConcurrency', 2, 1000),
    workerTimeoutSeconds: number('workerTimeoutSeconds', 3, 900),
    ingestTimeoutSeconds: number('ingestTimeoutSeconds', 3, 29),
    logRetentionDays: number('logRetentionDays', 1, 3653),
    oldestMessageAlarmSeconds: number('oldestMessageAlarmSeconds', 60, 1_209_600),
    signatureFailureAlarmThreshold: number('signatureFailureAlarmThreshold', 1, 1_000_000),
    reconcileIntervalMinutes: number('reconcileIntervalMinutes', 1, 1440),
    stripeReadsPerSecond: number('stripeReadsPerSecond', 1, 100),
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
