/**
 * Time limits for one attempt of a call to AWS, for the SDK clients (clients.ts) and the ingest's own
 * calls (functions/ingest/aws-json-client.ts). Stripe waits about 10 s for our answer, and a timed-out
 * attempt is retried (3 attempts in all), so a stuck connection must fail fast rather than eat that
 * budget. A module of its own so that importing it loads no SDK client.
 */
export const REQUEST_TIME_LIMITS = { connectionTimeout: 1_000, requestTimeout: 2_500 } as const;
