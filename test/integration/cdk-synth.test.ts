/**
 * `npx cdk synth` with the pinned CDK CLI, offline, as a user runs it: the app bundles the functions
 * with local esbuild, passes cdk-nag and Control Tower's controls (naming the ones it acknowledges),
 * and writes the template; with and without an EventBridge destination.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

interface SynthesizedTemplate {
  readonly Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
  readonly Outputs: Record<string, { Value: unknown }>;
}

/** Runs the pinned CDK CLI's synth with `-c` for each of `context`, into a temporary directory. */
function runSynth(context: readonly string[], read: (outDir: string) => void = () => undefined, extraEnv: Record<string, string> = {}) {
  const outDir = mkdtempSync(join(tmpdir(), 'cdk-out-'));
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_') && !name.startsWith('CDK_')));
  try {
    const result = spawnSync(join(ROOT, 'node_modules', '.bin', 'cdk'), ['synth', '--no-notices', '--quiet', ...context.flatMap((entry) => ['-c', entry]), '-o', outDir], {
      cwd: ROOT,
      // No credentials and no instance-metadata lookups: synth must not need AWS.
      env: { ...env, AWS_EC2_METADATA_DISABLED: 'true', CDK_DISABLE_VERSION_CHECK: 'true', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...extraEnv },
      encoding: 'utf8',
      timeout: 180_000,
    });
    if (result.status === 0) read(outDir);
    return result;
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

/** Synthesizes stage `stage`, checks it passes cdk-nag and the controls, and returns its template and output. */
function synth(stage: string, context: readonly string[] = [], extraEnv: Record<string, string> = {}): SynthesizedTemplate & { output: string } {
  let template: SynthesizedTemplate | undefined;
  const result = runSynth(
    [`stage=${stage}`, ...context],
    (outDir) => {
      template = JSON.parse(readFileSync(join(outDir, `StripeWebhooks-${stage}.template.json`), 'utf8')) as SynthesizedTemplate;
    },
    extraEnv,
  );
  const output = result.stderr + result.stdout;
  expect(output).not.toMatch(/AwsSolutions-|ERROR|Validation failed/);
  expect(result.status).toBe(0);
  return { ...template!, output };
}

/** The controls the synth's INFO line says it acknowledged, with how many resources each. */
const acknowledgedControls = (output: string) => output.match(/Control Tower controls acknowledged, with their reasons \(README: Control Tower\): (.*) \(Construct Annotations\)/)?.[1];

const typesOf = (template: SynthesizedTemplate) => Object.values(template.Resources).map((resource) => resource.Type);

describe('npx cdk synth', () => {
  it('synthesizes the stack offline, without AWS credentials, naming the controls it acknowledges', () => {
    const template = synth('ci');
    expect(Object.keys(template.Outputs)).toContain('WebhookUrl');
    expect(typesOf(template)).not.toContain('AWS::Events::EventBus');
    expect(acknowledgedControls(template.output)).toBe('CT.CLOUDWATCH.PR.2 (4), CT.LAMBDA.PR.3 (3), CT.APIGATEWAY.PR.5 (1), CT.LAMBDA.PR.2 (1)');
  }, 200_000);

  it('acknowledges only the route and the VPC for a prod stage whose account is known', () => {
    const template = synth('prod', [], { CDK_DEFAULT_ACCOUNT: '123456789012', CDK_DEFAULT_REGION: 'eu-west-1' });
    expect(acknowledgedControls(template.output)).toBe('CT.LAMBDA.PR.3 (3), CT.APIGATEWAY.PR.5 (1)');
  }, 200_000);

  it('synthesizes the stack with an EventBridge destination, offline', () => {
    const source = 'aws.partner/stripe.com/ed_test_123';
    const template = synth('ci-eb', [`eventBridgeSource=${source}`]);
    expect(Object.values(template.Resources).filter((resource) => resource.Type === 'AWS::Events::EventBus').map((bus) => bus.Properties)).toEqual([
      { Name: source, EventSourceName: source },
    ]);
    expect(template.Outputs.EventBusName?.Value).toBe(source);
    expect(Object.keys(template.Outputs)).toEqual(expect.arrayContaining(['WebhookUrl', 'EventRuleName']));
  }, 200_000);

  it('refuses a malformed eventBridgeSource with a clear message', () => {
    const result = runSynth(['stage=ci-bad', 'eventBridgeSource=aws.partner/stripe.com/123']);
    expect(result.status).not.toBe(0);
    expect(result.stderr + result.stdout).toMatch(/eventBridgeSource must be the partner event source Stripe created/);
  }, 200_000);
});
