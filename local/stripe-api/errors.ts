/**
 * The errors the stand-in answers with, shaped and worded as Stripe's own, so that stripe-node turns
 * each into the same error class (StripeAuthenticationError, StripeInvalidRequestError,
 * StripeRateLimitError, StripeAPIError) that the real API would give.
 *
 * No message ever holds a whole API key: a refused key is quoted masked, as Stripe does.
 */

/**
 * The `error` object of a Stripe error response. A v1 route answers `invalid_request_error` or
 * `api_error`; a v2 route names the failure itself in `type` (`not_found`).
 */
export interface StripeErrorBody {
  readonly type: 'invalid_request_error' | 'api_error' | 'not_found';
  readonly message: string;
  readonly code?: string;
  readonly param?: string;
}

/** A Stripe-shaped error response. Routes throw it; the server writes it. */
export class StripeErrorResponse extends Error {
  readonly name = 'StripeErrorResponse';

  constructor(
    readonly status: number,
    readonly body: StripeErrorBody,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(body.message);
  }
}

export const invalidRequest = (status: number, message: string, extra: { code?: string; param?: string } = {}) =>
  new StripeErrorResponse(status, { type: 'invalid_request_error', message, ...extra });

/** `sk_test_****abcd`: the key's kind and its last four characters, never more. */
function maskKey(key: string): string {
  const prefix = /^(?:sk|rk|pk)_(?:test|live)_/.exec(key)?.[0] ?? '';
  const rest = key.slice(prefix.length);
  // A short key would be given away whole by its last four characters.
  return `${prefix}****${rest.length > 8 ? rest.slice(-4) : ''}`;
}

export const missingApiKey = () =>
  invalidRequest(
    401,
    "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
  );

export const invalidApiKey = (key: string) => invalidRequest(401, `Invalid API Key provided: ${maskKey(key)}`, { code: 'api_key_invalid' });

export const unrecognizedUrl = (method: string, path: string) =>
  invalidRequest(404, `Unrecognized request URL (${method}: ${path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`);

/** 404 for an id in the path (`No such event: 'evt_x'`); 400 when the id came as a parameter, such as a cursor. */
export const resourceMissing = (noun: string, id: string, param = 'id') =>
  invalidRequest(param === 'id' ? 404 : 400, `No such ${noun}: '${id}'`, { code: 'resource_missing', param });

/**
 * A v2 route's 404 (`/v2/…`): v2 errors name the failure in `type` and `code`. stripe-node reads a /v2
 * error with generateV2Error, which knows no `not_found` type and falls back to the status: a
 * StripeInvalidRequestError with statusCode 404, as for a v1 404.
 */
export const v2NotFound = (noun: string, id: string) => new StripeErrorResponse(404, { type: 'not_found', code: 'not_found', message: `No such ${noun}: '${id}'` });

export const invalidParam = (param: string, message: string, code?: string) => invalidRequest(400, message, { param, ...(code ? { code } : {}) });

export const unknownParam = (param: string) => invalidRequest(400, `Received unknown parameter: ${param}`, { code: 'parameter_unknown', param });

export const missingParam = (param: string) => invalidRequest(400, `Missing required param: ${param}.`, { code: 'parameter_missing', param });

export const rateLimited = (retryAfterSeconds: number) =>
  new StripeErrorResponse(
    429,
    {
      type: 'invalid_request_error',
      code: 'rate_limit',
      message: 'Request rate limit exceeded. You can learn more about rate limits here https://stripe.com/docs/rate-limits.',
    },
    { 'retry-after': String(retryAfterSeconds) },
  );

const SERVER_ERRORS: Readonly<Record<number, string>> = {
  500: 'An unknown error occurred while processing your request. Please try again.',
  502: 'Bad gateway: Stripe could not complete your request. Please try again.',
  503: 'Stripe is temporarily unavailable. Please try again.',
};

export const serverError = (status: number) => new StripeErrorResponse(status, { type: 'api_error', message: SERVER_ERRORS[status] ?? SERVER_ERRORS[500]! });
