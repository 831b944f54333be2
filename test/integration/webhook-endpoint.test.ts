/**
 * The endpoint tool against the Stripe API stand-in over HTTP, with a real StripeApi (stripe-node) and
 * the local secret file in a temporary directory: creating, updating, dry runs, a full secret
 * rotation, runs that stopped half-way, a refused key, and the command line.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetSecretValueCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import type Stripe from 'stripe';
import { StripeApiError } from '../../functions/shared/errors';
import { PINNED_API_VERSION, StripeApi } from '../../functions/shared/stripe-api';
import { registry } from '../../functions/worker/actions';
import { localSecretStore } from '../../local/dev-secret';
import { startStripeApiStandIn, type StripeApiStandIn } from '../../local/stripe-api/server';
import { rotateEndpoint } from '../../ops/endpoint-rotation';
import { ensureEndpoint, listEndpointsFor, secretFingerprint } from '../../ops/webhook-endpoint';
import { runStripeEndpoint } from '../../scripts/stripe-endpoint';

const URL = 'https://abc123.execute-api.eu-west-1.amazonaws.com/webhook';
const API_KEY = 'sk_test_endpointtool_5f3a9c1e7b2d4';
const HOUR = 3_600_000;
const HANDLED = [...registry.snapshotTypes].sort();

let standIn: StripeApiStandIn;
let dir: string;

beforeAll(async () => {
  standIn = await startStripeApiStandIn();
});
afterAll(() => standIn.stop());
beforeEach(() => {
  standIn.store.reset();
  dir = mkdtempSync(join(tmpdir(), 'webhook-endpoint-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A StripeApi on the stand-in, the local file store in the test's directory, a settable clock, and the printed lines. */
function harness(apiKey = API_KEY) {
  const lines: string[] = [];
  let clock = Date.parse('2026-11-01T00:00:00Z');
  const api = new StripeApi({ apiKey, keyOrigin: 'STRIPE_API_KEY', apiBase: standIn.url, readsPerSecond: 100, maxNetworkRetries: 0 });
  const store = localSecretStore(join(dir, 'dev-webhook-secret'));
  return {
    api,
    store,
    lines,
    deps: { api, store, print: (line: string) => lines.push(line), now: () => clock },
    advance: (ms: number) => (clock += ms),
    /** What the stand-in holds, as Stripe would list it. */
    endpoints: () => standIn.store.endpoints() as unknown as Stripe.WebhookEndpoint[],
  };
}

/** The requests the stand-in receives while `act` runs. */
async function requestsDuring(act: () => Promise<unknown>): Promise<{ method: string; path: string }[]> {
  const before = standIn.requests.length;
  await act();
  return standIn.requests.slice(before).map(({ method, path }) => ({ method, path }));
}

const writes = (requests: readonly { method: string }[]) => requests.filter((request) => request.method !== 'GET');

describe('listEndpointsFor', () => {
  it('finds the endpoints for its URL on every page of the list', async () => {
    const { api } = harness();
    const ours = await api.client.webhookEndpoints.create({ url: URL, enabled_events: ['*'] });
    for (const port of [5001, 5002, 5003, 5004]) await api.client.webhookEndpoints.create({ url: `http://localhost:${port}/webhook`, enabled_events: ['*'] });

    let found: Stripe.WebhookEndpoint[] = [];
    const requests = await requestsDuring(async () => (found = await listEndpointsFor(api, URL, 2)));

    expect(found.map((endpoint) => endpoint.id)).toEqual([ours.id]);
    expect(requests).toHaveLength(3);
  });
});

