/**
 * Access errors said plainly: which action on which resource is missing, and what for. AWS cannot be
 * made to refuse for real here, so the refusals are errors shaped as the SDK throws them, answered by
 * aws-sdk-client-mock.
 */
import { BatchGetItemCommand, DynamoDBClient, DynamoDBServiceException, GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient, SecretsManagerServiceException } from '@aws-sdk/client-secrets-manager';
import { ChangeMessageVisibilityBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient, SQSServiceException } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { FAILED_INDEX, RECEIVED_INDEX } from '../../../functions/shared/resources';
import {
  AccessError,
  NO_CREDENTIALS_MESSAGE,
  actionOf,
  blocksTools,
  checkStageAccess,
  explainAccessError,
  explainingAccess,
} from '../../../ops/access-errors';

const TABLE = 'prod-stripe-event-ledger';
const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/prod-stripe-events';
const DLQ_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/prod-stripe-events-dlq';
const SECRET = 'prod/stripe/api-key';

const metadata = { httpStatusCode: 400, requestId: 'req-1' };
const notAuthorized = (action: string) => `User: arn:aws:sts::123456789012:assumed-role/Support/alice is not authorized to perform: ${action} because no identity-based policy allows the ${action} action`;

/** DynamoDB's refusal of a missing permission. */
const dynamoDenied = (action = 'dynamodb:Query') => new DynamoDBServiceException({ name: 'AccessDeniedException', $fault: 'client', $metadata: metadata, message: notAuthorized(action) });
/** SQS's, under each name its protocols give it. */
const sqsDenied = (name: string) => new SQSServiceException({ name, $fault: 'client', $metadata: { ...metadata, httpStatusCode: 403 }, message: 'Access to the resource https://sqs… is denied.' });
const secretsDenied = (message = notAuthorized('secretsmanager:GetSecretValue')) =>
  new SecretsManagerServiceException({ name: 'AccessDeniedException', $fault: 'client', $metadata: metadata, message });
/** What the SDK throws when its provider chain finds no credentials. */
const noCredentials = () => Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError', tryNextLink: false });

const query = (index: string) => new QueryCommand({ TableName: TABLE, IndexName: index, KeyConditionExpression: 'k = :k', ExpressionAttributeValues: { ':k': { S: 'x' } } });

