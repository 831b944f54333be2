/**
 * The Stripe API configuration of the commands run against `npm start` (`--local`): the API base the
 * running stack uses (its stand-in, or the STRIPE_API_BASE it was given), and the key from
 * STRIPE_API_KEY or else the stand-in's own.
 */
import { loadStripeApiConfig, type StripeApiConfig } from '../functions/shared/config';
import { ConfigError } from '../functions/shared/errors';
import { STANDIN_API_KEY } from './stripe-api/server';

export function localStripeApiConfig(apiBase: string, env: Readonly<Record<string, string | undefined>> = process.env): StripeApiConfig {
  const problems: string[] = [];
  const config = loadStripeApiConfig({ STRIPE_API_KEY: env.STRIPE_API_KEY ?? STANDIN_API_KEY, STRIPE_API_BASE: apiBase, STRIPE_READS_PER_SECOND: env.STRIPE_READS_PER_SECOND }, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
