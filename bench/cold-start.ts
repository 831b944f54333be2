/**
 * Cold start of each bundle: its size, and the time a fresh Node process takes to load it (module
 * init included: configuration, SDK clients, Powertools) minus the time of a bare `node -e 0`. Beside
 * them, in the same interleaved runs: the reference bundle (SQS client plus stripe's verifier), and the
 * ingest loaded with `--enable-source-maps`, to show what that option costs.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { bundleFunctions, bundleOptionsFor, type FunctionName } from '../infra/bundle';
import { ROOT, median, round } from './stats';

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

function timeNode(script: string, env: Record<string, string>, nodeArgs: readonly string[] = []): number {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, [...nodeArgs, '-e', script], {
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
    const reference = join(outDir, 'reference', 'index.js');
    await build({ ...bundleOptionsFor('ingest'), entryPoints: [join(ROOT, 'bench', 'reference-ingest.ts')], outfile: reference, logLevel: 'warning' });
    const subjects: { name: string; file: string; env: Record<string, string>; nodeArgs?: string[] }[] = [
      ...(Object.entries(bundles) as [FunctionName, string][]).map(([name, file]) => ({ name, file, env: ENV[name] })),
      { name: 'reference: SQS client + stripe verifier', file: reference, env: {} },
      { name: 'ingest with --enable-source-maps', file: bundles.ingest, env: ENV.ingest, nodeArgs: ['--enable-source-maps'] },
    ];
    const load = new Map(subjects.map((subject) => [subject.name, [] as number[]]));
    const bare: number[] = [];
    // Interleaved, so that machine noise hits every series alike.
    for (let run = 0; run < runs; run++) {
      bare.push(timeNode('0', {}));
      for (const subject of subjects) load.get(subject.name)!.push(timeNode(`require(${JSON.stringify(subject.file)})`, subject.env, subject.nodeArgs));
    }
    const bareMs = median(bare);
    return {
      bareMs: round(bareMs),
      bundles: subjects.map((subject) => ({ name: subject.name, sizeKb: round(statSync(subject.file).size / 1024), loadMs: round(median(load.get(subject.name)!) - bareMs) })),
    };
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}
