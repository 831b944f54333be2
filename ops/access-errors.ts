/**
 * What an operator's AWS credentials may not do, said plainly. AWS answers a missing permission with
 * an AccessDenied error whose wording differs by service (and whose own message, when there is one,
 * names an ARN and a policy evaluation); the tools say instead which action on which resource is
 * missing, and what it was needed for. `checkStageAccess` asks every permission the event tools need
 * up front, with one cheap call each, so that an operator learns of all missing ones at once rather
 * than one per attempt.
 */
import { GetMetricDataCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { BatchGetItemCommand, DeleteItemCommand, GetItemCommand, PutItemCommand, QueryCommand, ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  StartMessageMoveTaskCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { PipelineError, describeError } from '../functions/shared/errors';
import { DEAD_LETTER_INDEX, FAILED_INDEX, OBJECT_INDEX, RECEIVED_INDEX, receivedHour } from '../functions/shared/resources';
import type { PipelineResources } from './stage';

/** An SDK command as sent: its class names the API action, its input the resource. */
export interface AwsCommand {
  readonly input: object;
}

/** The IAM action each command the tools send needs (a batch call is authorised by its single action). */
const ACTIONS = new Map<unknown, string>([
  [QueryCommand, 'dynamodb:Query'],
  [GetItemCommand, 'dynamodb:GetItem'],
  [BatchGetItemCommand, 'dynamodb:BatchGetItem'],
  [PutItemCommand, 'dynamodb:PutItem'],
  [DeleteItemCommand, 'dynamodb:DeleteItem'],
  [ScanCommand, 'dynamodb:Scan'],
  [GetQueueUrlCommand, 'sqs:GetQueueUrl'],
  [GetQueueAttributesCommand, 'sqs:GetQueueAttributes'],
  [ReceiveMessageCommand, 'sqs:ReceiveMessage'],
  [ChangeMessageVisibilityBatchCommand, 'sqs:ChangeMessageVisibility'],
  [SendMessageCommand, 'sqs:SendMessage'],
  [SendMessageBatchCommand, 'sqs:SendMessage'],
  [DeleteMessageBatchCommand, 'sqs:DeleteMessage'],
  [StartMessageMoveTaskCommand, 'sqs:StartMessageMoveTask'],
  [ListMessageMoveTasksCommand, 'sqs:ListMessageMoveTasks'],
  [GetSecretValueCommand, 'secretsmanager:GetSecretValue'],
  [GetMetricDataCommand, 'cloudwatch:GetMetricData'],
]);

/** `dynamodb:Query` for a QueryCommand; for a command not mapped, its API name (`PutItem`). */
export function actionOf(command: AwsCommand): string {
  return ACTIONS.get(command.constructor) ?? command.constructor.name.replace(/Command$/, '');
}

/** What a command acts on, as the operator knows it: `table/index/name`, a queue's name, a secret's name. */
export function resourceOf(command: AwsCommand): string {
  const input = command.input as { TableName?: string; IndexName?: string; RequestItems?: object; QueueUrl?: string; QueueName?: string; SecretId?: string };
  if (input.TableName) return input.IndexName ? `${input.TableName}/index/${input.IndexName}` : input.TableName;
  if (input.RequestItems) return Object.keys(input.RequestItems).join(', ');
  if (input.QueueUrl) return input.QueueUrl.slice(input.QueueUrl.lastIndexOf('/') + 1);
  // CloudWatch's metric reads take no resource in a policy: only "*".
  if ('MetricDataQueries' in input) return '*';
  return input.QueueName ?? input.SecretId ?? 'its resource';
}

/** A permission and what it is needed for, e.g. `{ action: 'dynamodb:Query', resource: 'prod-…/index/…', purpose: 'to list events' }`. */
export interface AccessNeed {
  readonly action: string;
  readonly resource: string;
  readonly purpose: string;
}

/** The operator's AWS credentials are missing, refused, or lack a permission. The message says what to do. */
export class AccessError extends PipelineError {
  readonly name = 'AccessError';
  constructor(
    message: string,
    /** The permission missing; absent when the credentials themselves are the problem. */
    readonly need?: AccessNeed,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const NO_CREDENTIALS_MESSAGE = 'No AWS credentials found: set AWS_PROFILE or run aws sso login / aws configure';

const errorNames = (error: unknown): string => {
  const { name, Code } = (error ?? {}) as { name?: unknown; Code?: unknown };
  return `${typeof name === 'string' ? name : ''} ${typeof Code === 'string' ? Code : ''}`;
};

/**
 * Whether AWS refused the call for want of a permission: DynamoDB's and Secrets Manager's
 * `AccessDeniedException`, SQS's `AccessDenied` (or `AWS.SimpleQueueService.AccessDenied` through its
 * query-compatible errors), and the KMS refusals of each (`KmsAccessDenied`, `KMS.AccessDeniedException`).
 */
export function isAccessDenied(error: unknown): boolean {
  return /AccessDenied/i.test(errorNames(error));
}

/** Whether the SDK found no credentials at all (no profile, no environment, no SSO session). */
export function isMissingCredentials(error: unknown): boolean {
  return /\bCredentialsProviderError\b/.test(errorNames(error));
}

/** Whether AWS refused the credentials themselves: an expired session, or keys of no account. */
function isRefusedCredentials(error: unknown): boolean {
  return /\b(ExpiredToken|ExpiredTokenException|UnrecognizedClientException|InvalidClientTokenId)\b/.test(errorNames(error));
}

/** A refusal of the key that encrypts the resource rather than of the resource itself. */
function isKmsRefusal(error: unknown): boolean {
  return /kms/i.test(`${errorNames(error)} ${(error as { message?: unknown })?.message ?? ''}`);
}

/**
 * The error to show for `error`, thrown by `command` sent for `purpose`: an AccessError that names the
 * missing permission, the resource and the purpose, or says the credentials are missing or refused.
 * Any other error is returned as it is.
 *
 * @example
 * explainAccessError(error, { command: query, purpose: 'to list events' }).message
 * // Your AWS credentials lack dynamodb:Query on prod-stripe-event-ledger/index/received-by-hour (needed to list events). Grant it, or use a role that has it.
 */
export function explainAccessError(error: unknown, call: { readonly command: AwsCommand; readonly purpose: string }): unknown {
  if (error instanceof AccessError) return error;
  if (isMissingCredentials(error)) return new AccessError(NO_CREDENTIALS_MESSAGE, undefined, { cause: error });
  if (isRefusedCredentials(error)) {
    return new AccessError(`AWS refused your credentials (${errorNames(error).trim()}): the session has expired or the keys are not valid; run aws sso login or aws configure again`, undefined, { cause: error });
  }
  if (!isAccessDenied(error)) return error;
  const resource = resourceOf(call.command);
  const need: AccessNeed = isKmsRefusal(error)
    ? { action: 'kms:Decrypt', resource: `the KMS key that encrypts ${resource}`, purpose: call.purpose }
    : { action: actionOf(call.command), resource, purpose: call.purpose };
  return new AccessError(`Your AWS credentials lack ${need.action} on ${need.resource} (needed ${need.purpose}). Grant it, or use a role that has it.`, need, { cause: error });
}

/** The AccessError in `error` or its causes (a library may wrap the one its call raised). */
export function accessErrorIn(error: unknown): AccessError | undefined {
  for (let current = error; current instanceof Error; current = current.cause) {
    if (current instanceof AccessError) return current;
  }
  return undefined;
}

interface Sender {
  send(command: AwsCommand, ...rest: never[]): Promise<unknown>;
}

/**
 * The client, with every call it sends for `purpose` explained when AWS refuses it (explainAccessError).
 * The client itself is unchanged: only calls through the returned view are explained.
 *
 * @example
 * const db = explainingAccess(deps.db, 'to list events');
 * await db.send(new QueryCommand({ … }));   // AccessDenied → AccessError naming dynamodb:Query on the index
 */
export function explainingAccess<Client extends Sender>(client: Client, purpose: string): Client {
  return new Proxy(client, {
    get(target, property, receiver) {
      if (property !== 'send') return Reflect.get(target, property, receiver) as unknown;
      return async (command: AwsCommand, ...rest: never[]) => {
        try {
          return await target.send(command, ...rest);
        } catch (error) {
          throw explainAccessError(error, { command, purpose });
        }
      };
    },
  });
}

/** A permission the tools need, as the preflight found it missing. */
export interface AccessProblem {
  readonly need: AccessNeed;
  /** The tools work without it, with less to show. */
  readonly optional: boolean;
  /** What is not shown without it, when it is optional: `an event's payload`. */
  readonly without?: string;
  readonly message: string;
}

export interface AccessReport {
  /** Set when no call could be made at all (no credentials, or refused ones): the one thing to fix first. */
  readonly credentials?: string;
  /** Every permission missing, in the order checked. */
  readonly problems: readonly AccessProblem[];
}

interface Check {
  readonly command: AwsCommand;
  readonly purpose: string;
  /** What is not shown without the permission, when the tools work without it. */
  readonly without?: string;
  readonly send: () => Promise<unknown>;
}

export interface AccessCheckTarget extends Pick<PipelineResources, 'ledgerTableName' | 'queueUrl' | 'deadLetterQueueUrl'> {
  /** The stage's Stripe API key secret; absent locally, where there is none to read. */
  readonly apiKeySecretName?: string;
}

/** Whether the report leaves the tools unable to work. */
export function blocksTools(report: AccessReport): boolean {
  return report.credentials !== undefined || report.problems.some((problem) => !problem.optional);
}

/**
 * Asks, with one cheap call each and all at once, every permission the event tools (the events CLI and
 * the stage console) need: dynamodb:Query on each of the ledger's indexes (one item), GetItem and
 * BatchGetItem on the ledger (a key no event has), sqs:GetQueueAttributes on both queues, and
 * secretsmanager:GetSecretValue on the API key secret (optional: without it an event's detail says its
 * payload is unavailable). Reports every one missing; throws only for what is not about access.
 *
 * sqs:ReceiveMessage on the dead-letter queue, which an event's detail uses to find its payload, is
 * not asked: receiving is the only way to ask, and it would raise the receive count of a message.
 */
export async function checkStageAccess(
  clients: { readonly db: DynamoDBClient; readonly sqs: SQSClient; readonly secretsManager?: SecretsManagerClient; readonly cloudwatch?: CloudWatchClient },
  target: AccessCheckTarget,
  now: number = Date.now(),
): Promise<AccessReport> {
  const table = target.ledgerTableName;
  const noEvent = { eventId: { S: 'evt_access_check' } };
  const check = <Command extends AwsCommand>(command: Command, purpose: string, send: (command: Command) => Promise<unknown>, without?: string): Check => ({
    command,
    purpose,
    ...(without === undefined ? {} : { without }),
    send: () => send(command),
  });
  const queryIndex = (index: { name: string; partitionKey: { name: string } }, partition: string, purpose: string) =>
    check(
      new QueryCommand({
        TableName: table,
        IndexName: index.name,
        KeyConditionExpression: '#partition = :partition',
        ExpressionAttributeNames: { '#partition': index.partitionKey.name },
        ExpressionAttributeValues: { ':partition': { S: partition } },
        Limit: 1,
      }),
      purpose,
      (command) => clients.db.send(command),
    );
  const queueAttributes = (queueUrl: string, purpose: string) =>
    check(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }), purpose, (command) => clients.sqs.send(command));
  const checks = [
    queryIndex(RECEIVED_INDEX, receivedHour('evt_access_check', new Date(now).toISOString()), 'to list events'),
    queryIndex(FAILED_INDEX, '0', 'to list failed events'),
    queryIndex(OBJECT_INDEX, 'access_check', 'to find the events about an object'),
    queryIndex(DEAD_LETTER_INDEX, '0', 'to list dead letters'),
    check(new GetItemCommand({ TableName: table, Key: noEvent }), "to read an event's record", (command) => clients.db.send(command)),
    check(new BatchGetItemCommand({ RequestItems: { [table]: { Keys: [noEvent] } } }), 'to read the events listed', (command) => clients.db.send(command)),
    queueAttributes(target.queueUrl, "to show the event queue's depth"),
    queueAttributes(target.deadLetterQueueUrl, "to show the dead-letter queue's depth"),
  ];
  const { secretsManager } = clients;
  if (target.apiKeySecretName && secretsManager) {
    // The key read is dropped at once: only whether it could be read matters here.
    const readKey = async (command: GetSecretValueCommand) => void (await secretsManager.send(command));
    checks.push(check(new GetSecretValueCommand({ SecretId: target.apiKeySecretName }), "to fetch an event's payload from Stripe's Events API", readKey, "an event's payload is not shown"));
  }
  const { cloudwatch } = clients;
  if (cloudwatch) {
    // The stage console's overview; one metric over the last five minutes is the cheapest question.
    const queueName = target.queueUrl.slice(target.queueUrl.lastIndexOf('/') + 1);
    const metricData = new GetMetricDataCommand({
      StartTime: new Date(now - 300_000),
      EndTime: new Date(now),
      MetricDataQueries: [{ Id: 'check', MetricStat: { Metric: { Namespace: 'AWS/SQS', MetricName: 'NumberOfMessagesSent', Dimensions: [{ Name: 'QueueName', Value: queueName }] }, Period: 300, Stat: 'Sum' } }],
    });
    checks.push(check(metricData, "to draw the console's overview", (command) => cloudwatch.send(command), 'the overview is not drawn'));
  }

  const failures = await Promise.all(
    checks.map(async (asked) => {
      try {
        await asked.send();
        return undefined;
      } catch (error) {
        return { check: asked, error: explainAccessError(error, asked) };
      }
    }),
  );
  const problems: AccessProblem[] = [];
  for (const failure of failures) {
    if (!failure) continue;
    if (!(failure.error instanceof AccessError)) throw missingIndexExplained(failure.error, failure.check.command);
    if (!failure.error.need) return { credentials: failure.error.message, problems: [] };
    const { without } = failure.check;
    problems.push({ need: failure.error.need, optional: without !== undefined, ...(without === undefined ? {} : { without }), message: failure.error.message });
  }
  return { problems };
}

/** A stage deployed before the ledger had its listing indexes answers a query on one with a ValidationException: say how to get it. */
function missingIndexExplained(error: unknown, command: AwsCommand): unknown {
  const { IndexName } = command.input as { IndexName?: string };
  if (!IndexName || !/specified index/i.test(describeError(error))) return error;
  return new Error(`The ledger has no index ${IndexName} (${resourceOf(command)}): the stage was deployed before it existed; deploy the current version (npx cdk deploy)`, { cause: error });
}
