import { ConfigError, StripeApiError } from '../../../functions/shared/errors';
import { loadStripeApiConfig } from '../../../functions/shared/config';
import { translateStripeError } from '../../../functions/shared/stripe-api';

describe('loadStripeApiConfig', () => {
  const load = (env: Record<string, string>) => {
    const problems: string[] = [];
    const config = loadStripeApiConfig(env, problems);
    return { config, problems };
  };

  it('reads the key from the environment or names its secret, with a read rate of 10 by default', () => {
    expect(load({ STRIPE_API_KEY: 'rk_test_abc' }).config).toEqual({ keySource: { kind: 'env', key: 'rk_test_abc' }, readsPerSecond: 10 });
    expect(load({ STRIPE_API_KEY_SECRET_ARN: 'arn:x', STRIPE_API_BASE: 'http://127.0.0.1:12111', STRIPE_READS_PER_SECOND: '25' }).config).toEqual({
      keySource: { kind: 'secrets-manager', secretId: 'arn:x' },
      apiBase: 'http://127.0.0.1:12111',
      readsPerSecond: 25,
    });
  });

  it('lists every problem without repeating the key', () => {
    const { problems } = load({ STRIPE_API_KEY: 'pk_live_publishable_9876', STRIPE_API_BASE: 'not a url', STRIPE_READS_PER_SECOND: '500' });
    expect(problems).toHaveLength(3);
    expect(problems.join(' ')).not.toContain('9876');
    expect(load({}).problems).toEqual([expect.stringContaining('STRIPE_API_KEY')]);
    expect(load({ STRIPE_API_KEY: 'sk_test_x', STRIPE_API_KEY_SECRET_ARN: 'arn:x' }).problems).toEqual([expect.stringContaining('not both')]);
  });

  it('is thrown as one ConfigError by the loaders that use it', () => {
    expect(() => {
      const problems: string[] = [];
      loadStripeApiConfig({}, problems);
      if (problems.length > 0) throw new ConfigError(problems);
    }).toThrow(ConfigError);
  });
});

describe('translateStripeError', () => {
  const stripeError = (statusCode: number | undefined, message: string, extra: Record<string, unknown> = {}) => Object.assign(new Error(message), { statusCode, ...extra });

  it('replaces the message of a refused key, which quotes part of it', () => {
    const error = translateStripeError(stripeError(401, 'Invalid API Key provided: sk_live_****9876'), 'the secret prod/stripe/api-key');
    expect(error).toMatchObject({ failure: 'key_refused', status: 401, retryable: false });
    expect(error.message).toContain('the secret prod/stripe/api-key');
    expect(error.message).not.toContain('9876');
    expect(error.cause).toBeUndefined();
  });

  it.each([
    [404, 'not_found', false],
    [429, 'rate_limited', true],
    [500, 'unavailable', true],
    [undefined, 'unavailable', true],
    [400, 'invalid_request', false],
  ])('maps status %p to %s (retryable: %p)', (status, failure, retryable) => {
    expect(translateStripeError(stripeError(status, 'boom'), 'STRIPE_API_KEY')).toMatchObject({ failure, retryable });
  });

  it('cuts anything shaped like a key from messages it passes on', () => {
    const error = translateStripeError(stripeError(400, 'bad request for sk_test_abcdef123456'), 'STRIPE_API_KEY');
    expect(error.message).not.toContain('abcdef123456');
    expect(error).toBeInstanceOf(StripeApiError);
  });
});
