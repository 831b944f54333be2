/**
 * Which events a stage accepts, by mode and account. A live stage that receives a test-mode event, or
 * a platform that receives a connected account's event it did not expect, is misconfigured at Stripe:
 * the event is refused with the reason, counted, and kept in the dead-letter queue (never done), so
 * nothing is lost and nothing wrong is projected.
 */
import type { Acceptance } from '../shared/config';
import type { EventEnvelope } from '../shared/envelope';

/** The platform's own events, which carry no account. */
const PLATFORM = 'platform';

export const ACCEPT_ALL: Acceptance = { accounts: 'all' };

/** Why the stage refuses `envelope`, or undefined when it accepts it. */
export function refusalOf(envelope: Pick<EventEnvelope, 'ledgerId' | 'livemode' | 'account'>, acceptance: Acceptance): string | undefined {
  if (acceptance.livemode !== undefined && envelope.livemode !== acceptance.livemode) {
    const mode = (live: boolean) => (live ? 'live' : 'test');
    return `Event ${envelope.ledgerId} is a ${mode(envelope.livemode)}-mode event and this stage accepts only ${mode(acceptance.livemode)} mode (STRIPE_LIVEMODE)`;
  }
  const account = envelope.account ?? PLATFORM;
  if (acceptance.accounts !== 'all' && !acceptance.accounts.includes(account)) {
    return `Event ${envelope.ledgerId} is from ${envelope.account ? `connected account ${envelope.account}` : 'the platform account'}, which this stage does not accept (STRIPE_ACCOUNTS=${acceptance.accounts.join(',')})`;
  }
  return undefined;
}
