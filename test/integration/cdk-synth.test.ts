/**
 * `npx cdk synth` with the pinned CDK CLI, offline, as a user runs it: the app bundles both functions
 * with local esbuild, passes cdk-nag, and writes the template.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

describe('npx cdk synth', () => {
  it('synthesizes the stack offline, without AWS credentials', () => {
    const outDir = mkdtempSync(join(tmpdir(), 'cdk-out-'));
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_') && !name.startsWith('CDK_')));
    try {
      const result = spawnSync(join(ROOT, 'node_modules', '.bin', 'cdk'), ['synth', '--no-notices', '--quiet', '-c', 'stage=ci', '-o', outDir], {
        cwd: ROOT,
        // No credentials and no instance-metadata lookups: synth must not need AWS.
        env: { ...env, AWS_EC2_METADATA_DISABLED: 'true', CDK_DISABLE_VERSION_CHECK: 'true', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
        encoding: 'utf8',
        timeout: 180_000,
      });
      expect(result.stderr + result.stdout).not.toMatch(/AwsSolutions-/);
      expect(result.status).toBe(0);
      const template = JSON.parse(readFileSync(join(outDir, 'StripeWebhooks-ci.template.json'), 'utf8')) as { Outputs: Record<string, unknown> };
      expect(Object.keys(template.Outputs)).toContain('WebhookUrl');
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  }, 200_000);
});
