/**
 * The pure parts of the endpoint tool (the desired endpoint, the diff, how endpoints are read as a
 * state, the rotation's next step, durations), and the two secret stores.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetSecretValueCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import type Stripe from 'stripe';
import { PINNED_API_VERSION } from '../../../functions/shared/stripe-api';
import { registry } from '../../../functions/worker/actions';
import { devSecret, localSecrets, localSecretStore, readDevSecrets } from '../../../local/dev-secret';
import { formatDuration, nextRotationStep, parseDuration } from '../../../ops/endpoint-rotation';
import { secretsManagerSecretStore } from '../../../ops/signing-secret-store';
import {
  MANAGED_BY,
  classifyEndpoints,
  desiredEndpoint,
  endpointDescription,
  planUpdate,
  secretFingerprint,
  secretsOf,
} from '../../../ops/webhook-endpoint';

const URL = 'https://abc123.execute-api.eu-west-1.amazonaws.com/webhook';
const OLD_SECRET = 'whsec_old_0123456789abcdef';
const NEW_SECRET = 'whsec_new_fedcba9876543210';
const HOUR = 3_600_000;
const T0 = Date.parse('2026-11-01T00:00:00Z');

/** A webhook endpoint as Stripe lists it, managed by the tool and up to date unless overridden. */
function endpoint(overrides: Partial<Stripe.WebhookEndpoint> = {}): Stripe.WebhookEndpoint {
  return {
    id: 'we_old',
    object: 'webhook_endpoint',
    api_version: PINNED_API_VERSION,
    application: null,
    created: Math.floor(T0 / 1000) - 86_400,
    description: endpointDescription('prod'),
    enabled_events: [...registry.snapshotTypes].sort(),
    livemode: false,
    metadata: { managed_by: MANAGED_BY, stage: 'prod', secret_fingerprint: secretFingerprint(OLD_SECRET) },
    status: 'enabled',
    url: URL,
    ...overrides,
  };
}

/** The new endpoint of a rotation that started at `startedAt`. */
function incoming(startedAt = T0, overrides: Partial<Stripe.WebhookEndpoint> = {}): Stripe.WebhookEndpoint {
  return endpoint({
    id: 'we_new',
    created: Math.floor(startedAt / 1000),
    metadata: { managed_by: MANAGED_BY, stage: 'prod', secret_fingerprint: secretFingerprint(NEW_SECRET), replaces: 'we_old', rotation_started_at: new Date(startedAt).toISOString() },
    ...overrides,
  });
}

describe('secretFingerprint', () => {
  it('is the first 12 hex characters of the SHA-256, and differs between secrets', () => {
    expect(secretFingerprint(OLD_SECRET)).toMatch(/^[0-9a-f]{12}$/);
    expect(secretFingerprint(OLD_SECRET)).toBe(secretFingerprint(OLD_SECRET));
    expect(secretFingerprint(OLD_SECRET)).not.toBe(secretFingerprint(NEW_SECRET));
  });
});

describe('desiredEndpoint', () => {
  it('enables exactly the handled snapshot types, sorted, on the pinned API version', () => {
    const desired = desiredEndpoint({ url: URL, stage: 'prod' });

    expect(desired.enabled_events).toEqual([...registry.snapshotTypes].sort());
    // A thin-only type is no v1 event: a webhook endpoint cannot subscribe to it.
    expect(desired.enabled_events).not.toContain('v1.billing.meter.error_report_triggered');
    expect(desired.enabled_events).not.toContain('*');
    expect(desired.api_version).toBe(PINNED_API_VERSION);
    expect(desired.description).toBe('Stripe webhooks on AWS, stage prod');
    expect(desired.metadata).toEqual({ managed_by: 'stripe-webhooks-aws', stage: 'prod' });
  });

  it('refuses "*" and an empty list', () => {
    expect(() => desiredEndpoint({ url: URL, stage: 'prod', types: ['*'] })).toThrow(/never "\*"/);
    expect(() => desiredEndpoint({ url: URL, stage: 'prod', types: [] })).toThrow(/never "\*"/);
  });
});

