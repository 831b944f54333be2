/**
 * The API Gateway adapter: proxy event → core → HTTP response. The only place where pipeline errors
 * become status codes.
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import { BadRequestError, MethodNotAllowedError, NotQueuedError, SignatureVerificationError, describeError } from '../shared/errors';
import type { Count, Log } from '../shared/observability';
import { receiveWebhook, type ReceiveDeps } from './receive-webhook';
import { fromApiGatewayEvent, type ApiGatewayEvent } from './request';

export interface IngestAdapterDeps extends ReceiveDeps {
  readonly log: Log;
  readonly count: Count;
  /** Called after every request, e.g. to flush metrics. */
  readonly afterRequest?: () => void;
}

export type IngestHandler = (event: ApiGatewayEvent) => Promise<APIGatewayProxyResult>;

export function createIngestHandler(deps: IngestAdapterDeps): IngestHandler {
  return async (event) => {
    try {
      const received = await receiveWebhook(fromApiGatewayEvent(event), deps);
      deps.log.info('Event queued', { eventId: received.id, eventType: received.type, form: received.form });
      // No metric on success: SQS counts the messages sent to the queue itself (NumberOfMessagesSent,
      // on the dashboard), and flushing a metric line per webhook doubled the ingest's CPU (BENCHMARKS.md).
      return json(200, { received: true });
    } catch (error) {
      return errorResponse(error, deps);
    } finally {
      deps.afterRequest?.();
    }
  };
}

function errorResponse(error: unknown, { log, count }: IngestAdapterDeps): APIGatewayProxyResult {
  if (error instanceof BadRequestError) {
    if (error instanceof SignatureVerificationError) {
      count('SignatureFailures');
      log.warn('Signature verification failed', { reason: error.reason });
    } else {
      count('BadRequests');
      log.warn('Bad request', { error: describeError(error) });
    }
    const headers = error instanceof MethodNotAllowedError ? { allow: 'POST' } : undefined;
    return json(error.status, { error: { type: error.name, message: error.message } }, headers);
  }
  if (error instanceof NotQueuedError) {
    count('EnqueueFailures');
    log.error('Event not queued; answering 503 so that Stripe retries', { error: describeError(error) });
    return json(503, { error: { type: error.name, message: 'Event not queued, retry later' } });
  }
  count('IngestErrors');
  log.error('Unexpected ingest error; answering 500 so that Stripe retries', { error: describeError(error) });
  return json(500, { error: { type: 'InternalError', message: 'Internal error, retry later' } });
}

function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return { statusCode, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}
