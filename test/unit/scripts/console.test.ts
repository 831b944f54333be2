/**
 * `npm run console -- --stage S` checks every permission it needs before it serves anything, names
 * each one missing, and starts without the optional ones, saying what is then not shown. AWS cannot be
 * made to refuse for real here: the stage's clients are answered by aws-sdk-client-mock with errors
 * shaped as the SDK throws them.
 */
import { CloudWatchClient, CloudWatchServiceException, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient, DynamoDBServiceException, QueryCommand } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetQueueAttributesCommand, GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { startConsole, type RunningConsole } from '../../../scripts/console';

const metadata = { httpStatusCode: 400, requestId: 'req-1' };
const API_KEY = 'rk_live_console_test_0000000000';

describe('npm run console -- --stage', () => {
  let mocks: Record<'db' | 'sqs' | 'secretsManager' | 'cloudwatch', ReturnType<typeof mockClient>>;
  let running: RunningConsole | undefined;

  beforeEach(() => {
    // Every client the console makes for the stage is answered here: nothing reaches AWS.
    mocks = { db: mockClient(DynamoDBClient), sqs: mockClient(SQSClient), secretsManager: mockClient(SecretsManagerClient), cloudwatch: mockClient(CloudWatchClient) };
    mocks.sqs.on(GetQueueUrlCommand).callsFake(({ QueueName }: { QueueName: string }) => ({ QueueUrl: `https://sqs.eu-west-1.amazonaws.com/123456789012/${QueueName}` }));
    mocks.sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: '0' } });
    mocks.db.onAnyCommand().resolves({});
    mocks.secretsManager.on(GetSecretValueCommand).resolves({ SecretString: API_KEY });
    mocks.cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
  });
  afterEach(async () => {
    await running?.stop();
    running = undefined;
    for (const mock of Object.values(mocks)) mock.restore();
  });

  async function start(argv: readonly string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const started = await startConsole(argv, { print: (line) => out.push(line), printError: (line) => err.push(line) });
    if (typeof started !== 'number') running = started;
    return { started, out, err };
  }

  it('refuses to start, naming every missing permission, and serves nothing', async () => {
    mocks.db.on(QueryCommand, { IndexName: 'failed-events' }).rejects(new DynamoDBServiceException({ name: 'AccessDeniedException', $fault: 'client', $metadata: metadata, message: 'not authorized' }));
    mocks.cloudwatch.on(GetMetricDataCommand).rejects(new CloudWatchServiceException({ name: 'AccessDenied', $fault: 'client', $metadata: metadata, message: 'not authorized' }));

    const { started, out, err } = await start(['--stage', 'prod', '--region', 'eu-west-1', '--port', '0']);

    expect(started).toBe(1);
    expect(out).toEqual([]);
    expect(err).toEqual([
      'Missing permissions on stage prod (every one, checked before reading anything):',
      '  Your AWS credentials lack dynamodb:Query on prod-stripe-event-ledger/index/failed-events (needed to list failed events). Grant it, or use a role that has it.',
      "  Your AWS credentials lack cloudwatch:GetMetricData on * (needed to draw the console's overview). Grant it, or use a role that has it. (Optional: without it, the overview is not drawn.)",
    ]);
  });

  it('starts without CloudWatch, says the overview is not drawn, and answers the overview with the permission it lacks', async () => {
    mocks.cloudwatch.on(GetMetricDataCommand).rejects(new CloudWatchServiceException({ name: 'AccessDenied', $fault: 'client', $metadata: metadata, message: 'not authorized' }));

    const { started, out, err } = await start(['--stage', 'prod', '--region', 'eu-west-1', '--port', '0']);

    expect(typeof started).toBe('object');
    expect(err).toEqual([expect.stringMatching(/^Note: Your AWS credentials lack cloudwatch:GetMetricData .* Without it, the overview is not drawn\.$/)]);
    expect(out[0]).toBe('Console for stage prod (eu-west-1), reading with your AWS credentials. Open:');
    const { port, token } = running!.server;
    expect(out[1]).toBe(`  http://127.0.0.1:${port}/console?token=${token}`);

    const headers = { 'x-console-token': token };
    const overview = await fetch(`http://127.0.0.1:${port}/api/overview?since=1h`, { headers });
    expect(overview.status).toBe(403);
    expect(((await overview.json()) as { error: { message: string } }).error.message).toMatch(/^Your AWS credentials lack cloudwatch:GetMetricData .*needed to draw the console's overview/);
    const context = await fetch(`http://127.0.0.1:${port}/api/context`, { headers });
    expect(await context.json()).toEqual({ name: 'stage prod (eu-west-1)', kind: 'stage', redriveRate: 50 });
    // The API key was read by the preflight and is in no line printed.
    expect([...out, ...err].join('\n')).not.toContain(API_KEY);
  });

  it('says how to get credentials when there are none', async () => {
    mocks.sqs.on(GetQueueUrlCommand).rejects(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }));

    const { started, err } = await start(['--stage', 'prod']);

    expect(started).toBe(1);
    expect(err).toEqual(['No AWS credentials found: set AWS_PROFILE or run aws sso login / aws configure']);
  });

  it.each([
    [['--port', '4243'], /^Name a stage \(--stage\) or --local, not both/],
    [['--stage', 'prod', '--local'], /^Name a stage \(--stage\) or --local, not both/],
    [['--stage', 'prod', '--port', 'http'], /^--port must be a port number/],
    [['--stage', 'prod', '--bogus'], /^Unknown option '--bogus'/],
  ])('%j: exit 2 before reaching AWS', async (argv, message) => {
    const { started, err } = await start(argv);
    expect(started).toBe(2);
    expect(err[0]).toMatch(message);
    expect(mocks.sqs.calls()).toHaveLength(0);
  });
});
