/**
 * Runs in a fresh process, bundled as the ingest is deployed: loads the ingest's Lambda entry
 * (functions/ingest/handler.ts, configured as on AWS: its signing secret in Secrets Manager) and
 * invokes it twice with the signed requests the parent prepared, against the parent's loopback
 * stand-in for SQS and Secrets Manager. Nothing else is imported before the entry, so its load time
 * is the entry's own.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { reportResult } from './child-result';

async function main() {
  const nodeStartMs = performance.now();
  const { handler } = require('../functions/ingest/handler') as typeof import('../functions/ingest/handler');
  const loadedMs = performance.now();
  const [first, second] = JSON.parse(readFileSync(process.env.BENCH_REQUESTS_FILE!, 'utf8')) as [never, never];
  const firstResponse = await handler(first);
  const firstDoneMs = performance.now();
  const secondResponse = await handler(second);
  const secondDoneMs = performance.now();
  if (firstResponse.statusCode !== 200 || secondResponse.statusCode !== 200) throw new Error(`answered ${firstResponse.statusCode}, ${secondResponse.statusCode}`);
  reportResult({ nodeStartMs, loadMs: loadedMs - nodeStartMs, firstRequestMs: firstDoneMs - loadedMs, secondRequestMs: secondDoneMs - firstDoneMs });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
