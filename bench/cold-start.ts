/**
 * Cold start of each bundle: its size, and the time a fresh Node process takes to load it (module
 * init included: configuration, SDK clients, Powertools) minus the time of a bare `node -e 0`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleFunctions, type FunctionName } from '../infra/bundle';
import { median, round } from './stats';

const ENV: Record<FunctionName, Record<string, string>> = {
  // Configured as on AWS (secrets from Secrets Manager, fetched at the first request, not at load).
  ingest: {
    QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/bench',
    STRIPE_WEBHOOK_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:bench',
  },
  worker: { LEDGER_TABLE_NAME: 'bench-ledger', PROJECTIONS_TABLE_NAME: 'bench-projections' },
  reconcile: {
    QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/bench',
    LEDGER_TABLE_NAME: 'bench-ledger',
    STATE_TABLE_NAME: 'bench-state',
    STRIPE_API_KEY_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:bench-api-key',
  },
};

function timeNode(script: string, env: Record<string, string>): number {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, ['-e', script], {
    env: { PATH: process.env.PATH ?? '', AWS_REGION: 'us-east-1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`node -e failed: ${result.stderr}`);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

export async function coldStart(runs = 15) {
  const outDir = mkdtempSync(join(tmpdir(), 'bench-bundles-'));
  try {
    const bundles = await bundleFunctions(outDir);
    const results: Record<string, { sizeKb: number; loadMs: number; bareMs: number }> = {};
    for (const [name, file] of Object.entries(bundles) as [FunctionName, string][]) {
      const load: number[] = [];
      const bare: number[] = [];
      // Interleaved, so that machine noise hits both series alike.
      for (let run = 0; run < runs; run++) {
        bare.push(timeNode('0', {}));
        load.push(timeNode(`require(${JSON.stringify(file)})`, ENV[name]));
      }
      results[name] = { sizeKb: round(statSync(file).size / 1024), loadMs: round(median(load) - median(bare)), bareMs: round(median(bare)) };
    }
    return results;
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}
