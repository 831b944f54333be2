/**
 * Ingest CPU per event, in a fresh process bundled as deployed (bench/ingest-cpu-body.ts): once with
 * the work the target names (verify, parse, SendMessage with the HTTP handler stubbed) and no
 * logging, once as deployed, with its Powertools log line per event.
 */
import { runBundled } from './bundled-child';

export interface IngestCpuRun {
  readonly observability: boolean;
  readonly firstCallUs: number;
  readonly first1000MeanUs: number;
  readonly first1000MedianUs: number;
  readonly first1000MeanAfterFirstUs: number;
  readonly steadyP50Us: number;
  readonly steadyP99Us: number;
  /** Time spent inside the SQS stub, per call (part of the figures above). */
  readonly stubMeanUs: number;
  /** The signature check and parse alone (`verifyStripeEvent`), over the same requests. */
  readonly floorP50Us: number;
  readonly floorP99Us: number;
  readonly memory: { readonly afterWarmUp: Memory; readonly after10k: Memory };
}

interface Memory {
  readonly rssMb: number;
  readonly heapMb: number;
}

export async function ingestCpu(): Promise<{ core: IngestCpuRun; deployed: IngestCpuRun }> {
  const run = (observability: 'on' | 'off') =>
    runBundled<IngestCpuRun>('bench/ingest-cpu-body.ts', { as: 'ingest', env: { BENCH_OBSERVABILITY: observability }, nodeArgs: ['--expose-gc'] });
  return { core: await run('off'), deployed: await run('on') };
}
