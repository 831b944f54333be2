/**
 * The only module that creates AWS SDK clients. Handlers create them once per container, outside the
 * handler, so connections are reused across invocations.
 *
 * An explicit endpoint (from config.ts, for emulators) points the same code at the local stack.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';

import { REQUEST_TIME_LIMITS as requestHandler } from './request-time-limits';

/**
 * Resolve each command's middleware stack once per client, not on every call: it cuts the SDK's CPU
 * per call by about a third (BENCHMARKS.md). Middleware added after a command's first call is then
 * not seen by that command; nothing here adds any (test helpers that do reset the cache).
 */
const cacheMiddleware = true;

export interface ClientOptions {
  readonly endpoint?: string;
  readonly region?: string;
  /** Only for emulators; on AWS the function's role provides credentials. */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

export function createSqsClient(options: ClientOptions = {}): SQSClient {
  return withoutSdkLogging(new SQSClient({ ...options, requestHandler, cacheMiddleware }));
}

export function createDynamoDbClient(options: ClientOptions = {}): DynamoDBClient {
  return withoutSdkLogging(new DynamoDBClient({ ...options, requestHandler, cacheMiddleware }));
}

export function createSecretsManagerClient(options: ClientOptions = {}): SecretsManagerClient {
  return withoutSdkLogging(new SecretsManagerClient({ ...options, requestHandler, cacheMiddleware }));
}

/**
 * The SDK's logger middleware copies every request, field by field, to mask its sensitive members,
 * even for the default no-op logger; no client here has a logger, so the copy was pure cost: a third
 * of the worker's CPU per event (BENCHMARKS.md).
 */
function withoutSdkLogging<Client extends { middlewareStack: { remove(name: string): boolean } }>(client: Client): Client {
  client.middlewareStack.remove('loggerMiddleware');
  return client;
}
