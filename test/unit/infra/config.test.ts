import { ConfigValidationError, DEFAULT_CONFIG, loadPipelineConfig } from '../../../infra/config';

const fromContext = (context: Record<string, unknown>) => () => loadPipelineConfig((key) => context[key]);

function problemsOf(context: Record<string, unknown>): readonly string[] {
  try {
    fromContext(context)();
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.problems;
    throw error;
  }
  return [];
}

describe('loadPipelineConfig', () => {
  it('uses the defaults when no context is given', () => {
    expect(fromContext({})()).toEqual(DEFAULT_CONFIG);
  });

  it('reads context values given as strings on the command line', () => {
    expect(fromContext({ stage: 'prod', alarmEmail: 'ops@example.com', maxConcurrency: '50' })()).toMatchObject({ stage: 'prod', alarmEmail: 'ops@example.com', maxConcurrency: 50 });
  });

  it.each([
    [{ stage: 'Prod_1' }, /stage must be/],
    [{ alarmEmail: 'not-an-address' }, /alarmEmail must be an e-mail/],
    [{ maxConcurrency: '1' }, /maxConcurrency must be a whole number from 2/],
    [{ batchSize: '100', batchingWindowSeconds: '0' }, /batchingWindowSeconds of at least 1/],
    [{ logRetentionDays: '10' }, /logRetentionDays must be one of/],
  ])('refuses %j', (context, message) => {
    expect(problemsOf(context)).toEqual([expect.stringMatching(message)]);
  });

  it('reports every problem at once', () => {
    expect(problemsOf({ stage: '', batchSize: 'x', ingestTimeoutSeconds: '60' })).toHaveLength(3);
  });
});
