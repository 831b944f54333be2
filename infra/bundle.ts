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
  // The ES module builds of the SDK and stripe first: they bundle smaller and load faster than the
  // CommonJS ones (BENCHMARKS.md, cold start).
  mainFields: ['module', 'main'],
  // Those ES builds load some Node built-ins lazily with import() (the SDK's HTTP handler, node:http);
  // in a CommonJS bundle require() does the same without starting Node's ES module loader, and loads
  // in hosts without one (jest's VM, which runs the bundles in test/integration/pipeline.test.ts).
  supported: { 'dynamic-import': false },
  legalComments: 'none',
} as const satisfies BuildOptions;

/** The esbuild options of one function. */
export function bundleOptionsFor(_name: FunctionName): BuildOptions {
  return { ...BUNDLE_OPTIONS, mainFields: [...BUNDLE_OPTIONS.mainFields], external: [...BUNDLE_OPTIONS.external], supported: { ...BUNDLE_OPTIONS.supported } };
}

export async function bundleFunctions(outDir: string, root = join(__dirname, '..')): Promise<Record<FunctionName, string>> {
  const outputs = {} as Record<FunctionName, string>;
  for (const [name, entry] of Object.entries(FUNCTION_ENTRIES) as [FunctionName, string][]) {
    const outfile = join(outDir, name, 'index.js');
    await build({ ...bundleOptionsFor(name), entryPoints: [join(root, entry)], outfile, logLevel: 'warning' });
    outputs[name] = outfile;
  }
  return outputs;
}

if (require.main === module) {
  bundleFunctions(join(__dirname, '..', 'dist')).then((outputs) => {
    for (const [name, file] of Object.entries(outputs)) console.log(`${name}: ${file}`);
  });
}
