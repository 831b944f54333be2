/**
 * `npm run stripe:endpoint`: registers the stage's Stripe webhook endpoint in one command, and rolls
 * its signing secret without losing or doubling an event.
 *
 *   npm run stripe:endpoint -- --stage prod [--region eu-west-1]   create the endpoint at the stack's WebhookUrl, or bring it in line
 *   npm run stripe:endpoint -- --local [--url URL]                 against npm start's Stripe API and .local/dev-webhook-secret
 *   npm run stripe:endpoint -- --stage prod --rotate [--overlap 1h]
 *                                                                  roll the signing secret: once to start, again after the overlap to finish
 *   npm run stripe:endpoint -- --stage prod --dry-run              print what would change, change nothing
 *
 * With --stage, the URL, the secret names and the API key come from the stack StripeWebhooks-<stage>
 * (the key needs write access to Webhook Endpoints; STRIPE_API_BASE may point the calls elsewhere).
 * Neither the key nor a signing secret is ever printed: secrets are named by fingerprint.
 */
import { parseArgs } from 'node:util';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { redactSecrets } from '../functions/shared/errors';
import { createStripeApi, type StripeApi } from '../functions/shared/stripe-api';
import { localSecretStore } from '../local/dev-secret';
import { localStripeApiConfig } from '../local/local-stripe-api';
import { readLocalStackFile } from '../local/stack-file';
import { DEFAULT_OVERLAP_MS, formatDuration, parseDuration, rotateEndpoint, type RotationResult } from '../ops/endpoint-rotation';
import { secretsManagerSecretStore, type SigningSecretStore } from '../ops/signing-secret-store';
import { ensureEndpoint, type EnsureResult } from '../ops/webhook-endpoint';
import { stageStripeApi } from '../ops/stage';

const USAGE = `Usage: npm run stripe:endpoint -- (--stage <stage> [--region <region>] | --local) [--url <url>] [--rotate [--overlap <duration>]] [--dry-run]

  --stage S       the deployed stack StripeWebhooks-S: its WebhookUrl, signing-secrets secret and API key secret
  --region R      the stack's region (default: the AWS SDK's)
  --local         npm start's Stripe API (its stand-in, or STRIPE_API_BASE) and .local/dev-webhook-secret; stage "local"
  --url U         the endpoint's URL (default: the stack's WebhookUrl, or npm start's webhook URL)
  --rotate        roll the signing secret: the first run adds a new endpoint beside the old, a run after the overlap removes the old
  --overlap D     how long both endpoints deliver: 90s, 30m, 1h, 2d or 0 (default ${formatDuration(DEFAULT_OVERLAP_MS)})
  --dry-run       print what would change, change nothing
  --help          this text`;

/** Exit codes: 0 done (or waiting for the overlap), 1 failed or needs a person, 2 bad flags. */
const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export interface StripeEndpointCommand {
  readonly mode: { readonly kind: 'stage'; readonly stage: string; readonly region?: string } | { readonly kind: 'local' };
  readonly url?: string;
  readonly rotate: boolean;
  readonly overlapMs: number;
  readonly dryRun: boolean;
}

/**
 * The command line as a command, or `help`.
 * @throws Error with a message fit for the user when a flag is wrong or missing.
 */
export function parseCommand(argv: readonly string[]): StripeEndpointCommand | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      stage: { type: 'string' },
      region: { type: 'string' },
      local: { type: 'boolean', default: false },
      url: { type: 'string' },
      rotate: { type: 'boolean', default: false },
      overlap: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return 'help';
  if (values.stage !== undefined && values.local) throw new Error('Give either --stage or --local, not both');
  if (values.stage === undefined && !values.local) throw new Error('Give --stage <stage> (a deployed stack) or --local (npm start)');
  if (values.stage !== undefined && !/^[a-z][a-z0-9-]{0,19}$/.test(values.stage)) {
    throw new Error(`--stage must be a stage name as the stack uses it (lower-case letters, digits, hyphens), got ${JSON.stringify(values.stage)}`);
  }
  if (values.region !== undefined && values.local) throw new Error('--region applies to --stage only');
  if (values.url !== undefined && !isWebUrl(values.url)) throw new Error(`--url must be an http:// or https:// URL, got ${JSON.stringify(values.url)}`);
  if (values.overlap !== undefined && !values.rotate) throw new Error('--overlap applies to --rotate only');
  const overlapMs = values.overlap === undefined ? DEFAULT_OVERLAP_MS : parseDuration(values.overlap);
  if (overlapMs === undefined) throw new Error(`--overlap must be a duration such as 90s, 30m, 1h, 2d or 0, got ${JSON.stringify(values.overlap)}`);
  return {
    mode: values.local ? { kind: 'local' } : { kind: 'stage', stage: values.stage!, ...(values.region ? { region: values.region } : {}) },
    ...(values.url !== undefined ? { url: values.url } : {}),
    rotate: values.rotate,
    overlapMs,
    dryRun: values['dry-run'],
  };
}

/** What the command runs with; tests pass their own. */
export interface StripeEndpointDeps {
  /** @default console.log */
  readonly print?: (line: string) => void;
  /** @default console.error */
  readonly printError?: (line: string) => void;
  /** @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Epoch milliseconds. @default Date.now */
  readonly now?: () => number;
  /** --local: npm start's stack file. @default .local/stack.json */
  readonly localStackFile?: string;
  /** --local: the dev secret file. @default .local/dev-webhook-secret */
  readonly localSecretFile?: string;
  /** --stage: clients to use instead of new ones for the region. */
  readonly cloudFormation?: CloudFormationClient;
  readonly secretsManager?: SecretsManagerClient;
}

interface Target {
  readonly api: StripeApi;
  readonly store: SigningSecretStore;
  readonly url: string;
  readonly stage: string;
  readonly close: () => void;
}