describe('ensureEndpoint', () => {
  it('creates the endpoint with the handled types, the pinned API version and the stage, and stores its secret', async () => {
    const { deps, store, endpoints } = harness();

    const result = await ensureEndpoint({ url: URL, stage: 'prod' }, deps);

    const [endpoint] = endpoints();
    const stored = await store.read();
    expect(result).toMatchObject({ outcome: 'created', endpointId: endpoint!.id, dryRun: false });
    expect(endpoint).toMatchObject({ url: URL, enabled_events: HANDLED, api_version: PINNED_API_VERSION, description: 'Stripe webhooks on AWS, stage prod', status: 'enabled' });
    expect(endpoint!.metadata).toEqual({ managed_by: 'stripe-webhooks-aws', stage: 'prod', secret_fingerprint: secretFingerprint(stored[0]!) });
    expect(stored).toEqual([expect.stringMatching(/^whsec_/)]);
  });

  it("drops the stack's placeholder from the store when it creates the endpoint", async () => {
    const { deps, store } = harness();
    writeFileSync(join(dir, 'dev-webhook-secret'), 'Xq7!random-placeholder-from-the-stack\n');

    await ensureEndpoint({ url: URL, stage: 'prod' }, deps);

    expect(await store.read()).toHaveLength(1);
  });

  it('changes nothing on a second run', async () => {
    const { deps, endpoints } = harness();
    await ensureEndpoint({ url: URL, stage: 'prod' }, deps);
    const before = endpoints();

    let result: Awaited<ReturnType<typeof ensureEndpoint>> | undefined;
    const requests = await requestsDuring(async () => (result = await ensureEndpoint({ url: URL, stage: 'prod' }, deps)));

    expect(result).toMatchObject({ outcome: 'unchanged', changes: [], warnings: [] });
    expect(writes(requests)).toEqual([]);
    expect(endpoints()).toEqual(before);
  });

  it('puts back the events someone changed, and loudly re-enables an endpoint Stripe disabled', async () => {
    const { api, deps, lines, endpoints } = harness();
    const { endpointId } = await ensureEndpoint({ url: URL, stage: 'prod' }, deps);
    await api.client.webhookEndpoints.update(endpointId!, { enabled_events: ['*'], disabled: true });

    const result = await ensureEndpoint({ url: URL, stage: 'prod' }, deps);

    expect(result.outcome).toBe('updated');
    expect(result.changes.map((change) => change.field)).toEqual(['enabled_events', 'status']);
    expect(endpoints()[0]).toMatchObject({ enabled_events: HANDLED, status: 'enabled' });
    expect(lines.join('\n')).toMatch(/STRIPE HAS DISABLED THIS ENDPOINT/);
  });

  it('adopts an endpoint registered by hand, keeps its own metadata, and says how to change its API version', async () => {
    const { api, deps, store, lines, endpoints } = harness();
    await api.client.webhookEndpoints.create({ url: URL, enabled_events: ['payment_intent.succeeded'], api_version: '2024-06-20', metadata: { team: 'payments' } });
    await store.write(['whsec_pasted_by_hand_0123456789']);

    const result = await ensureEndpoint({ url: URL, stage: 'prod' }, deps);

    expect(result.outcome).toBe('updated');
    expect(endpoints()[0]).toMatchObject({ enabled_events: HANDLED, api_version: '2024-06-20', metadata: { team: 'payments', managed_by: 'stripe-webhooks-aws', stage: 'prod' } });
    expect(result.warnings).toEqual([expect.stringMatching(/API version 2024-06-20.*--rotate/)]);
    expect(lines).toContain(`  It has no secret fingerprint (registered by hand?): the 1 secret in ${store.name} count as its own. --rotate gives it one the tool tracks.`);
  });

  it("warns when the endpoint's secret is not in the store", async () => {
    const { deps, store } = harness();
    await ensureEndpoint({ url: URL, stage: 'prod' }, deps);
    await store.write(['whsec_someone_elses_secret_0000']);

    const result = await ensureEndpoint({ url: URL, stage: 'prod' }, deps);

    expect(result.outcome).toBe('unchanged');
    expect(result.warnings).toEqual([expect.stringMatching(/is not in the file .*--rotate --overlap 0/)]);
  });

  it('prints every change of a dry run and makes none', async () => {
    const { api, deps, lines, store, endpoints } = harness();

    const creation = await requestsDuring(() => ensureEndpoint({ url: URL, stage: 'prod', dryRun: true }, deps));
    expect(writes(creation)).toEqual([]);
    expect(endpoints()).toEqual([]);
    expect(await store.read()).toEqual([]);
    expect(lines).toEqual(expect.arrayContaining([expect.stringMatching(/would create/), `    enabled_events: (none) → ${HANDLED.length} types`, `    api_version: (none) → ${PINNED_API_VERSION}`]));

    const { endpointId } = await ensureEndpoint({ url: URL, stage: 'prod' }, deps);
    await api.client.webhookEndpoints.update(endpointId!, { enabled_events: ['*'], description: 'mine' });
    lines.length = 0;
    const update = await requestsDuring(() => ensureEndpoint({ url: URL, stage: 'prod', dryRun: true }, deps));
    expect(writes(update)).toEqual([]);
    expect(endpoints()[0]).toMatchObject({ enabled_events: ['*'], description: 'mine' });
    expect(lines).toEqual(
      expect.arrayContaining([expect.stringMatching(/^ {2}Would change enabled_events: \* \(every event type\) → \d+ types/), '  Would change description: "mine" → "Stripe webhooks on AWS, stage prod"']),
    );
  });

  it('leaves an endpoint mid-rotation alone and says how to finish', async () => {
    const { deps, lines } = harness();
    await ensureEndpoint({ url: URL, stage: 'prod' }, deps);
    await rotateEndpoint({ url: URL, stage: 'prod', overlapMs: HOUR }, deps);

    let result: Awaited<ReturnType<typeof ensureEndpoint>> | undefined;
    const requests = await requestsDuring(async () => (result = await ensureEndpoint({ url: URL, stage: 'prod' }, deps)));

    expect(result!.outcome).toBe('rotation-in-progress');
    expect(writes(requests)).toEqual([]);
    expect(lines.at(-1)).toMatch(/finish the rotation with the same command and --rotate/);
  });

  it('touches nothing when more endpoints have the URL than it manages', async () => {
    const { api, deps } = harness();
    await api.client.webhookEndpoints.create({ url: URL, enabled_events: ['*'] });
    await api.client.webhookEndpoints.create({ url: URL, enabled_events: ['*'] });

    let result: Awaited<ReturnType<typeof ensureEndpoint>> | undefined;
    const requests = await requestsDuring(async () => (result = await ensureEndpoint({ url: URL, stage: 'prod' }, deps)));

    expect(result!.outcome).toBe('conflict');
    expect(writes(requests)).toEqual([]);
  });

  it('fails with a message that names where the key came from, never the key, when Stripe refuses it', async () => {
    const { deps } = harness('sk_live_refusedkey_9d8c7b6a5f4e');

    const error = await ensureEndpoint({ url: URL, stage: 'prod' }, deps).catch((thrown: unknown) => thrown);

    expect(error).toBeInstanceOf(StripeApiError);
    expect((error as StripeApiError).failure).toBe('key_refused');
    expect((error as Error).message).toMatch(/refused the API key in STRIPE_API_KEY \(401\)/);
    expect((error as Error).message).not.toMatch(/refusedkey|9d8c|sk_live_/);
  });
});

