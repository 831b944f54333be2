/**
 * Raw body + Stripe-Signature header + signing secrets → a verified Stripe event (snapshot or thin).
 *
 * The HMAC check itself is Stripe's (`Stripe.webhooks.signature.verifyHeader`); this module adds what a
 * production endpoint needs around it: several secrets during a roll, a tolerance that can never be 0,
 * rejection of timestamps from the future, and errors that never echo the secret or the signature.
 */
import Stripe from 'stripe';
import { InvalidEventError, SignatureVerificationError } from '../shared/errors';
import { asStripePayload, type StripePayload } from '../shared/stripe-event';

export interface VerifyOptions {
  /** Every secret currently valid for the endpoint; a signature from any one of them is accepted. */
  readonly secrets: readonly string[];
  /** Maximum signature age in seconds, and the allowed clock skew into the future. Must be ≥ 1. */
  readonly toleranceSeconds: number;
  /** The clock, in epoch milliseconds. A parameter so that tests pass a fixed time. */
  readonly now: number;
}

/** Stripe's messages for problems that do not depend on which secret is tried. */
const MALFORMED_HEADER_MESSAGES = ['Unable to extract timestamp and signatures from header', 'No signatures found with expected scheme'];
const TOO_OLD_MESSAGE = 'Timestamp outside the tolerance zone';

/**
 * Verifies the signature over the exact raw bytes, then parses and checks the event.
 *
 * @throws SignatureVerificationError when the header is missing, malformed, stale, from the future or matches no secret.
 * @throws InvalidEventError when a correctly signed body is neither a snapshot event nor a thin notification.
 *
 * @example
 * const payload = verifyStripeEvent(rawBody, headers['stripe-signature'], { secrets, toleranceSeconds: 300, now: Date.now() });
 */
export function verifyStripeEvent(rawBody: Buffer, signatureHeader: string | undefined, options: VerifyOptions): StripePayload {
  verifySignature(rawBody, signatureHeader, options);
  return parseEvent(rawBody.toString('utf8'));
}

export function verifySignature(rawBody: Buffer, signatureHeader: string | undefined, options: VerifyOptions): void {
  const { secrets, toleranceSeconds, now } = options;
  // Stripe's verifyHeader treats a tolerance of 0 as "skip the age check"; we never allow that.
  if (!Number.isInteger(toleranceSeconds) || toleranceSeconds < 1) {
    throw new RangeError(`toleranceSeconds must be a positive whole number, got ${toleranceSeconds}`);
  }
  if (secrets.length === 0) throw new RangeError('at least one signing secret is required');
  if (signatureHeader === undefined || signatureHeader.trim() === '') {
    throw new SignatureVerificationError('Missing Stripe-Signature header', 'missing_header');
  }
  if (rawBody.length === 0) {
    throw new SignatureVerificationError('Empty body: send the raw event JSON that Stripe signed', 'empty_body');
  }
  const timestamp = signatureTimestamp(signatureHeader);
  if (!Number.isSafeInteger(timestamp)) throw malformedHeader();

  let matched = false;
  for (const secret of secrets) {
    try {
      Stripe.webhooks.signature!.verifyHeader(rawBody, signatureHeader, secret, toleranceSeconds, undefined, now);
      matched = true;
      break;
    } catch (error) {
      const message = error instanceof Error ? error.message : '';
      if (MALFORMED_HEADER_MESSAGES.some((known) => message.startsWith(known))) {
        throw malformedHeader();
      }
      if (message.startsWith(TOO_OLD_MESSAGE)) {
        throw new SignatureVerificationError(`Signature timestamp is older than the ${toleranceSeconds} s tolerance`, 'too_old');
      }
      // No match with this secret: during a roll the next one may match.
    }
  }
  if (!matched) {
    throw new SignatureVerificationError(
      'No signature matches the payload: check the endpoint secret and that the raw body is forwarded unchanged',
      'no_match',
    );
  }

  // Stripe only checks the age. A timestamp far ahead of our clock is as suspicious as a stale one.
  if (timestamp - Math.floor(now / 1000) > toleranceSeconds) {
    throw new SignatureVerificationError(`Signature timestamp is more than ${toleranceSeconds} s in the future`, 'in_future');
  }
}

/**
 * Parses the verified body, decoded as UTF-8: a snapshot event, or a thin notification (signed the
 * same way; stripe-node's parseEventNotification is this same check and parse). Only called after the
 * signature matched, so the bytes are Stripe's.
 */
export function parseEvent(body: string): StripePayload {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new InvalidEventError('Body is not valid JSON');
  }
  const result = asStripePayload(parsed);
  if (typeof result === 'string') throw new InvalidEventError(`Not a Stripe event: ${result}`);
  return result;
}

/** The `t=` element of the header, or NaN when there is none or it is not a number. */
function signatureTimestamp(header: string): number {
  for (const element of header.split(',')) {
    const [key, value] = element.split('=');
    if (key?.trim() === 't') return /^\d{1,12}$/.test(value ?? '') ? Number(value) : Number.NaN;
  }
  return Number.NaN;
}

function malformedHeader(): SignatureVerificationError {
  return new SignatureVerificationError('Malformed Stripe-Signature header: expected "t=<timestamp>,v1=<signature>"', 'malformed_header');
}
