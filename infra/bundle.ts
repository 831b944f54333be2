/**
 * Bundles each Lambda function into one minified CommonJS file with esbuild, on this machine (no
 * Docker). The CDK stack (constructs/pipeline-function.ts) uses the same entry points and options, so
 * what the tests and the benchmarks load is what ships.
 *
 *   npm run bundle            → dist/{ingest,worker,reconcile}/index.js (+ source maps)
 */
import { build, type BuildOptions } from 'esbuild';
import { join } from 'node:path';

export const FUNCTION_ENTRIES = {
  ingest: 'functions/ingest/handler.ts',
  worker: 'functions/worker/handler.ts',
  reconcile: 'functions/reconcile/handler.ts',
} as const;

export type FunctionName = keyof typeof FUNCTION_ENTRIES;

/** The esbuild options both this script and the CDK stack use. */
export const BUNDLE_OPTIONS = {
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  minify: true,
  sourcemap: true,
  // Bundling the SDK pins the versions we test, instead of whatever the Lambda runtime ships.
  external: [],
  legalComments: 'none',
} as const satisfies BuildOptions;

export async function bundleFunctions(outDir: string, root = join(__dirname, '..')): Promise<Record<FunctionName, string>> {
  const outputs = {} as Record<FunctionName, string>;
  for (const [name, entry] of Object.entries(FUNCTION_ENTRIES) as [FunctionName, string][]) {
    const outfile = join(outDir, name, 'index.js');
    await build({ ...BUNDLE_OPTIONS, entryPoints: [join(root, entry)], outfile, logLevel: 'warning' });
    outputs[name] = outfile;
  }
  return outputs;
}

if (require.main === module) {
  bundleFunctions(join(__dirname, '..', 'dist')).then((outputs) => {
    for (const [name, file] of Object.entries(outputs)) console.log(`${name}: ${file}`);
  });
}