describe('explainAccessError', () => {
  it('names the action, the index and the purpose of a refused DynamoDB query', () => {
    const explained = explainAccessError(dynamoDenied(), { command: query(RECEIVED_INDEX.name), purpose: 'to list events' });

    expect(explained).toBeInstanceOf(AccessError);
    expect((explained as AccessError).message).toBe(
      `Your AWS credentials lack dynamodb:Query on ${TABLE}/index/received-by-hour (needed to list events). Grant it, or use a role that has it.`,
    );
    expect((explained as AccessError).need).toEqual({ action: 'dynamodb:Query', resource: `${TABLE}/index/received-by-hour`, purpose: 'to list events' });
  });

  it('takes the action from the command, whatever the error says', () => {
    expect(actionOf(new GetItemCommand({ TableName: TABLE, Key: {} }))).toBe('dynamodb:GetItem');
    expect(actionOf(new BatchGetItemCommand({ RequestItems: {} }))).toBe('dynamodb:BatchGetItem');
    expect(actionOf(new GetQueueAttributesCommand({ QueueUrl: QUEUE_URL }))).toBe('sqs:GetQueueAttributes');
    expect(actionOf(new ReceiveMessageCommand({ QueueUrl: DLQ_URL }))).toBe('sqs:ReceiveMessage');
    // A batch call is authorised by its single action.
    expect(actionOf(new ChangeMessageVisibilityBatchCommand({ QueueUrl: DLQ_URL, Entries: [] }))).toBe('sqs:ChangeMessageVisibility');
    expect(actionOf(new GetSecretValueCommand({ SecretId: SECRET }))).toBe('secretsmanager:GetSecretValue');
  });

  it.each(['AccessDenied', 'AccessDeniedException', 'AWS.SimpleQueueService.AccessDenied'])('knows SQS refusing as %s, and names the queue', (name) => {
    const explained = explainAccessError(sqsDenied(name), { command: new ReceiveMessageCommand({ QueueUrl: DLQ_URL }), purpose: "to find the event's message" });
    expect((explained as AccessError).message).toBe(
      "Your AWS credentials lack sqs:ReceiveMessage on prod-stripe-events-dlq (needed to find the event's message). Grant it, or use a role that has it.",
    );
  });

  it('names the tables of a refused BatchGetItem, and the secret of a refused GetSecretValue', () => {
    expect((explainAccessError(dynamoDenied('dynamodb:BatchGetItem'), { command: new BatchGetItemCommand({ RequestItems: { [TABLE]: { Keys: [] } } }), purpose: 'to read' }) as Error).message).toContain(
      `lack dynamodb:BatchGetItem on ${TABLE} (needed to read)`,
    );
    expect((explainAccessError(secretsDenied(), { command: new GetSecretValueCommand({ SecretId: SECRET }), purpose: 'to read the key' }) as Error).message).toContain(
      `lack secretsmanager:GetSecretValue on ${SECRET} (needed to read the key)`,
    );
  });

  it('says kms:Decrypt when it is the key that encrypts the resource that is refused', () => {
    const sqsKms = new SQSServiceException({ name: 'KmsAccessDenied', $fault: 'client', $metadata: metadata, message: 'The caller does not have the required KMS access.' });
    expect((explainAccessError(sqsKms, { command: new ReceiveMessageCommand({ QueueUrl: DLQ_URL }), purpose: 'to look' }) as Error).message).toBe(
      'Your AWS credentials lack kms:Decrypt on the KMS key that encrypts prod-stripe-events-dlq (needed to look). Grant it, or use a role that has it.',
    );
    const secretKms = secretsDenied('Access to KMS is not allowed');
    expect((explainAccessError(secretKms, { command: new GetSecretValueCommand({ SecretId: SECRET }), purpose: 'to read the key' }) as Error).message).toContain(
      `lack kms:Decrypt on the KMS key that encrypts ${SECRET}`,
    );
  });

  it('says how to get credentials when there are none, and how to renew refused ones', () => {
    expect((explainAccessError(noCredentials(), { command: query(FAILED_INDEX.name), purpose: 'to list' }) as Error).message).toBe(NO_CREDENTIALS_MESSAGE);
    const expired = new DynamoDBServiceException({ name: 'ExpiredTokenException', $fault: 'client', $metadata: metadata, message: 'The security token included in the request is expired' });
    expect((explainAccessError(expired, { command: query(FAILED_INDEX.name), purpose: 'to list' }) as Error).message).toMatch(/AWS refused your credentials \(ExpiredTokenException\).*aws sso login/);
  });

  it('returns any other error as it is', () => {
    const throttled = new DynamoDBServiceException({ name: 'ProvisionedThroughputExceededException', $fault: 'client', $metadata: metadata });
    expect(explainAccessError(throttled, { command: query(FAILED_INDEX.name), purpose: 'to list' })).toBe(throttled);
  });
});

describe('explainingAccess', () => {
  it('explains a refused call sent through it, and leaves the client itself as it was', async () => {
    const db = new DynamoDBClient({ region: 'eu-west-1' });
    const mock = mockClient(db);
    mock.on(QueryCommand).rejects(dynamoDenied());
    try {
      await expect(explainingAccess(db, 'to list events').send(query(RECEIVED_INDEX.name))).rejects.toThrow(
        `lack dynamodb:Query on ${TABLE}/index/received-by-hour (needed to list events)`,
      );
      await expect(db.send(query(RECEIVED_INDEX.name))).rejects.toMatchObject({ name: 'AccessDeniedException' });
    } finally {
      mock.restore();
      db.destroy();
    }
  });
});

