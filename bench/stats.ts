/** Small measuring helpers shared by the benchmark sections. */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

export const round = (value: number, digits = 1) => Number(value.toFixed(digits));

/** Elapsed microseconds since `start` (process.hrtime.bigint()). */
export const microsSince = (start: bigint) => Number(process.hrtime.bigint() - start) / 1000;

export const ROOT = join(__dirname, '..');

/** Runs a TypeScript file in a child process with tsx. */
export function spawnTs(file: string, env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), file], {
    cwd: ROOT,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Resolves with the first stdout match of `pattern`. */
export function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs = 60_000): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error(`No ${pattern} within ${timeoutMs} ms:\n${buffer.slice(-2000)}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString();
      const match = buffer.match(pattern);
      if (match) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        resolve(match);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (buffer += chunk.toString()));
  });
}

export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGINT');
    setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
  });
}

export interface LoadResult {
  readonly sent: number;
  /** Requests that got no answer (connection refused or timed out). */
  readonly errors: number;
  readonly ackMs: number[];
  readonly statuses: Map<number, number>;
  /** POST start time (epoch ms) by event id. */
  readonly startedAt: Map<string, number>;
  readonly firstAt: number;
  readonly lastAt: number;
}

export interface Delivery {
  readonly id: string;
  readonly body: string;
  readonly header: string;
}

