/** What the operator CLIs (events, console) print when they cannot start: missing permissions and failures, in one line each, free of secrets. */
import { describeError, redactSecrets } from '../functions/shared/errors';
import { accessErrorIn, type AccessReport } from '../ops/access-errors';

/** Every missing permission, or the one credentials problem to fix first. */
export function printAccessReport(report: AccessReport, targetName: string, printError: (line: string) => void): void {
  if (report.credentials) {
    printError(report.credentials);
    return;
  }
  printError(`Missing permissions on ${targetName} (every one, checked before reading anything):`);
  for (const problem of report.problems) printError(`  ${problem.message}${problem.without ? ` (Optional: without it, ${problem.without}.)` : ''}`);
}

/** An error as one line, access errors in their own words; anything shaped like a key cut out. */
export function failureMessage(error: unknown): string {
  // A plain Error's message says it all; an SDK error's name ("ResourceNotFoundException") is part of the news.
  const plain = error instanceof Error && error.name === 'Error';
  return redactSecrets(accessErrorIn(error)?.message ?? (plain ? error.message : describeError(error)));
}