describe('checkStageAccess', () => {
  const target = { ledgerTableName: TABLE, queueUrl: QUEUE_URL, deadLetterQueueUrl: DLQ_URL, apiKeySecretName: SECRET };
  let db: DynamoDBClient;
  let sqs: SQSClient;
  let secretsManager: SecretsManagerClient;
  let mocks: { db: ReturnType<typeof mockClient>; sqs: ReturnType<typeof mockClient>; secretsManager: ReturnType<typeof mockClient> };

  beforeEach(() => {
    db = new DynamoDBClient({ region: 'eu-west-1' });
    sqs = new SQSClient({ region: 'eu-west-1' });
    secretsManager = new SecretsManagerClient({ region: 'eu-west-1' });
    mocks = { db: mockClient(db), sqs: mockClient(sqs), secretsManager: mockClient(secretsManager) };
    mocks.db.onAnyCommand().resolves({});
    mocks.sqs.onAnyCommand().resolves({});
    mocks.secretsManager.on(GetSecretValueCommand).resolves({ SecretString: 'rk_test_preflight_0000' });
  });
  afterEach(() => {
    for (const mock of Object.values(mocks)) mock.restore();
  });

  it('finds nothing missing when every call is allowed, with one cheap call per permission', async () => {
    const report = await checkStageAccess({ db, sqs, secretsManager }, target);

    expect(report).toEqual({ problems: [] });
    expect(blocksTools(report)).toBe(false);
    const queries = mocks.db.commandCalls(QueryCommand).map((call) => call.args[0].input);
    expect(queries.map((input) => input.IndexName).sort()).toEqual(['by-object', 'dead-letters', 'failed-events', 'received-by-hour']);
    expect(queries.every((input) => input.Limit === 1)).toBe(true);
    expect(mocks.sqs.commandCalls(GetQueueAttributesCommand).map((call) => call.args[0].input.QueueUrl).sort()).toEqual([QUEUE_URL, DLQ_URL]);
    expect(mocks.secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('reports every missing permission at once, the secret as optional', async () => {
    mocks.db.on(QueryCommand, { IndexName: RECEIVED_INDEX.name }).rejects(dynamoDenied());
    mocks.db.on(QueryCommand, { IndexName: FAILED_INDEX.name }).rejects(dynamoDenied());
    mocks.db.on(BatchGetItemCommand).rejects(dynamoDenied('dynamodb:BatchGetItem'));
    mocks.sqs.on(GetQueueAttributesCommand, { QueueUrl: DLQ_URL }).rejects(sqsDenied('AccessDenied'));
    mocks.secretsManager.on(GetSecretValueCommand).rejects(secretsDenied());

    const report = await checkStageAccess({ db, sqs, secretsManager }, target);

    expect(report.problems.map(({ need, optional }) => [need.action, need.resource, optional])).toEqual([
      ['dynamodb:Query', `${TABLE}/index/received-by-hour`, false],
      ['dynamodb:Query', `${TABLE}/index/failed-events`, false],
      ['dynamodb:BatchGetItem', TABLE, false],
      ['sqs:GetQueueAttributes', 'prod-stripe-events-dlq', false],
      ['secretsmanager:GetSecretValue', SECRET, true],
    ]);
    expect(blocksTools(report)).toBe(true);
  });

  it('does not block the tools for the optional secret alone', async () => {
    mocks.secretsManager.on(GetSecretValueCommand).rejects(secretsDenied());
    const report = await checkStageAccess({ db, sqs, secretsManager }, target);
    expect(report.problems).toHaveLength(1);
    expect(blocksTools(report)).toBe(false);
  });

  it('says once that there are no credentials, rather than once per permission', async () => {
    mocks.db.onAnyCommand().rejects(noCredentials());
    mocks.sqs.onAnyCommand().rejects(noCredentials());
    mocks.secretsManager.onAnyCommand().rejects(noCredentials());

    const report = await checkStageAccess({ db, sqs, secretsManager }, target);

    expect(report).toEqual({ credentials: NO_CREDENTIALS_MESSAGE, problems: [] });
    expect(blocksTools(report)).toBe(true);
  });

  it('says to deploy the current version when the ledger lacks an index', async () => {
    mocks.db
      .on(QueryCommand, { IndexName: RECEIVED_INDEX.name })
      .rejects(new DynamoDBServiceException({ name: 'ValidationException', $fault: 'client', $metadata: metadata, message: 'The table does not have the specified index: received-by-hour' }));
    await expect(checkStageAccess({ db, sqs, secretsManager }, target)).rejects.toThrow(/no index received-by-hour .*deploy the current version/);
  });

  it('asks no secret where there is none (the local stack)', async () => {
    const { apiKeySecretName: _none, ...local } = target;
    await checkStageAccess({ db, sqs }, local);
    expect(mocks.secretsManager.calls()).toHaveLength(0);
  });
});
