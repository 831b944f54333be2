/**
 * The only module that creates AWS SDK clients. Handlers create them once per container, outside the
 * handler, so connections are reused across invocations.
 *
 * An explicit endpoint (from config.ts, for emulators) points the same code at the local stack.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';

/**
 * Time limits for one attempt. Stripe waits about 10 s for our answer, and the SDK retries a timed-out
 * attempt (3 attempts in all), so a stuck connection must fail fast rather than eat that budget.
 */
const requestHandler = { connectionTimeout: 1_000, requestTimeout: 2_500 } as const;

export interface ClientOptions {
  readonly endpoint?: string;
  readonly region?: string;
  /** Only for emulators; on AWS the function's role provides credentials. */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

export function createSqsClient(options: ClientOptions = {}): SQSClient {
  return new SQSClient({ ...options, requestHandler });
}

export function createDynamoDbClient(options: ClientOptions = {}): DynamoDBClient {
  return new DynamoDBClient({ ...options, requestHandler });
}

export function createSecretsManagerClient(options: ClientOptions = {}): SecretsManagerClient {
  return new SecretsManagerClient({ ...options, requestHandler });
}
