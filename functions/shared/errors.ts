/**
 * One error hierarchy for the whole pipeline. Core code throws these; only the edges (the API Gateway
 * adapter, the SQS batch adapter) map them to HTTP statuses or batch failures.
 *
 * Messages never contain a secret or a whole signature: they are safe to log and to return.
 */
export abstract class PipelineError extends Error {
  abstract readonly name: string;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The request is the client's fault and retrying it unchanged cannot succeed (maps to 4xx). */
export abstract class BadRequestError extends PipelineError {
  abstract readonly status: 400 | 405 | 413;
}

/** The Stripe-Signature header is missing, malformed, stale, from the future or does not match. */
export class SignatureVerificationError extends BadRequestError {
  readonly name = 'SignatureVerificationError';
  readonly status = 400;
  constructor(
    message: string,
    readonly reason: 'missing_header' | 'malformed_header' | 'no_match' | 'too_old' | 'in_future' | 'empty_body',
  ) {
    super(message);
  }
}

/** The body was correctly signed but is not a Stripe snapshot event. */
export class InvalidEventError extends BadRequestError {
  readonly name = 'InvalidEventError';
  readonly status = 400;
}

export class MethodNotAllowedError extends BadRequestError {
  readonly name = 'MethodNotAllowedError';
  readonly status = 405;
}

export class PayloadTooLargeError extends BadRequestError {
  readonly name = 'PayloadTooLargeError';
  readonly status = 413;
}

/**
 * The event could not be durably queued (SQS refused, timed out, or the signing secrets could not be
 * loaded). Maps to 5xx so that Stripe retries.
 */
export class NotQueuedError extends PipelineError {
  readonly name = 'NotQueuedError';
}

/** Configuration is missing or invalid. Thrown once, at start-up, with every problem listed. */
export class ConfigError extends PipelineError {
  readonly name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n- ${problems.join('\n- ')}`);
  }
}

/** An SQS message on the worker's queue is not a Stripe event. It can never succeed; it ends in the DLQ. */
export class MalformedMessageError extends PipelineError {
  readonly name = 'MalformedMessageError';
}

/** An envelope refers to an event that must be fetched from Stripe, and no Stripe API client is configured. */
export class UnresolvedEventError extends PipelineError {
  readonly name = 'UnresolvedEventError';
  constructor(readonly eventId: string) {
    super(`Thin event ${eventId} must be fetched from Stripe before it can be processed, and no Stripe API client is configured: set STRIPE_API_KEY (local) or the stage's api-key secret`);
  }
}

/** What Stripe's API returned for a thin event is not what the notification named. It fails, to be retried and then dead-lettered. */
export class UnexpectedEventError extends PipelineError {
  readonly name = 'UnexpectedEventError';
}

/** The event's livemode or account is not one this stage accepts (STRIPE_LIVEMODE, STRIPE_ACCOUNTS). It is kept in the DLQ, never done. */
export class RefusedEventError extends PipelineError {
  readonly name = 'RefusedEventError';
}

/** Another delivery of the same event holds a live lease: retry this one after the lease expires. */
export class LeaseHeldError extends PipelineError {
  readonly name = 'LeaseHeldError';
  constructor(readonly eventId: string, readonly leaseExpiresAt: number) {
    super(`Event ${eventId} is being processed by another delivery until ${new Date(leaseExpiresAt).toISOString()}`);
  }
}

/** Our lease expired and another delivery took it over before we could commit; that one will finish. */
export class LeaseLostError extends PipelineError {
  readonly name = 'LeaseLostError';
  constructor(readonly eventId: string) {
    super(`Lease on event ${eventId} was lost before commit; the delivery that holds it now will complete it`);
  }
}

/** DynamoDB cancelled the commit for a reason that a later retry can clear (conflict, throttling). */
export class CommitConflictError extends PipelineError {
  readonly name = 'CommitConflictError';
}

/** Why a Stripe API call failed, in the terms a caller acts on. */
export type StripeApiFailure = 'key_missing' | 'key_refused' | 'not_found' | 'rate_limited' | 'unavailable' | 'invalid_request';

/**
 * A Stripe API call failed. The message says what to do and never carries the API key: Stripe's own
 * message for a refused key quotes part of it, so that message is replaced, not passed on.
 */
export class StripeApiError extends PipelineError {
  readonly name = 'StripeApiError';
  constructor(
    readonly failure: StripeApiFailure,
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** Whether the same call may succeed later (rate limits and outages), as opposed to needing a fix. */
  get retryable(): boolean {
    return this.failure === 'rate_limited' || this.failure === 'unavailable';
  }
}

/** Stripe secret and restricted keys (sk_live_…, rk_test_…) and webhook signing secrets (whsec_…). */
const SECRET_PATTERN = /\b(?:[sr]k_(?:live|test)_|whsec_)[A-Za-z0-9_*]+/g;

/** `text` with anything shaped like a Stripe key or signing secret cut out: a last guard before a message is shown or logged. */
export function redactSecrets(text: string): string {
  return text.replace(SECRET_PATTERN, '[redacted]');
}

/** Short, loggable description of any thrown value. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