describe('planUpdate', () => {
  const desired = desiredEndpoint({ url: URL, stage: 'prod' });

  it('finds nothing to change on an endpoint that matches', () => {
    expect(planUpdate(endpoint(), desired)).toEqual({ changes: [], params: {}, apiVersionDiffers: false });
  });

  it('replaces "*" with the handled types', () => {
    const { changes, params } = planUpdate(endpoint({ enabled_events: ['*'] }), desired);

    expect(changes).toEqual([{ field: 'enabled_events', from: '* (every event type)', to: `${desired.enabled_events.length} types` }]);
    expect(params).toEqual({ enabled_events: desired.enabled_events });
  });

  it('names the event types it adds and removes, whatever their order', () => {
    const [first, ...rest] = desired.enabled_events;
    const { changes } = planUpdate(endpoint({ enabled_events: [...rest].reverse().concat('customer.created') }), desired);

    expect(changes).toEqual([{ field: 'enabled_events', from: `${rest.length + 1} types`, to: `${desired.enabled_events.length} types (+${first} -customer.created)` }]);
  });

  it('sends only the metadata keys that differ, so the fingerprint and the merchant\'s keys stay', () => {
    const { changes, params } = planUpdate(endpoint({ metadata: { stage: 'staging', team: 'payments', secret_fingerprint: 'abc' } }), desired);

    expect(changes.map((change) => change.field)).toEqual(['metadata.managed_by', 'metadata.stage']);
    expect(params).toEqual({ metadata: { managed_by: MANAGED_BY, stage: 'prod' } });
  });

  it('re-enables a disabled endpoint and reports another API version without trying to change it', () => {
    const { changes, params, apiVersionDiffers } = planUpdate(endpoint({ status: 'disabled', api_version: '2024-06-20' }), desired);

    expect(changes).toEqual([{ field: 'status', from: 'disabled', to: 'enabled' }]);
    expect(params).toEqual({ disabled: false });
    expect(apiVersionDiffers).toBe(true);
  });
});

describe('classifyEndpoints', () => {
  it('reads no endpoint, one, and a rotation in either list order', () => {
    expect(classifyEndpoints([])).toEqual({ kind: 'none' });
    expect(classifyEndpoints([endpoint()])).toEqual({ kind: 'single', endpoint: endpoint() });
    expect(classifyEndpoints([incoming(), endpoint()])).toEqual({ kind: 'rotating', incoming: incoming(), outgoing: endpoint() });
    expect(classifyEndpoints([endpoint(), incoming()])).toEqual({ kind: 'rotating', incoming: incoming(), outgoing: endpoint() });
  });

  it('reads a lone endpoint that still replaces another as a rotation whose old endpoint is gone', () => {
    expect(classifyEndpoints([incoming()])).toEqual({ kind: 'rotating', incoming: incoming() });
  });

  it('calls two unrelated endpoints, or three, a conflict', () => {
    const other = endpoint({ id: 'we_other' });
    expect(classifyEndpoints([endpoint(), other]).kind).toBe('conflict');
    expect(classifyEndpoints([endpoint(), incoming(), other]).kind).toBe('conflict');
  });
});

describe('secretsOf', () => {
  it('keeps the stored secrets whose fingerprint an endpoint carries, in stored order', () => {
    expect(secretsOf([incoming()], [OLD_SECRET, NEW_SECRET])).toEqual([NEW_SECRET]);
    expect(secretsOf([], [OLD_SECRET, NEW_SECRET])).toEqual([]);
  });

  it('gives an endpoint registered by hand (no fingerprint) every stored secret', () => {
    expect(secretsOf([endpoint({ metadata: {} })], [OLD_SECRET, NEW_SECRET])).toEqual([OLD_SECRET, NEW_SECRET]);
  });
});

describe('nextRotationStep', () => {
  it('starts a rotation from a single endpoint', () => {
    expect(nextRotationStep({ kind: 'single', endpoint: endpoint() }, [OLD_SECRET], T0, HOUR)).toEqual({ kind: 'start', outgoing: endpoint() });
  });

  it('waits until the overlap since rotation_started_at has passed, then finishes', () => {
    const pair = { incoming: incoming(T0), outgoing: endpoint() };
    const state = { kind: 'rotating', ...pair } as const;

    expect(nextRotationStep(state, [OLD_SECRET, NEW_SECRET], T0 + HOUR - 1, HOUR)).toEqual({ kind: 'wait', ...pair, readyAt: T0 + HOUR });
    expect(nextRotationStep(state, [OLD_SECRET, NEW_SECRET], T0 + HOUR, HOUR)).toEqual({ kind: 'finish', ...pair });
  });

  it('falls back to the creation time when the rotation mark is mangled', () => {
    const mangled = incoming(T0, { metadata: { ...incoming().metadata, rotation_started_at: 'yesterday' } });
    const step = nextRotationStep({ kind: 'rotating', incoming: mangled, outgoing: endpoint() }, [OLD_SECRET, NEW_SECRET], T0, HOUR);
    expect(step).toMatchObject({ kind: 'wait', readyAt: T0 + HOUR });
  });

  it('restarts when the new endpoint\'s secret never reached the store, fingerprint or not', () => {
    const state = { kind: 'rotating', incoming: incoming(), outgoing: endpoint() } as const;
    const noFingerprint = { ...state, incoming: incoming(T0, { metadata: { replaces: 'we_old' } }) };

    expect(nextRotationStep(state, [OLD_SECRET], T0 + 2 * HOUR, HOUR)).toMatchObject({ kind: 'restart', incoming: state.incoming, outgoing: state.outgoing });
    expect(nextRotationStep(noFingerprint, [OLD_SECRET, NEW_SECRET], T0, HOUR)).toMatchObject({ kind: 'restart' });
  });

  it('replaces a lone new endpoint whose secret was lost, since the one it replaced is gone too', () => {
    const lost = incoming();

    expect(nextRotationStep({ kind: 'rotating', incoming: lost }, [OLD_SECRET], T0, HOUR)).toMatchObject({ kind: 'start', outgoing: lost, reason: expect.stringMatching(/is replaced in turn/) });
  });

  it('finishes at once when the old endpoint is already gone', () => {
    expect(nextRotationStep({ kind: 'rotating', incoming: incoming(T0) }, [OLD_SECRET, NEW_SECRET], T0, HOUR)).toEqual({ kind: 'finish', incoming: incoming(T0) });
  });

  it('will not delete the old endpoint for a new one that Stripe has disabled', () => {
    const state = { kind: 'rotating', incoming: incoming(T0, { status: 'disabled' }), outgoing: endpoint() } as const;
    expect(nextRotationStep(state, [OLD_SECRET, NEW_SECRET], T0 + HOUR, HOUR)).toMatchObject({ kind: 'blocked' });
  });
});

