/**
 * payout.paid and transfer.*: entries in the accounting ledger, with running totals per currency.
 *
 * This is where a duplicate would show: each entry is keyed by the event id and its totals increment
 * commits in the same transaction as the event's "completed" mark, so the totals always equal the sum
 * of the distinct events' entries. Amounts are money leaving the Stripe balance, in minor units.
 * Entries and totals are kept per mode and account: a test payout never adds to a live total, and a
 * connected account's transfers never mix with the platform's.
 */
import { projectionKeys, scopeName } from '../../shared/projection-keys';
import { entryWrite, type Effects } from '../effects';
import type { EventOf, HandlerContext, HandlerMap } from '../registry';

type AccountingEvent = EventOf<'payout.paid'> | EventOf<'transfer.created'> | EventOf<'transfer.reversed'>;

function ledgerEntry(event: AccountingEvent, context: HandlerContext, kind: string, amount: number, currency: string): Effects {
  const scope = scopeName(context);
  return {
    writes: [
      entryWrite(
        projectionKeys.ledgerEntry(context, event.id),
        { eventId: event.id, kind, objectId: event.data.object.id, amount, currency, scope, created: event.created },
        [{ key: projectionKeys.ledgerTotal(context, currency), add: { amount, entries: 1 }, set: { currency, scope } }],
      ),
    ],
    logs: [{ level: 'info', message: 'Accounting entry recorded', attributes: { kind, objectId: event.data.object.id, amount, currency, scope } }],
  };
}

export const accountingHandlers = {
  'payout.paid': (event, context) => ledgerEntry(event, context, 'payout', event.data.object.amount, event.data.object.currency),
  'transfer.created': (event, context) => ledgerEntry(event, context, 'transfer', event.data.object.amount, event.data.object.currency),
  'transfer.reversed': (event, context) => {
    const transfer = event.data.object;
    // amount_reversed is cumulative; this event's reversal is the change from the previous value.
    const before = event.data.previous_attributes?.amount_reversed ?? 0;
    return ledgerEntry(event, context, 'transfer_reversal', -(transfer.amount_reversed - before), transfer.currency);
  },
} satisfies HandlerMap;
