/**
 * `npm run events` refuses bad flags in one line before reaching AWS, and names every permission it
 * lacks before reading anything. AWS cannot be made to refuse for real here: the stage's clients are
 * answered by aws-sdk-client-mock with errors shaped as the SDK throws them.
 */
import { BatchGetItemCommand, DynamoDBClient, DynamoDBServiceException, GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient, SecretsManagerServiceException } from '@aws-sdk/client-secrets-manager';
import { GetQueueAttributesCommand, GetQueueUrlCommand, SQSClient, SQSServiceException } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { main } from '../../../scripts/events';

async function run(argv: readonly string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, (line) => out.push(line), { printError: (line) => err.push(line), columns: 160 });
  return { code, out, err };
}

describe('npm run events (bad flags)', () => {
  it.each([
    [['--stage', 'prod', '--bogus'], /^Unknown option '--bogus' \(npm run events -- --help shows the usage\)$/],
    [['--stage', 'prod', '--status', 'lost'], /^--status must be one of processing, completed, ignored, failed, got "lost"/],
    [['--stage', 'prod', '--since', 'yesterday'], /^--since: "yesterday" is not a time/],
    [['--stage', 'prod', '--since', '40d'], /^--since, --until: .* spans 960 hours: one listing covers at most 720/],
    [['--stage', 'prod', '--since', '1h', '--until', '2h'], /^--since, --until: The range starts .* after it ends/],
    [['--stage', 'prod', '--limit', '1001'], /^--limit must be a whole number from 1 to 1000/],
    [['--stage', 'prod', '--local'], /^Give either --stage <stage> \(a deployed stack\) or --local/],
    [['--status', 'failed'], /^Give either --stage/],
    [['--local', '--region', 'eu-west-1'], /^--region applies to --stage only/],
    [['--stage', 'prod', '--id', 'evt_1', '--status', 'failed'], /^--id shows one event: --status applies to listings/],
    [['--stage', 'prod', '--id', 'evt_1', '--type', 'invoice.paid', '--limit', '5'], /^--id shows one event: --type, --limit apply to listings/],
    [['--stage', 'prod', '--id', 'evt_1', '--object', 'pi_1'], /^Give either --id or --object, not both/],
    [['--stage', 'prod', '--object', 'pi_1', '--since', '2h'], /^--object lists every event about the object: --since applies to listings by time/],
  ])('%j: one line, exit 2', async (argv, message) => {
    const { code, out, err } = await run(argv);
    expect(code).toBe(2);
    expect(out).toEqual([]);
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(message);
  });

  it('prints the usage with --help', async () => {
    const { code, out } = await run(['--help']);
    expect(code).toBe(0);
    expect(out.join('\n')).toContain('Usage: npm run events -- (--stage <stage> [--region <region>] | --local)');
  });
});

describe('npm run events (access)', () => {
  const metadata = { httpStatusCode: 400, requestId: 'req-1' };
  const dynamoDenied = () => new DynamoDBServiceException({ name: 'AccessDeniedException', $fault: 'client', $metadata: metadata, message: 'User: arn:aws:sts::123456789012:assumed-role/Support/alice is not authorized' });
  let mocks: { db: ReturnType<typeof mockClient>; sqs: ReturnType<typeof mockClient>; secretsManager: ReturnType<typeof mockClient> };

  beforeEach(() => {
    // Every client the command makes for the stage is answered here: nothing reaches AWS.
    mocks = { db: mockClient(DynamoDBClient), sqs: mockClient(SQSClient), secretsManager: mockClient(SecretsManagerClient) };
    mocks.sqs.on(GetQueueUrlCommand).callsFake(({ QueueName }: { QueueName: string }) => ({ QueueUrl: `https://sqs.eu-west-1.amazonaws.com/123456789012/${QueueName}` }));
    mocks.sqs.on(GetQueueAttributesCommand).resolves({ Attributes: {} });
    mocks.db.onAnyCommand().resolves({});
    mocks.secretsManager.on(GetSecretValueCommand).resolves({ SecretString: 'rk_test_events_cli_0000' });
  });
  afterEach(() => {
    for (const mock of Object.values(mocks)) mock.restore();
  });

  it('names every missing permission at once, exits 1, and reads nothing', async () => {
    mocks.db.on(QueryCommand, { IndexName: 'received-by-hour' }).rejects(dynamoDenied());
    mocks.db.on(BatchGetItemCommand).rejects(dynamoDenied());
    mocks.secretsManager.on(GetSecretValueCommand).rejects(new SecretsManagerServiceException({ name: 'AccessDeniedException', $fault: 'client', $metadata: metadata, message: 'not authorized' }));

    const { code, out, err } = await run(['--stage', 'prod', '--region', 'eu-west-1', '--since', '2h']);

    expect(code).toBe(1);
    expect(out).toEqual([]);
    expect(err).toEqual([
      'Missing permissions on stage prod (every one, checked before reading anything):',
      '  Your AWS credentials lack dynamodb:Query on prod-stripe-event-ledger/index/received-by-hour (needed to list events). Grant it, or use a role that has it.',
      '  Your AWS credentials lack dynamodb:BatchGetItem on prod-stripe-event-ledger (needed to read the events listed). Grant it, or use a role that has it.',
      "  Your AWS credentials lack secretsmanager:GetSecretValue on prod/stripe/api-key (needed to fetch an event's payload from Stripe's Events API). Grant it, or use a role that has it. (Optional: without it, an event's payload is not shown.)",
    ]);
    // Only the preflight's one-item queries ran.
    expect(mocks.db.commandCalls(QueryCommand).every((call) => call.args[0].input.Limit === 1)).toBe(true);
  });

  it('goes on without the optional secret, saying what an event detail then lacks', async () => {
    mocks.secretsManager.on(GetSecretValueCommand).rejects(new SecretsManagerServiceException({ name: 'AccessDeniedException', $fault: 'client', $metadata: metadata, message: 'not authorized' }));

    const { code, err } = await run(['--stage', 'prod', '--id', 'evt_unknown']);

    expect(err[0]).toMatch(/^Note: Your AWS credentials lack secretsmanager:GetSecretValue on prod\/stripe\/api-key .* Without it, the payload is not shown\.$/);
    expect(mocks.db.commandCalls(GetItemCommand).map((call) => call.args[0].input.Key)).toContainEqual({ eventId: { S: 'evt_unknown' } });
    expect(err[1]).toBe('No event evt_unknown in the ledger of stage prod.');
    expect(code).toBe(1);
  });

  it('says how to get credentials when there are none', async () => {
    mocks.sqs.on(GetQueueUrlCommand).rejects(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }));

    const { code, err } = await run(['--stage', 'prod']);

    expect(code).toBe(1);
    expect(err).toEqual(['No AWS credentials found: set AWS_PROFILE or run aws sso login / aws configure']);
  });

  it("names sqs:GetQueueUrl when the stage's queues may not be looked up", async () => {
    mocks.sqs.on(GetQueueUrlCommand).rejects(new SQSServiceException({ name: 'AccessDenied', $fault: 'client', $metadata: { ...metadata, httpStatusCode: 403 }, message: 'Access to the resource is denied.' }));

    const { code, err } = await run(['--stage', 'prod']);

    expect(code).toBe(1);
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(/^Your AWS credentials lack sqs:GetQueueUrl on prod-stripe-events(-dlq)? \(needed to find the stage's queues\)/);
  });
});