describe('rotateEndpoint', () => {
  it('rolls the secret over two runs: both endpoints and secrets during the overlap, then only the new ones', async () => {
    const { deps, store, lines, advance, endpoints } = harness();
    const { endpointId: oldId } = await ensureEndpoint({ url: URL, stage: 'prod' }, deps);
    const [oldSecret] = await store.read();

    const started = await rotateEndpoint({ url: URL, stage: 'prod', overlapMs: HOUR }, deps);

    const newEndpoint = endpoints().find((endpoint) => endpoint.id !== oldId)!;
    const [, newSecret] = await store.read();
    expect(started).toMatchObject({ outcome: 'started', endpointId: newEndpoint.id, replacedEndpointId: oldId, finishAfter: '2026-11-01T01:00:00.000Z' });
    expect(endpoints()).toHaveLength(2);
    expect(await store.read()).toEqual([oldSecret, newSecret]);
    expect(newEndpoint).toMatchObject({ url: URL, enabled_events: HANDLED, api_version: PINNED_API_VERSION });
    expect(newEndpoint.metadata).toEqual({
      managed_by: 'stripe-webhooks-aws',
      stage: 'prod',
      replaces: oldId,
      rotation_started_at: '2026-11-01T00:00:00.000Z',
      secret_fingerprint: secretFingerprint(newSecret!),
    });

    advance(HOUR - 60_000);
    let waiting: Awaited<ReturnType<typeof rotateEndpoint>> | undefined;
    const beforeOverlap = await requestsDuring(async () => (waiting = await rotateEndpoint({ url: URL, stage: 'prod', overlapMs: HOUR }, deps)));
    expect(waiting).toMatchObject({ outcome: 'waiting', endpointId: newEndpoint.id });
    expect(writes(beforeOverlap)).toEqual([]);
    expect(await store.read()).toEqual([oldSecret, newSecret]);
    expect(lines.join('\n')).toMatch(/until 2026-11-01T01:00:00.000Z \(in 1m\)/);

    advance(60_000);
    const finished = await rotateEndpoint({ url: URL, stage: 'prod', overlapMs: HOUR }, deps);

    expect(finished).toMatchObject({ outcome: 'finished', endpointId: newEndpoint.id, replacedEndpointId: oldId });
    expect(endpoints().map((endpoint) => endpoint.id)).toEqual([newEndpoint.id]);
    expect(await store.read()).toEqual([newSecret]);
    expect(endpoints()[0]!.metadata).toEqual({ managed_by: 'stripe-webhooks-aws', stage: 'prod', secret_fingerprint: secretFingerprint(newSecret!) });
    expect((await ensureEndpoint({ url: URL, stage: 'prod' }, deps)).outcome).toBe('unchanged');
  });

  it('never prints or returns a secret or the key, only fingerprints', async () => {
    const { deps, store, lines } = harness();
    const results: unknown[] = [await ensureEndpoint({ url: URL, stage: 'prod' }, deps)];
    const seen = new Set(await store.read());

    results.push(await rotateEndpoint({ url: URL, stage: 'prod', overlapMs: HOUR, dryRun: true }, deps));
    results.push(await rotateEndpoint({ url: URL, stage: 'prod', overlapMs: HOUR }, deps));
    for (const secret of await store.read()) seen.add(secret);
    deps.now = () => Date.parse('2026-11-02T00:00:00Z');
    results.push(await rotateEndpoint({ url: URL, stage: 'prod', overlapMs: HOUR, dryRun: true }, deps));
    results.push(await rotateEndpoint({ url: URL, stage: 'prod', overlapMs: HOUR }, deps));

    const output = `${lines.join('\n')}\n${JSON.stringify(results)}`;
    expect(seen.size).toBe(2);
    expect(output).not.toContain('whsec_');
    expect(output).not.toContain(API_KEY);
    for (const secret of seen) expect(output).toContain(secretFingerprint(secret));
  });

  it('goes from one endpoint to the next in a single run with an overlap of 0', async () => {
    const { deps, store, endpoints } = harness();
    const { endpointId: oldId } = await ensureEndpoint({ url: URL, stage: 'prod' }, deps);

    const result = await rotateEndpoint({ url: URL, stage: 'prod', overlapMs: 0 }, deps);

    expect(result).toMatchObject({ outcome: 'finished', replacedEndpointId: oldId });
    expect(endpoints()).toHaveLength(1);
    expect(endpoints()[0]!.id).not.toBe(oldId);
    expect((await store.read()).map(secretFingerprint)).toEqual([endpoints()[0]!.metadata.secret_fingerprint]);
  });

  it('replaces an endpoint registered by hand on another API version with one on the pinned version', async () => {
    const { api, deps, store, endpoints } = harness();
    await api.client.webhookEndpoints.create({ url: URL, enabled_events: ['*'], api_version: '2024-06-20' });
    await store.write(['whsec_pasted_by_hand_0123456789']);

    const started = await rotateEndpoint({ url: URL, stage: 'prod', overlapMs: HOUR }, deps);
    expect(started.outcome).toBe('started');
    expect(await store.read()).toEqual(['whsec_pasted_by_hand_0123456789', expect.stringMatching(/^whsec_/)]);

    deps.now = () => Date.parse('2026-11-01T02:00:00Z');
    await rotateEndpoint({ url: URL, stage: 'prod', overlapMs: HOUR }, deps);

    expect(endpoints()).toEqual([expect.objectContaining({ api_version: PINNED_API_VERSION, enabled_events: HANDLED })]);
    expect(await store.read()).not.toContain('whsec_pasted_by_hand_0123456789');
  });

  it('starts over when a run stopped between creating the new endpoint and storing its secret', async () => {
    const { api, deps, store, lines, endpoints } = harness();
    const { endpointId: oldId } = await ensureEndpoint({ url: URL, stage: 'prod' }, deps);
    const [oldSecret] = await store.read();
    const orphan = await api.client.webhookEndpoints.create({
      url: URL,
      enabled_events: HANDLED as Stripe.WebhookEndpointCreateParams.EnabledEvent[],
      metadata: { managed_by: 'stripe-webhooks-aws', stage: 'prod', replaces: oldId!, rotation_started_at: '2026-10-31T00:00:00.000Z' },
    });

    const result = await rotateEndpoint({ url: URL, stage: 'prod', overlapMs: HOUR }, deps);

    const ids = endpoints().map((endpoint) => endpoint.id);
    const replacement = endpoints().find((endpoint) => endpoint.id !== oldId)!;
    expect(result).toMatchObject({ outcome: 'started', replacedEndpointId: oldId });
    expect(ids).toHaveLength(2);
    expect(ids).toContain(oldId);
    expect(ids).not.toContain(orphan.id);
    expect(replacement.metadata).toMatchObject({ replaces: oldId, rotation_started_at: '2026-11-01T00:00:00.000Z' });
    expect(await store.read()).toEqual([oldSecret, expect.stringMatching(/^whsec_/)]);
    expect(lines.join('\n')).toMatch(new RegExp(`${orphan.id} was created for a rotation, but its secret never reached the store`));
  });

  it('tidies the store when a run stopped after deleting the old endpoint', async () => {
    const { api, deps, store, advance, endpoints } = harness();
    const { endpointId: oldId } = await ensureEndpoint({ url: URL, stage: 'prod' }, deps);
    const { endpointId: newId } = await rotateEndpoint({ url: URL, stage: 'prod', overlapMs: HOUR }, deps);
    const [, newSecret] = await store.read();
    advance(HOUR);
    await api.client.webhookEndpoints.del(oldId!);

    let result: Awaited<ReturnType<typeof rotateEndpoint>> | undefined;
    const requests = await requestsDuring(async () => (result = await rotateEndpoint({ url: URL, stage: 'prod', overlapMs: HOUR }, deps)));

    expect(result).toMatchObject({ outcome: 'finished', endpointId: newId, replacedEndpointId: oldId });
    expect(requests.filter((request) => request.method === 'DELETE')).toEqual([]);
    expect(await store.read()).toEqual([newSecret]);
    expect(endpoints()[0]!.metadata).not.toHaveProperty('replaces');
    expect(endpoints()[0]!.metadata).not.toHaveProperty('rotation_started_at');
  });

  it('prints the next step of a dry run and takes none', async () => {
    const { deps, store, lines, advance, endpoints } = harness();
    await ensureEndpoint({ url: URL, stage: 'prod' }, deps);
    const single = { endpoints: endpoints(), secrets: await store.read() };

    const start = await requestsDuring(() => rotateEndpoint({ url: URL, stage: 'prod', overlapMs: HOUR, dryRun: true }, deps));

    expect(writes(start)).toEqual([]);
    expect({ endpoints: endpoints(), secrets: await store.read() }).toEqual(single);
    expect(lines.join('\n')).toMatch(/Would create a new endpoint/);

    await rotateEndpoint({ url: URL, stage: 'prod', overlapMs: HOUR }, deps);
    advance(HOUR);
    const rotating = { endpoints: endpoints(), secrets: await store.read() };
    lines.length = 0;

    const finish = await requestsDuring(() => rotateEndpoint({ url: URL, stage: 'prod', overlapMs: HOUR, dryRun: true }, deps));

    expect(writes(finish)).toEqual([]);
    expect({ endpoints: endpoints(), secrets: await store.read() }).toEqual(rotating);
    expect(lines.join('\n')).toMatch(/would delete we_/);
  });

  it('will not delete the old endpoint while Stripe has the new one disabled', async () => {
    const { api, deps, advance, endpoints } = harness();
    await ensureEndpoint({ url: URL, stage: 'prod' }, deps);
    const { endpointId: newId } = await rotateEndpoint({ url: URL, stage: 'prod', overlapMs: HOUR }, deps);
    await api.client.webhookEndpoints.update(newId!, { disabled: true });
    advance(2 * HOUR);

    let result: Awaited<ReturnType<typeof rotateEndpoint>> | undefined;
    const requests = await requestsDuring(async () => (result = await rotateEndpoint({ url: URL, stage: 'prod', overlapMs: HOUR }, deps)));

    expect(result!.outcome).toBe('blocked');
    expect(writes(requests)).toEqual([]);
    expect(endpoints()).toHaveLength(2);
  });

  it('asks for the endpoint to be created first when there is none', async () => {
    const { deps, lines } = harness();

    const result = await rotateEndpoint({ url: URL, stage: 'prod', overlapMs: HOUR }, deps);

    expect(result.outcome).toBe('no-endpoint');
    expect(lines.at(-1)).toMatch(/without --rotate to create one/);
  });
});

