/**
 * The reference the ingest's cold start is compared with (issue 12): what a minimal hand-built ingest
 * would load, the SDK's SQS client and stripe's webhook verifier, nothing else. Bundled with the
 * ingest's own options; its module init builds the client, as a handler would.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import Stripe from 'stripe';

export const sqs = new SQSClient({});
export const verifyHeader = Stripe.webhooks.signature!.verifyHeader;
