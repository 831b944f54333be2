/**
 * Worker cost per event, and its memory over 10,000 events and beyond: the worker as deployed
 * (bundled, its one wiring, Powertools Logger and Metrics) handling Lambda-shaped SQS batches of new
 * `payment_intent.succeeded` events (DynamoDB writes only), with the DynamoDB client's HTTP layer
 * replaced by a stub that answers as DynamoDB does, so the figure is CPU only. The body is
 * bench/worker-cpu-body.ts, in a fresh process per run.
 */
import { runBundled } from './bundled-child';

export interface MemorySample {
  /** Events handled when sampled. */
  readonly events: number;
  readonly rssMiB: number;
  readonly heapUsedMiB: number;
  readonly heapTotalMiB: number;
  readonly externalMiB: number;
}

export interface WorkerCpuRun {
  readonly batchSize: number;
  /** The very first batch of the process (module state, SDK and JIT warming up), per event. */
  readonly firstBatchMicrosPerEvent: number;
  /** Mean of the first `firstBatches` batches of the fresh process, per event (batch time ÷ batch size). */
  readonly firstBatchesMeanMicrosPerEvent: number;
  readonly firstBatches: number;
  /** Events handled before the steady-state batches. */
  readonly warmEvents: number;
  readonly steadyBatches: number;
  /** Steady state: the median batch time ÷ batch size. */
  readonly p50MicrosPerEvent: number;
  readonly p99MicrosPerEvent: number;
  /** The median batch's CPU time (user + system) ÷ batch size: close to p50 unless the batch waited for a core. */
  readonly cpuP50MicrosPerEvent: number;
  /** Process CPU over the steady batches per event, building the batches included: an upper bound. */
  readonly processCpuMicrosPerEvent: number;
  /** DynamoDB requests per batch in the steady state, by operation (round trips per batch). */
  readonly dynamoDbCallsPerBatch: Readonly<Record<string, number>>;
  /** Time inside the DynamoDB stub per event (part of the figures above). */
  readonly stubMicrosPerEvent: number;
  /** Lines written to stdout (log lines and metric documents) per event, and their characters. */
  readonly stdoutLinesPerEvent: number;
  readonly stdoutCharactersPerEvent: number;
  /** After 1,000 events, after the warm events (10,000), and after the steady batches; after a forced GC. */
  readonly memory: readonly MemorySample[];
  readonly gcForced: boolean;
}

export interface WorkerCpuResult {
  /** As deployed: Powertools Logger at INFO (one line per completed event), metrics flushed after each batch. */
  readonly logging: WorkerCpuRun;
  /** The same, with POWERTOOLS_LOG_LEVEL=SILENT: what the log lines cost, by difference. */
  readonly silent: WorkerCpuRun;
}

/** The deployed worker's environment (infra/webhook-stack.ts, constructs/pipeline-function.ts), over stand-in names. */
const DEPLOYED_ENV = {
  LEDGER_TABLE_NAME: 'bench-stripe-ledger',
  PROJECTIONS_TABLE_NAME: 'bench-stripe-projections',
  LEASE_SECONDS: '60',
  WORKER_TIMEOUT_SECONDS: '30',
  STRIPE_API_KEY_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:bench/stripe/api-key',
  STRIPE_READS_PER_SECOND: '10',
  POWERTOOLS_SERVICE_NAME: 'stripe-webhook-worker',
  POWERTOOLS_METRICS_NAMESPACE: 'StripeWebhooks',
  POWERTOOLS_LOG_LEVEL: 'INFO',
  // What Lambda sets: the role's session credentials, read by the SDK's default provider chain.
  AWS_ACCESS_KEY_ID: 'ASIABENCHBENCHBENCH0',
  AWS_SECRET_ACCESS_KEY: 'bench/secret/access/key/bench/secret/key0',
  AWS_SESSION_TOKEN: 'bench-session-token',
  AWS_LAMBDA_FUNCTION_NAME: 'bench-stripe-webhook-worker',
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
  AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
  AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
} as const;

export interface WorkerCpuOptions {
  /** @default 10,000 */
  readonly warmEvents?: number;
  /** @default 2,000 */
  readonly steadyBatches?: number;
  /** Write a V8 CPU profile of the steady batches of the logging run here. */
  readonly cpuProfile?: string;
}

function run(logLevel: 'INFO' | 'SILENT', options: WorkerCpuOptions, cpuProfile?: string): Promise<WorkerCpuRun> {
  return runBundled<WorkerCpuRun>('bench/worker-cpu-body.ts', {
    as: 'worker',
    nodeArgs: ['--expose-gc'],
    env: {
      ...DEPLOYED_ENV,
      POWERTOOLS_LOG_LEVEL: logLevel,
      BENCH_BATCH_SIZE: '10',
      BENCH_FIRST_BATCHES: '100',
      BENCH_WARM_EVENTS: String(options.warmEvents ?? 10_000),
      BENCH_STEADY_BATCHES: String(options.steadyBatches ?? 2_000),
      ...(cpuProfile ? { BENCH_CPU_PROFILE: cpuProfile } : {}),
    },
  });
}

/** Two fresh processes, one after the other: as deployed, then with the log lines silenced. */
export async function workerCpu(options: WorkerCpuOptions = {}): Promise<WorkerCpuResult> {
  const logging = await run('INFO', options, options.cpuProfile);
  const silent = await run('SILENT', options);
  return { logging, silent };
}
