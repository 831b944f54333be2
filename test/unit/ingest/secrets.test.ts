import { AwsJsonClient, SECRETS_MANAGER_SERVICE } from '../../../functions/ingest/aws-json-client';
import { SecretCache, parseSecretString, secretsManagerSecrets } from '../../../functions/ingest/secrets';
import { NotQueuedError } from '../../../functions/shared/errors';
import { scriptedAws, type ScriptedAnswer } from '../../helpers/aws-answers';

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('SecretCache', () => {
  it('fetches once and serves the cache until the refresh interval has passed', async () => {
    const time = clock();
    const load = jest.fn(async () => ['whsec_a']);
    const cache = new SecretCache(load, { refreshMs: 60_000, now: time.now });

    await cache.get();
    time.advance(59_999);
    await cache.get();
    expect(load).toHaveBeenCalledTimes(1);

    time.advance(1);
    await cache.get();
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('shares one fetch between concurrent cold requests', async () => {
    const load = jest.fn(async () => ['whsec_a']);
    const cache = new SecretCache(load, { refreshMs: 60_000 });
    await Promise.all([cache.get(), cache.get(), cache.get()]);
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('keeps serving cached secrets when a refresh fails, and reports it', async () => {
    const time = clock();
    const onRefreshError = jest.fn();
    let fail = false;
    const cache = new SecretCache(async () => (fail ? Promise.reject(new Error('throttled')) : ['whsec_a']), { refreshMs: 1000, now: time.now, onRefreshError });

    await cache.get();
    fail = true;
    time.advance(5000);

    await expect(cache.get()).resolves.toEqual(['whsec_a']);
    expect(onRefreshError).toHaveBeenCalledTimes(1);
  });

  it('throws NotQueuedError when the first fetch fails', async () => {
    const cache = new SecretCache(async () => Promise.reject(new Error('AccessDeniedException')), { refreshMs: 1000 });
    await expect(cache.get()).rejects.toBeInstanceOf(NotQueuedError);
  });

  it('refreshes early after a mismatch, but at most once per minimum interval', async () => {
    const time = clock();
    const load = jest.fn(async () => ['whsec_a']);
    const cache = new SecretCache(load, { refreshMs: 3_600_000, minRefreshMs: 30_000, now: time.now });
    await cache.get();

    expect(await cache.refreshAfterMismatch()).toBeUndefined();
    expect(load).toHaveBeenCalledTimes(1);

    time.advance(30_000);
    load.mockResolvedValueOnce(['whsec_a', 'whsec_b']);
    expect(await cache.refreshAfterMismatch()).toEqual(['whsec_a', 'whsec_b']);
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('reports no new secrets when an early refresh finds the same ones', async () => {
    const time = clock();
    const cache = new SecretCache(async () => ['whsec_a'], { refreshMs: 3_600_000, minRefreshMs: 0, now: time.now });
    await cache.get();
    time.advance(1);
    expect(await cache.refreshAfterMismatch()).toBeUndefined();
  });
});

describe('parseSecretString', () => {
  it.each([
    ['a single secret', 'whsec_a', ['whsec_a']],
    ['a comma-separated list', ' whsec_a , whsec_b ', ['whsec_a', 'whsec_b']],
    ['a JSON array', '["whsec_a","whsec_b"]', ['whsec_a', 'whsec_b']],
    ['a JSON object with secrets', '{"secrets":["whsec_a"]}', ['whsec_a']],
  ])('reads %s', (_, value, expected) => {
    expect(parseSecretString(value)).toEqual(expected);
  });

  it('rejects JSON of the wrong shape without quoting it', () => {
    expect(() => parseSecretString('{"secret":"whsec_leak"}')).toThrow(/array of strings/);
    expect(() => parseSecretString('{"secret":"whsec_leak"}')).not.toThrow(/whsec_leak/);
    expect(() => parseSecretString('{whsec_leak')).not.toThrow(/whsec_leak/);
  });
});

describe('secretsManagerSecrets', () => {
  // There is no Secrets Manager emulator here, so its answers are scripted.
  const endpoint = new URL('https://secretsmanager.us-east-1.amazonaws.com');
  function secretsAnswering(answer: ScriptedAnswer) {
    const aws = scriptedAws(() => answer);
    const client = new AwsJsonClient({ service: SECRETS_MANAGER_SERVICE, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, requestHandler: aws });
    return { load: secretsManagerSecrets(client, endpoint, 'arn:secret'), aws };
  }

  it('reads the secret string of the configured secret', async () => {
    const { load, aws } = secretsAnswering({ body: { SecretString: 'whsec_a,whsec_b' } });
    await expect(load()).resolves.toEqual(['whsec_a', 'whsec_b']);
    expect(aws.requests[0]).toMatchObject({ target: 'secretsmanager.GetSecretValue', input: { SecretId: 'arn:secret' } });
  });

  it('fails on a binary secret', async () => {
    const { load } = secretsAnswering({ body: { SecretBinary: 'AQ==' } });
    await expect(load()).rejects.toThrow(/no string value/);
  });

  it('fails with AWS’s reason when it is refused', async () => {
    const { load } = secretsAnswering({ status: 400, body: { __type: 'AccessDeniedException', message: 'not authorized to perform secretsmanager:GetSecretValue' } });
    await expect(load()).rejects.toThrow(/GetSecretValue answered 400 AccessDeniedException: not authorized/);
  });
});