/**
 * Runs the command and answers its exit code; every failure is printed, none is thrown.
 *
 * @example
 * process.exitCode = await runStripeEndpoint(['--stage', 'prod', '--dry-run']);
 */
export async function runStripeEndpoint(argv: readonly string[], deps: StripeEndpointDeps = {}): Promise<number> {
  const print = deps.print ?? console.log;
  const printError = deps.printError ?? console.error;
  let command: StripeEndpointCommand | 'help';
  try {
    command = parseCommand(argv);
  } catch (error) {
    printError(`${(error as Error).message}\n\n${USAGE}`);
    return EXIT.usage;
  }
  if (command === 'help') {
    print(USAGE);
    return EXIT.ok;
  }

  let target: Target | undefined;
  try {
    target = command.mode.kind === 'local' ? await localTarget(command, deps) : await stageTarget(command, command.mode, deps);
    const endpointDeps = { api: target.api, store: target.store, print, ...(deps.now ? { now: deps.now } : {}) };
    const options = { url: target.url, stage: target.stage, dryRun: command.dryRun };
    const result = command.rotate ? await rotateEndpoint({ ...options, overlapMs: command.overlapMs }, endpointDeps) : await ensureEndpoint(options, endpointDeps);
    if (command.mode.kind === 'local' && !command.dryRun && storeChanged(result)) {
      print('Stored in .local/dev-webhook-secret: npm start reads it again on the next delivery no secret matches (unless it was started with STRIPE_WEBHOOK_SECRET, which wins).');
    }
    return succeeded(result) ? EXIT.ok : EXIT.failed;
  } catch (error) {
    printError(safeMessage(error));
    return EXIT.failed;
  } finally {
    target?.close();
  }
}

async function stageTarget(command: StripeEndpointCommand, mode: { stage: string; region?: string }, deps: StripeEndpointDeps): Promise<Target> {
  const clientConfig = mode.region ? { region: mode.region } : {};
  const cloudFormation = deps.cloudFormation ?? new CloudFormationClient(clientConfig);
  const secretsManager = deps.secretsManager ?? new SecretsManagerClient(clientConfig);
  // Only the clients made here are closed here.
  const close = () => {
    if (!deps.cloudFormation) cloudFormation.destroy();
    if (!deps.secretsManager) secretsManager.destroy();
  };
  try {
    const outputs = await stackOutputs(cloudFormation, mode.stage, mode.region);
    return {
      api: await stageStripeApi(secretsManager, outputs.StripeApiKeySecretName, deps.env ?? process.env),
      store: secretsManagerSecretStore(secretsManager, outputs.WebhookSecretName),
      url: command.url ?? outputs.WebhookUrl,
      stage: mode.stage,
      close,
    };
  } catch (error) {
    close();
    throw error;
  }
}

const STACK_OUTPUTS = ['WebhookUrl', 'WebhookSecretName', 'StripeApiKeySecretName'] as const;

/** The stack's outputs this command needs; fails with how to deploy when the stack or an output is missing. */
async function stackOutputs(cloudFormation: CloudFormationClient, stage: string, region: string | undefined): Promise<Record<(typeof STACK_OUTPUTS)[number], string>> {
  const stackName = `StripeWebhooks-${stage}`;
  const deploy = `npx cdk deploy -c stage=${stage}`;
  let outputs: { OutputKey?: string; OutputValue?: string }[];
  try {
    const { Stacks = [] } = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
    outputs = Stacks[0]?.Outputs ?? [];
  } catch (error) {
    const { name, message } = error as Error;
    if (/does not exist/i.test(message ?? '')) throw new Error(`The stack ${stackName} is not deployed${region ? ` in ${region}` : ' in this account and region'}: deploy it with ${deploy}, or pass --region`);
    throw new Error(`Could not read the stack ${stackName}: ${name}: ${message}`, { cause: error });
  }
  const value = (key: string) => outputs.find((output) => output.OutputKey === key)?.OutputValue;
  const missing = STACK_OUTPUTS.filter((key) => !value(key));
  if (missing.length > 0) throw new Error(`The stack ${stackName} has no output ${missing.join(', ')}: deploy the current version with ${deploy}`);
  return Object.fromEntries(STACK_OUTPUTS.map((key) => [key, value(key)!])) as Record<(typeof STACK_OUTPUTS)[number], string>;
}

async function localTarget(command: StripeEndpointCommand, deps: StripeEndpointDeps): Promise<Target> {
  const stack = readLocalStackFile(deps.localStackFile);
  if (!stack.stripeApiBase || !(command.url ?? stack.webhookUrl)) {
    throw new Error('The running npm start does not say where its Stripe API and webhook are: restart it with the current code');
  }
  return {
    api: await createStripeApi(localStripeApiConfig(stack.stripeApiBase, deps.env ?? process.env)),
    store: localSecretStore(deps.localSecretFile),
    url: command.url ?? stack.webhookUrl,
    stage: 'local',
    close: () => undefined,
  };
}

function succeeded(result: EnsureResult | RotationResult): boolean {
  return !['conflict', 'blocked', 'no-endpoint'].includes(result.outcome);
}

function storeChanged(result: EnsureResult | RotationResult): boolean {
  return ['created', 'started', 'finished'].includes(result.outcome);
}

/** Anything shaped like a key or a signing secret is cut, whatever error carried it: a last guard, not the first. */
function safeMessage(error: unknown): string {
  return redactSecrets(error instanceof Error ? error.message : String(error));
}

function isWebUrl(text: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(text).protocol);
  } catch {
    return false;
  }
}

if (require.main === module) {
  runStripeEndpoint(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(safeMessage(error));
      process.exit(1);
    },
  );
}
