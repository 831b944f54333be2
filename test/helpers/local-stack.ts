import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
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

/** A JSON body for a mutating ops route, with the content type the routes require of it (local/request-guard.ts). */
export function jsonRequest(method: 'POST' | 'PUT', body: unknown): RequestInit {
  return { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

/**
 * One request through node:http, which sends the headers as given: fetch sets the Host itself, and
 * cannot send the foreign one that a browser sends to a DNS name re-pointed at this machine.
 */
export function rawRequest(url: string, init: { method: string; headers: Record<string, string>; body?: string }): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method: init.method, headers: init.headers }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body }));
    });
    request.on('error', reject);
    request.end(init.body);
  });
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
