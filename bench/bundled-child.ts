/**
 * Runs a benchmark body as the functions run on Lambda: bundled by esbuild with the deployed options
 * (infra/bundle.ts), in a fresh Node process with nothing else loaded, so the figures include what
 * the bundle does (minified code, module resolution settings) and "first N events of a fresh process"
 * means just that.
 *
 * The body is a TypeScript file under bench/ that writes its result with `reportResult` (bench/child-result.ts); its standard
 * output goes to /dev/null, so the functions' own log and metric lines cost what they cost on Lambda
 * (a write to a pipe there) without being parsed here.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { bundleOptionsFor, type FunctionName } from '../infra/bundle';
import { ROOT } from './stats';

export interface BundledChildOptions {
  /** Bundle as this function is bundled (e.g. the ingest's lighter stripe). @default 'worker' */
  readonly as?: FunctionName;
  readonly env?: Record<string, string>;
  readonly nodeArgs?: readonly string[];
}

/** Bundles `file` (relative to the repository root) and runs it; returns what it reported. */
export async function runBundled<T>(file: string, options: BundledChildOptions = {}): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-child-'));
  try {
    const outfile = join(dir, 'index.js');
    await build({ ...bundleOptionsFor(options.as ?? 'worker'), sourcemap: false, entryPoints: [join(ROOT, file)], outfile, logLevel: 'warning' });
    const resultFile = join(dir, 'result.json');
    // Not spawnSync: the parent may be serving the child (a loopback stand-in for AWS) meanwhile.
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), outfile], {
      env: { PATH: process.env.PATH ?? '', AWS_REGION: 'us-east-1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', BENCH_RESULT_FILE: resultFile, ...options.env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
    if (status !== 0) throw new Error(`${file} failed (exit ${status}):\n${stderr}`);
    if (!existsSync(resultFile)) throw new Error(`${file} reported no result: a body must call reportResult() from bench/child-result.ts (its stdout is not read)`);
    return JSON.parse(readFileSync(resultFile, 'utf8')) as T;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
