/** The backfill command refuses bad input before it reaches AWS or Stripe, with a message that says how to fix it. */
import { main } from '../../../scripts/backfill';

describe('npm run backfill (bad input)', () => {
  const run = (args: string[]) => {
    const lines: string[] = [];
    return { result: main(args, (line) => lines.push(line)), lines };
  };

  it('prints the usage and exits 2 without a target or --since', async () => {
    const { result, lines } = run(['--since', '1h']);
    expect(await result).toBe(2);
    expect(lines.join('\n')).toContain('Usage: npm run backfill');
  });

  it('refuses a malformed --since', async () => {
    await expect(run(['--stage', 'prod', '--since', 'yesterday']).result).rejects.toThrow(/"yesterday" is not a time/);
  });

  it('refuses an --until before --since', async () => {
    await expect(run(['--stage', 'prod', '--since', '1h', '--until', '2h']).result).rejects.toThrow(/--until .* must be after --since/);
  });

  it('refuses a type no handler handles, listing the handled ones', async () => {
    await expect(run(['--stage', 'prod', '--since', '1h', '--type', 'payment_intent.succeeded', '--type', 'bogus.type']).result).rejects.toThrow(
      /Unknown --type bogus\.type: .*Handled types: payment_intent\.succeeded/,
    );
  });
});
