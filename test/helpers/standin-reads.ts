/** A real Stripe API for the worker's reads in tests: the stand-in, in-process, through the one Stripe client. */
import { createStripeApi } from '../../functions/shared/stripe-api';
import { stripeReads, type StripeReads } from '../../functions/worker/stripe-reads';
import { localStripeApiConfig } from '../../local/local-stripe-api';
import { startStripeApiStandIn, type StripeApiStandIn } from '../../local/stripe-api/server';

export interface StandInReads {
  readonly standIn: StripeApiStandIn;
  readonly reads: StripeReads;
}

export async function startStandInReads(): Promise<StandInReads> {
  const standIn = await startStripeApiStandIn();
  const api = await createStripeApi(localStripeApiConfig(standIn.url, {}));
  return { standIn, reads: stripeReads(async () => api) };
}
