import { loadIngestConfig, loadWorkerConfig } from '../../../functions/shared/config';
import { ConfigError } from '../../../functions/shared/errors';

function problemsOf(action: () => unknown): readonly string[] {
  try {
    action();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('loadIngestConfig', () => {
  const base = { QUEUE_URL: 'https://sqs/queue', STRIPE_WEBHOOK_SECRET: 'whsec_a' };

  it('reads a local configuration with defaults', () => {
    expect(loadIngestConfig(base)).toEqual({ endpoints: {}, region: 'us-east-1', queueUrl: 'https://sqs/queue', toleranceSeconds: 300, secretSource: { kind: 'env', secrets: ['whsec_a'] } });
  });

  it('signs for the region Lambda names in AWS_REGION', () => {
    expect(loadIngestConfig({ ...base, AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'us-west-2' }).region).toBe('eu-west-1');
    expect(loadIngestConfig({ ...base, AWS_DEFAULT_REGION: 'us-west-2' }).region).toBe('us-west-2');
  });

  it('reads emulator endpoints from the SDK variables', () => {
    expect(loadIngestConfig({ ...base, AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:4566' }).endpoints).toEqual({ sqs: 'http://127.0.0.1:4566' });
  });

  it('reads several comma-separated secrets', () => {
    expect(loadIngestConfig({ ...base, STRIPE_WEBHOOK_SECRET: 'whsec_a, whsec_b' }).secretSource).toEqual({ kind: 'env', secrets: ['whsec_a', 'whsec_b'] });
  });

  it('reads a Secrets Manager source with its refresh interval', () => {
    const config = loadIngestConfig({ QUEUE_URL: 'q', STRIPE_WEBHOOK_SECRET_ARN: 'arn:aws:secretsmanager:x', WEBHOOK_SECRET_REFRESH_SECONDS: '60' });
    expect(config.secretSource).toEqual({ kind: 'secrets-manager', secretId: 'arn:aws:secretsmanager:x', refreshSeconds: 60 });
  });

  it('refuses a tolerance of 0 with an explanation, never disabling the check', () => {
    expect(problemsOf(() => loadIngestConfig({ ...base, WEBHOOK_TOLERANCE_SECONDS: '0' }))).toEqual([expect.stringMatching(/would turn off/)]);
  });

  it.each(['-5', '1.5', 'abc', '100000'])('refuses a tolerance of %s', (value) => {
    expect(problemsOf(() => loadIngestConfig({ ...base, WEBHOOK_TOLERANCE_SECONDS: value }))).toHaveLength(1);
  });

  it('reports every problem at once', () => {
    expect(problemsOf(() => loadIngestConfig({ WEBHOOK_TOLERANCE_SECONDS: 'x' }))).toHaveLength(3);
  });

  it('names a bad secret by position, never by value', () => {
    const problems = problemsOf(() => loadIngestConfig({ ...base, STRIPE_WEBHOOK_SECRET: 'whsec_ok,sk_live_oops' }));
    expect(problems).toEqual(['STRIPE_WEBHOOK_SECRET entry 2 does not start with "whsec_"']);
    expect(problems.join()).not.toContain('sk_live_oops');
  });

  it('refuses both secret sources at once', () => {
    expect(problemsOf(() => loadIngestConfig({ ...base, STRIPE_WEBHOOK_SECRET_ARN: 'arn' }))).toHaveLength(1);
  });
});

describe('loadWorkerConfig', () => {
  it('reads the tables and defaults', () => {
    expect(loadWorkerConfig({ LEDGER_TABLE_NAME: 'l', PROJECTIONS_TABLE_NAME: 'p' })).toEqual({
      endpoints: {},
      acceptance: { accounts: 'all' },
      ledgerTableName: 'l',
      projectionsTableName: 'p',
      leaseSeconds: 60,
      workerTimeoutSeconds: 30,
      ledgerRetentionDays: 90,
    });
  });

  it('refuses a lease shorter than the worker timeout, which would let a second delivery run alongside a live one', () => {
    const problems = problemsOf(() => loadWorkerConfig({ LEDGER_TABLE_NAME: 'l', PROJECTIONS_TABLE_NAME: 'p', LEASE_SECONDS: '30', WORKER_TIMEOUT_SECONDS: '60' }));
    expect(problems).toEqual([expect.stringMatching(/LEASE_SECONDS \(30\) must not be shorter than WORKER_TIMEOUT_SECONDS \(60\)/)]);
  });

  it('accepts a lease as long as the worker timeout, and longer', () => {
    expect(loadWorkerConfig({ LEDGER_TABLE_NAME: 'l', PROJECTIONS_TABLE_NAME: 'p', LEASE_SECONDS: '60', WORKER_TIMEOUT_SECONDS: '60' }).leaseSeconds).toBe(60);
    expect(loadWorkerConfig({ LEDGER_TABLE_NAME: 'l', PROJECTIONS_TABLE_NAME: 'p', LEASE_SECONDS: '120', WORKER_TIMEOUT_SECONDS: '60' }).leaseSeconds).toBe(120);
  });

  it('reads which events the stage accepts, and a Stripe API only when a key is configured', () => {
    const base = { LEDGER_TABLE_NAME: 'l', PROJECTIONS_TABLE_NAME: 'p' };
    expect(loadWorkerConfig({ ...base, STRIPE_LIVEMODE: 'true', STRIPE_ACCOUNTS: 'platform, acct_1Abc' }).acceptance).toEqual({ livemode: true, accounts: ['platform', 'acct_1Abc'] });
    expect(loadWorkerConfig({ ...base, STRIPE_LIVEMODE: 'false' }).acceptance).toEqual({ livemode: false, accounts: 'all' });
    expect(loadWorkerConfig(base).stripeApi).toBeUndefined();
    expect(loadWorkerConfig({ ...base, STRIPE_API_KEY_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:1:secret:prod/stripe/api-key-AbCdEf' }).stripeApi).toMatchObject({
      keySource: { kind: 'secrets-manager' },
      readsPerSecond: 10,
    });
  });

  it('refuses a mode or an account list it cannot read, naming the variable', () => {
    const problems = problemsOf(() => loadWorkerConfig({ LEDGER_TABLE_NAME: 'l', PROJECTIONS_TABLE_NAME: 'p', STRIPE_LIVEMODE: 'live', STRIPE_ACCOUNTS: 'acct_1,everyone' }));
    expect(problems).toEqual([expect.stringContaining('STRIPE_LIVEMODE must be true'), expect.stringContaining('STRIPE_ACCOUNTS entries must be "platform" or acct_… ids, got "everyone"')]);
  });

  it('refuses a ledger retention shorter than Stripe keeps events', () => {
    expect(problemsOf(() => loadWorkerConfig({ LEDGER_TABLE_NAME: 'l', PROJECTIONS_TABLE_NAME: 'p', LEDGER_RETENTION_DAYS: '7' }))).toHaveLength(1);
  });
});
