/** How a benchmark body run by bench/bundled-child.ts hands its result to the parent (a file, not stdout). */
import { writeFileSync } from 'node:fs';

export function reportResult(result: unknown): void {
  writeFileSync(process.env.BENCH_RESULT_FILE!, JSON.stringify(result));
}
