/**
 * The ledger's rules as a table: every state an event's ledger item can be in, every write a delivery
 * can ask for, and whether it may. The unit test checks the pure rules against it; an integration test
 * checks the DynamoDB adapter against it, cell by cell.
 */
import type { Claim, ClaimableState, LedgerState } from '../../functions/worker/ledger-rules';
import { failureFrom, finishFrom, leaseFrom } from '../../functions/worker/ledger-rules';

export const NOW = 1_800_000_000_000;
export const ME = 'owner-me';
export const OTHER = 'owner-other';

export const STATES: Readonly<Record<string, LedgerState | undefined>> = {
  new: undefined,
  failed: { status: 'failed' },
  'live lease, another owner': { status: 'processing', leaseOwner: OTHER, leaseExpiresAt: NOW + 60_000 },
  'live lease, our own': { status: 'processing', leaseOwner: ME, leaseExpiresAt: NOW + 60_000 },
  'expired lease, another owner': { status: 'processing', leaseOwner: OTHER, leaseExpiresAt: NOW - 1 },
  'expired lease, our own': { status: 'processing', leaseOwner: ME, leaseExpiresAt: NOW - 1 },
  completed: { status: 'completed' },
  ignored: { status: 'ignored' },
};

export type WriteKind = 'finish' | 'lease' | 'failure';

export interface WriteCase {
  readonly kind: WriteKind;
  readonly claim: Claim;
  readonly from: readonly ClaimableState[];
}

/** The columns of the table, in order. */
export const WRITES: Readonly<Record<string, WriteCase>> = {
  'commit, direct': { kind: 'finish', claim: { kind: 'direct' }, from: finishFrom({ kind: 'direct' }) },
  'commit, direct, forced': { kind: 'finish', claim: { kind: 'direct', force: true }, from: finishFrom({ kind: 'direct', force: true }) },
  'commit, as holder': { kind: 'finish', claim: { kind: 'holder', owner: ME }, from: finishFrom({ kind: 'holder', owner: ME }) },
  'take the lease': { kind: 'lease', claim: { kind: 'lease', owner: ME }, from: leaseFrom({ kind: 'lease', owner: ME }) },
  'take the lease, forced': { kind: 'lease', claim: { kind: 'lease', owner: ME, force: true }, from: leaseFrom({ kind: 'lease', owner: ME, force: true }) },
  'record a failure, direct': { kind: 'failure', claim: { kind: 'direct' }, from: failureFrom({ kind: 'direct' }) },
  'record a failure, after asking for the lease': { kind: 'failure', claim: { kind: 'lease', owner: ME }, from: failureFrom({ kind: 'lease', owner: ME }) },
  'record a failure, as holder': { kind: 'failure', claim: { kind: 'holder', owner: ME }, from: failureFrom({ kind: 'holder', owner: ME }) },
};

/** Whether each write (columns, in the order above) may start from each state: y or n. */
export const EXPECTED: Readonly<Record<keyof typeof STATES, string>> = {
  new: '                           y y n y y y y n',
  failed: '                        y y n y y y y n',
  'live lease, another owner': '   n n n n n n n n',
  'live lease, our own': '         n n y n n n y y',
  'expired lease, another owner': 'y y n y y y y n',
  'expired lease, our own': '      y y y y y y y y',
  completed: '                     n y n n y n n n',
  ignored: '                       n y n n y n n n',
};

/** Every cell of the table. */
export function cells(): { state: string; record: LedgerState | undefined; write: string; expected: boolean }[] {
  const writes = Object.keys(WRITES);
  return Object.entries(STATES).flatMap(([state, record]) => {
    const answers = EXPECTED[state]!.trim().split(/\s+/);
    if (answers.length !== writes.length) throw new Error(`Row ${state} has ${answers.length} answers for ${writes.length} writes`);
    return writes.map((write, column) => ({ state, record, write, expected: answers[column] === 'y' }));
  });
}
