/**
 * The short form of `npm run drill`: a few hundred events through the local stack with chaos on,
 * duplicates, shuffling, poison events and a redrive; every check must pass.
 */
import { formatReport, runDrill } from '../../scripts/drill';
import { emulatorEndpoints } from '../helpers/aws';

describe('reliability drill (short form)', () => {
  it('loses nothing and does nothing twice under chaos, duplicates, reordering and a redrive', async () => {
    const report = await runDrill({ events: 300, seed: 42, endpoints: emulatorEndpoints(), timeoutMs: 150_000 });

    expect(report.checks.filter((check) => !check.passed)).toEqual([]);
    expect(report.passed).toBe(true);
    // The chaos must actually have happened, or the checks prove little.
    expect(report.injected['enqueues refused (503)']).toBeGreaterThan(0);
    expect(report.injected['actions failed']).toBeGreaterThan(0);
    expect(report.injected['crashes after commit']).toBeGreaterThan(0);
    expect(report.injected['messages redriven']).toBeGreaterThanOrEqual(report.injected['poison events']!);
    expect(report.injected['poison events']).toBeGreaterThan(0);
    expect(formatReport(report)).toContain('PASSED');
  }, 180_000);
});
