/**
 * The one assembly of the ingest: configuration and clients in, handler out. The Lambda entry
 * (handler.ts), the local stack, the tests and the benchmarks all build the ingest here.
 */
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import type { IngestConfig } from '../shared/config';
import type { Count, Log } from '../shared/observability';
import { MAX_MESSAGE_BYTES } from '../shared/resources';
import { createIngestHandler, type IngestHandler } from './api-gateway';
import { AwsJsonClient, SECRETS_MANAGER_SERVICE, SQS_SERVICE, type AwsJsonClientOptions } from './aws-json-client';
import { sqsEnqueue } from './enqueue';
import type { Enqueue } from './receive-webhook';
import { SecretCache, secretsManagerSecrets, staticSecrets, type SecretsLoader } from './secrets';

export interface IngestParts {
  readonly config: IngestConfig;
  /** Signs the calls to SQS and Secrets Manager: the function role's, on AWS; the emulators' dummies, locally. */
  readonly credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** Replaces the HTTP handler of those calls, e.g. with the benchmarks' stub. */
  readonly requestHandler?: AwsJsonClientOptions['requestHandler'];
  readonly log: Log;
  readonly count: Count;
  /**
   * Reads the signing secrets instead of the configured source, e.g. the local stack's secret file,
   * which `npm run stripe:endpoint -- --local` rewrites: it is read again on a signature mismatch.
   */
  readonly loadSecrets?: SecretsLoader;
  /** Wraps the enqueue, e.g. with fault injection. */
  readonly decorateEnqueue?: (enqueue: Enqueue) => Enqueue;
  /** Called after every request, e.g. to flush metrics. */
  readonly afterRequest?: () => void;
  /** @default Date.now */
  readonly now?: () => number;
}

export function wireIngest(parts: IngestParts): IngestHandler {
  const { config, log } = parts;
  const enqueue = sqsEnqueue(awsClient(parts, SQS_SERVICE), config.queueUrl, config.endpoints.sqs);
  return createIngestHandler({
    secrets: signingSecrets(parts),
    enqueue: parts.decorateEnqueue ? parts.decorateEnqueue(enqueue) : enqueue,
    toleranceSeconds: config.toleranceSeconds,
    maxMessageBytes: MAX_MESSAGE_BYTES,
    now: parts.now ?? Date.now,
    log,
    count: parts.count,
    ...(parts.afterRequest ? { afterRequest: parts.afterRequest } : {}),
  });
}

function awsClient({ config, credentials, requestHandler }: IngestParts, service: AwsJsonClientOptions['service']): AwsJsonClient {
  return new AwsJsonClient({ service, region: config.region, credentials, ...(requestHandler ? { requestHandler } : {}) });
}

function signingSecrets(parts: IngestParts): SecretCache {
  const { config, log, loadSecrets } = parts;
  if (loadSecrets) return new SecretCache(loadSecrets, { refreshMs: Number.POSITIVE_INFINITY, minRefreshMs: 1_000 });
  const source = config.secretSource;
  if (source.kind === 'env') return new SecretCache(staticSecrets(source.secrets), { refreshMs: Number.POSITIVE_INFINITY });
  const endpoint = new URL(config.endpoints.secretsManager ?? `https://secretsmanager.${config.region}.amazonaws.com`);
  return new SecretCache(secretsManagerSecrets(awsClient(parts, SECRETS_MANAGER_SERVICE), endpoint, source.secretId), {
    refreshMs: source.refreshSeconds * 1000,
    onRefreshError: (error) => log.warn('Refreshing signing secrets failed; using cached ones', { error: String(error) }),
  });
}
