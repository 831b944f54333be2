/**
 * The shape of the code: each top-level folder imports only from the layers beneath it, and no module
 * imports itself through others. Type-only imports count too: a circle of types is a circle of ideas.
 *
 *   functions/   the Lambda code                      imports functions/
 *   ops/         operating a stage (DLQ, ledger)      imports functions/
 *   infra/       the CDK app and bundling             imports functions/
 *   local/       the local stack                      imports functions/, ops/
 *   scripts/     command-line tools                   imports functions/, ops/, infra/, local/
 *   bench/, test/                                     anything; nothing imports them
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = join(__dirname, '..', '..');

const MAY_IMPORT: Readonly<Record<string, readonly string[]>> = {
  functions: ['functions'],
  ops: ['functions', 'ops'],
  infra: ['functions', 'infra'],
  local: ['functions', 'ops', 'local'],
  scripts: ['functions', 'ops', 'infra', 'local', 'scripts'],
  bench: ['functions', 'ops', 'infra', 'local', 'scripts', 'bench'],
  test: ['functions', 'ops', 'infra', 'local', 'scripts', 'bench', 'test'],
};

function sourceFiles(folder: string): string[] {
  const path = join(ROOT, folder);
  return readdirSync(path).flatMap((name) => {
    const child = join(path, name);
    if (statSync(child).isDirectory()) return sourceFiles(relative(ROOT, child));
    return /\.(ts|mjs|js)$/.test(name) ? [relative(ROOT, child)] : [];
  });
}

/** The project files a source file imports (relative specifiers only; packages are not ours). */
function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const specifiers = [...text.matchAll(/(?:from\s+|import\s*\(\s*|require\s*\(\s*|^import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm)].map((match) => match[1]!);
  return specifiers.map((specifier) => {
    const base = resolve(ROOT, dirname(file), specifier);
    const found = [base, `${base}.ts`, join(base, 'index.ts'), `${base}.js`, `${base}.mjs`].find((candidate) => existsSync(candidate) && statSync(candidate).isFile());
    if (!found) throw new Error(`${file} imports ${specifier}, which does not resolve`);
    return relative(ROOT, found);
  });
}

const layerOf = (file: string) => file.split('/')[0]!;
const files = Object.keys(MAY_IMPORT).flatMap(sourceFiles);
const graph = new Map(files.map((file) => [file, importsOf(file)]));

describe('the architecture', () => {
  it('finds the source files it checks', () => {
    expect(files.filter((file) => file.startsWith('functions/')).length).toBeGreaterThan(20);
    expect(graph.get('functions/worker/wiring.ts')).toContain('functions/worker/dynamo-ledger.ts');
  });

  it('has each folder import only from the layers beneath it', () => {
    const upward = [...graph].flatMap(([file, imports]) =>
      imports.filter((target) => !MAY_IMPORT[layerOf(file)]!.includes(layerOf(target))).map((target) => `${file} → ${target}`),
    );
    expect(upward).toEqual([]);
  });

  it('has no import cycle', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (file: string, path: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'visiting') {
        cycles.push([...path.slice(path.indexOf(file)), file].join(' → '));
        return;
      }
      state.set(file, 'visiting');
      for (const target of graph.get(file) ?? []) visit(target, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of graph.keys()) visit(file, []);
    expect(cycles).toEqual([]);
  });
});