describe('parseDuration and formatDuration', () => {
  it.each([
    ['0', 0],
    ['90s', 90_000],
    ['30m', 30 * 60_000],
    ['1h', HOUR],
    ['1h30m', 1.5 * HOUR],
    ['2d', 48 * HOUR],
  ])('reads %s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '1', '1x', 'soon', '-1h', '1.5h', 'h'])('refuses %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it('shows the two largest units, rounded up to the second', () => {
    expect(formatDuration(HOUR)).toBe('1h');
    expect(formatDuration(HOUR - 1)).toBe('1h');
    expect(formatDuration(HOUR - 1_000)).toBe('59m 59s');
    expect(formatDuration(90_500)).toBe('1m 31s');
    expect(formatDuration(0)).toBe('0s');
  });
});

describe('secretsManagerSecretStore', () => {
  it('reads any format the ingest reads, and leaves the stack\'s placeholder out', async () => {
    const client = new SecretsManagerClient({ region: 'us-east-1' });
    const mock = mockClient(client);
    const store = secretsManagerSecretStore(client, 'prod/stripe/webhook-signing-secrets');

    mock.on(GetSecretValueCommand, { SecretId: 'prod/stripe/webhook-signing-secrets' }).resolvesOnce({ SecretString: 'xK9#placeholder' }).resolvesOnce({ SecretString: '{"secrets":["whsec_a","whsec_b"]}' });

    expect(await store.read()).toEqual([]);
    expect(await store.read()).toEqual(['whsec_a', 'whsec_b']);
    expect(store.name).toBe('the secret prod/stripe/webhook-signing-secrets');
  });

  it('writes a comma-separated list, and never an empty one', async () => {
    const client = new SecretsManagerClient({ region: 'us-east-1' });
    const mock = mockClient(client);
    mock.on(PutSecretValueCommand).resolves({});
    const store = secretsManagerSecretStore(client, 'prod/stripe/webhook-signing-secrets');

    await store.write(['whsec_a', 'whsec_b']);
    await expect(store.write([])).rejects.toThrow(/Refusing to empty/);

    expect(mock.commandCalls(PutSecretValueCommand).map((call) => call.args[0].input)).toEqual([
      { SecretId: 'prod/stripe/webhook-signing-secrets', SecretString: 'whsec_a,whsec_b' },
    ]);
  });

  it('names the failure, never the value, when Secrets Manager refuses', async () => {
    const client = new SecretsManagerClient({ region: 'us-east-1' });
    mockClient(client).on(GetSecretValueCommand).rejects(Object.assign(new Error('User is not authorized'), { name: 'AccessDeniedException' }));

    await expect(secretsManagerSecretStore(client, 's').read()).rejects.toThrow('Could not read the secret s: AccessDeniedException');
  });
});

describe('the local secret file', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dev-secret-'));
    file = join(dir, 'dev-webhook-secret');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates one dev secret on first use, readable only by its owner', () => {
    const secret = devSecret(file);

    expect(secret).toMatch(/^whsec_dev_/);
    expect(readDevSecrets(file)).toEqual([secret]);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('signs with the newest secret of a list, and accepts all of them with the newest first', () => {
    writeFileSync(file, `${OLD_SECRET},${NEW_SECRET}\n`);

    expect(devSecret(file)).toBe(NEW_SECRET);
    expect(localSecrets({}, file)).toEqual({ secrets: [NEW_SECRET, OLD_SECRET], generated: true });
    expect(localSecrets({ STRIPE_WEBHOOK_SECRET: 'whsec_env' }, file)).toEqual({ secrets: ['whsec_env'], generated: false });
  });

  it('is a store that writes a comma-separated list with mode 0600 and reads it back', async () => {
    writeFileSync(file, 'not-a-secret\n', { mode: 0o644 });
    const store = localSecretStore(file);

    expect(await store.read()).toEqual([]);
    await store.write([OLD_SECRET, NEW_SECRET]);

    expect(readFileSync(file, 'utf8')).toBe(`${OLD_SECRET},${NEW_SECRET}\n`);
    expect(await store.read()).toEqual([OLD_SECRET, NEW_SECRET]);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    await expect(store.write([])).rejects.toThrow(/Refusing to empty/);
  });
});