describe('npm run stripe:endpoint', () => {
  /** Runs the command with npm start's files in the test's directory; collects what it prints. */
  async function run(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = {}, extra: Record<string, unknown> = {}) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runStripeEndpoint(argv, {
      print: (line) => out.push(line),
      printError: (line) => err.push(line),
      env,
      localStackFile: join(dir, 'stack.json'),
      localSecretFile: join(dir, 'dev-webhook-secret'),
      ...extra,
    });
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  function writeStackFile(): void {
    writeFileSync(join(dir, 'stack.json'), JSON.stringify({ stripeApiBase: standIn.url, webhookUrl: 'http://localhost:4242/webhook' }));
  }

  it('registers npm start\'s webhook URL for stage "local" with --local', async () => {
    writeStackFile();

    const { code, out } = await run(['--local']);

    expect(code).toBe(0);
    expect(standIn.store.endpoints()).toEqual([expect.objectContaining({ url: 'http://localhost:4242/webhook', metadata: expect.objectContaining({ stage: 'local' }) })]);
    expect(out).toMatch(/reads it again/);
  });

  it('takes another URL with --url, and rotates with --rotate --overlap 0', async () => {
    writeStackFile();
    await run(['--local', '--url', 'http://localhost:5000/webhook']);
    const [first] = standIn.store.endpoints() as unknown as Stripe.WebhookEndpoint[];

    const { code } = await run(['--local', '--url', 'http://localhost:5000/webhook', '--rotate', '--overlap', '0']);

    const [second] = standIn.store.endpoints() as unknown as Stripe.WebhookEndpoint[];
    expect(code).toBe(0);
    expect(first!.url).toBe('http://localhost:5000/webhook');
    expect(standIn.store.endpoints()).toHaveLength(1);
    expect(second!.id).not.toBe(first!.id);
  });

  it.each([
    [['--bogus'], /Unknown option '--bogus'/],
    [[], /Give --stage <stage>/],
    [['--stage', 'prod', '--local'], /either --stage or --local/],
    [['--stage', 'Prod!'], /--stage must be a stage name/],
    [['--local', '--region', 'eu-west-1'], /--region applies to --stage only/],
    [['--local', '--overlap', '1h'], /--overlap applies to --rotate only/],
    [['--local', '--rotate', '--overlap', 'soon'], /--overlap must be a duration/],
    [['--local', '--url', 'ftp://example.com'], /--url must be an http/],
  ])('refuses %j with exit code 2 and the usage', async (argv, message) => {
    const { code, err } = await run(argv);

    expect(code).toBe(2);
    expect(err).toMatch(message);
    expect(err).toMatch(/Usage: npm run stripe:endpoint/);
  });

  it('prints the usage for --help', async () => {
    const { code, out } = await run(['--help']);
    expect(code).toBe(0);
    expect(out).toMatch(/--rotate/);
  });

  it('says to start npm start when --local finds none running', async () => {
    const { code, err } = await run(['--local']);
    expect(code).toBe(1);
    expect(err).toBe('No local stack is running: start one with npm start');
  });

  it('exits 1 with a message that never holds the key when Stripe refuses it', async () => {
    writeStackFile();

    const { code, err } = await run(['--local'], { STRIPE_API_KEY: 'sk_live_refusedkey_9d8c7b6a5f4e' });

    expect(code).toBe(1);
    expect(err).toMatch(/Stripe refused the API key in STRIPE_API_KEY/);
    expect(err).not.toMatch(/refusedkey|9d8c/);
  });

  describe('with --stage', () => {
    const signingSecretName = 'prod/stripe/webhook-signing-secrets';

    /** CloudFormation and Secrets Manager as a deployed stack would answer, the secret kept in memory. */
    function deployedStack() {
      const cloudFormation = new CloudFormationClient({ region: 'eu-west-1' });
      const secretsManager = new SecretsManagerClient({ region: 'eu-west-1' });
      mockClient(cloudFormation)
        .on(DescribeStacksCommand, { StackName: 'StripeWebhooks-prod' })
        .resolves({
          Stacks: [
            {
              StackName: 'StripeWebhooks-prod',
              CreationTime: new Date(),
              StackStatus: 'CREATE_COMPLETE',
              Outputs: [
                { OutputKey: 'WebhookUrl', OutputValue: URL },
                { OutputKey: 'WebhookSecretName', OutputValue: signingSecretName },
                { OutputKey: 'StripeApiKeySecretName', OutputValue: 'prod/stripe/api-key' },
              ],
            },
          ],
        })
        .on(DescribeStacksCommand, { StackName: 'StripeWebhooks-staging' })
        .rejects(Object.assign(new Error('Stack with id StripeWebhooks-staging does not exist'), { name: 'ValidationError' }));
      const secrets: Record<string, string> = { 'prod/stripe/api-key': API_KEY, [signingSecretName]: 'Xq7!random-placeholder-from-the-stack' };
      const secretsMock = mockClient(secretsManager);
      secretsMock.on(GetSecretValueCommand).callsFake(({ SecretId }: { SecretId: string }) => ({ SecretString: secrets[SecretId] }));
      secretsMock.on(PutSecretValueCommand).callsFake(({ SecretId, SecretString }: { SecretId: string; SecretString: string }) => {
        secrets[SecretId] = SecretString;
        return {};
      });
      return { cloudFormation, secretsManager, secrets };
    }

    it("registers the stack's WebhookUrl with the key from its secret, and stores the signing secret in Secrets Manager", async () => {
      const { cloudFormation, secretsManager, secrets } = deployedStack();

      const { code, out } = await run(['--stage', 'prod'], { STRIPE_API_BASE: standIn.url }, { cloudFormation, secretsManager });

      const [endpoint] = standIn.store.endpoints() as unknown as Stripe.WebhookEndpoint[];
      expect(code).toBe(0);
      expect(endpoint).toMatchObject({ url: URL, metadata: { stage: 'prod', secret_fingerprint: secretFingerprint(secrets[signingSecretName]!) } });
      expect(secrets[signingSecretName]).toMatch(/^whsec_[^,]+$/);
      expect(out).toContain(`in the secret ${signingSecretName}`);
      expect(out).not.toContain('whsec_');
    });

    it('says how to deploy a stack that is not there', async () => {
      const { cloudFormation, secretsManager } = deployedStack();

      const { code, err } = await run(['--stage', 'staging', '--region', 'eu-west-1'], {}, { cloudFormation, secretsManager });

      expect(code).toBe(1);
      expect(err).toBe('The stack StripeWebhooks-staging is not deployed in eu-west-1: deploy it with npx cdk deploy -c stage=staging, or pass --region');
    });
  });
});
