import { countsDelivery, explainRefusal, mayWrite } from '../../../functions/worker/ledger-rules';
import { ME, NOW, OTHER, STATES, WRITES, cells } from '../../helpers/ledger-cases';

describe('the ledger rules', () => {
  describe('mayWrite', () => {
    it.each(cells().map((cell) => [cell.expected ? 'may' : 'may not', cell.write, cell.state, cell]))('%s %s from %s', (_, __, ___, cell) => {
      const { claim, from } = WRITES[cell.write]!;
      expect(mayWrite(from, cell.record, claim, NOW)).toBe(cell.expected);
    });

    it('treats a lease as live until the millisecond it expires', () => {
      const lease = { status: 'processing' as const, leaseOwner: OTHER, leaseExpiresAt: NOW };
      expect(mayWrite(WRITES['commit, direct']!.from, lease, { kind: 'direct' }, NOW)).toBe(false);
      expect(mayWrite(WRITES['commit, direct']!.from, lease, { kind: 'direct' }, NOW + 1)).toBe(true);
    });
  });

  describe('explainRefusal', () => {
    it('acknowledges a finished event as done', () => {
      expect(explainRefusal({ kind: 'direct' }, STATES.completed, NOW)).toEqual({ kind: 'done', status: 'completed' });
      expect(explainRefusal({ kind: 'lease', owner: ME }, STATES.ignored, NOW)).toEqual({ kind: 'done', status: 'ignored' });
    });

    it("says to retry after another delivery's live lease", () => {
      expect(explainRefusal({ kind: 'direct' }, STATES['live lease, another owner'], NOW)).toEqual({ kind: 'leaseHeld', leaseExpiresAt: NOW + 60_000 });
      expect(explainRefusal({ kind: 'lease', owner: ME }, STATES['live lease, another owner'], NOW)).toEqual({ kind: 'leaseHeld', leaseExpiresAt: NOW + 60_000 });
    });

    it('finds the lease already ours when a retried lease request meets the lease its first try took', () => {
      expect(explainRefusal({ kind: 'lease', owner: ME }, STATES['live lease, our own'], NOW)).toEqual({ kind: 'alreadyOurs' });
    });

    it('tells a holder refused for any reason that its lease was lost', () => {
      for (const record of Object.values(STATES)) expect(explainRefusal({ kind: 'holder', owner: ME }, record, NOW)).toEqual({ kind: 'leaseLost' });
    });

    it('never acknowledges on a guess: a refusal that does not fit the item is a conflict to retry', () => {
      expect(explainRefusal({ kind: 'direct' }, undefined, NOW)).toEqual({ kind: 'conflict' });
      expect(explainRefusal({ kind: 'direct' }, STATES.failed, NOW)).toEqual({ kind: 'conflict' });
    });
  });

  describe('countsDelivery', () => {
    it('counts a message on its first receive, whatever write it makes first', () => {
      expect(countsDelivery(1, { kind: 'direct' })).toBe(true);
      expect(countsDelivery(1, { kind: 'direct', force: true })).toBe(true);
      expect(countsDelivery(1, { kind: 'lease', owner: ME })).toBe(true);
    });

    it('never counts a later receive (an attempt), a message with no receive count, or the lease holder, whose lease counted it', () => {
      expect(countsDelivery(2, { kind: 'direct' })).toBe(false);
      expect(countsDelivery(5, { kind: 'lease', owner: ME })).toBe(false);
      expect(countsDelivery(undefined, { kind: 'direct' })).toBe(false);
      expect(countsDelivery(1, { kind: 'holder', owner: ME })).toBe(false);
    });
  });
});
