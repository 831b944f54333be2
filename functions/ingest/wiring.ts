/**
 * The one assembly of the ingest: configuration and clients in, handler out. The Lambda entry
 * (handler.ts), the local stack, the tests and the benchmarks all build the ingest here.
 */
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { IngestConfig } from '../shared/config';
import { ConfigError } from '../shared/errors';
import type { Count, Log } from '../shared/observability';
import { MAX_MESSAGE_BYTES } from '../shared/resources';
import { createIngestHandler, type IngestHandler } from './api-gateway';
import { sqsEnqueue } from './enqueue';
import type { Enqueue } from './receive-webhook';
import { SecretCache, secretsManagerSecrets, staticSecrets, type SecretsLoader } from './secrets';

export interface IngestParts {
  readonly config: IngestConfig;
  readonly sqs: SQSClient;
  /** Required when the configuration reads the signing secrets from Secrets Manager. */
  readonly secretsManager?: SecretsManagerClient;
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
  const enqueue = sqsEnqueue(parts.sqs, config.queueUrl);
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

function signingSecrets({ config, secretsManager, log, loadSecrets }: IngestParts): SecretCache {
  if (loadSecrets) return new SecretCache(loadSecrets, { refreshMs: Number.POSITIVE_INFINITY, minRefreshMs: 1_000 });
  const source = config.secretSource;
  if (source.kind === 'env') return new SecretCache(staticSecrets(source.secrets), { refreshMs: Number.POSITIVE_INFINITY });
  if (!secretsManager) throw new ConfigError(['a Secrets Manager client is required to read STRIPE_WEBHOOK_SECRET_ARN']);
  return new SecretCache(secretsManagerSecrets(secretsManager, source.secretId), {
    refreshMs: source.refreshSeconds * 1000,
    onRefreshError: (error) => log.warn('Refreshing signing secrets failed; using cached ones', { error: String(error) }),
  });
}
