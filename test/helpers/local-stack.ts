import { startLocalStack, type LocalStack, type LocalStackOptions } from '../../local/stack';
import { emulatorEndpoints } from './aws';
import { TEST_SECRET } from './factories';

/** The local stack on a free port, over the test run's emulators, with its own uniquely named resources. */
export function startTestStack(options: Partial<LocalStackOptions> = {}): Promise<LocalStack & { lines: string[] }> {
  const lines: string[] = [];
  return startLocalStack({
    port: 0,
    secrets: [TEST_SECRET],
    stage: `s${Math.random().toString(36).slice(2, 10)}`,
    endpoints: emulatorEndpoints(),
    visibilityTimeoutSeconds: 1,
    print: (line) => lines.push(line),
    ...options,
  }).then((stack) => Object.assign(stack, { lines }));
}

export async function getJson<T = any>(url: string, init?: RequestInit): Promise<{ status: number; body: T }> {
  const response = await fetch(url, init);
  return { status: response.status, body: (await response.json()) as T };
}

/** Polls until `check` returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
