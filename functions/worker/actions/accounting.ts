/**
 * payout.paid and transfer.*: entries in the accounting ledger, with running totals per currency.
 *
 * This is where a duplicate would show: each entry is keyed by the event id and its totals increment
 * commits in the same transaction as the event's "completed" mark, so the totals always equal the sum
 * of the distinct events' entries. Amounts are money leaving the Stripe balance, in minor units.
 */
import { projectionKeys } from '../../shared/projection-keys';
import { entryWrite, type Effects } from '../effects';
import type { EventOf, HandlerMap } from '../registry';

type AccountingEvent = EventOf<'payout.paid'> | EventOf<'transfer.created'> | EventOf<'transfer.reversed'>;

function ledgerEntry(event: AccountingEvent, kind: string, amount: number, currency: string): Effects {
  return {
    writes: [
      entryWrite(
        projectionKeys.ledgerEntry(event.id),
        { eventId: event.id, kind, objectId: event.data.object.id, amount, currency, created: event.created },
        [{ key: projectionKeys.ledgerTotal(currency), add: { amount, entries: 1 }, set: { currency } }],
      ),
    ],
    logs: [{ level: 'info', message: 'Accounting entry recorded', attributes: { kind, objectId: event.data.object.id, amount, currency } }],
  };
}

export const accountingHandlers = {
  'payout.paid': (event) => ledgerEntry(event, 'payout', event.data.object.amount, event.data.object.currency),
  'transfer.created': (event) => ledgerEntry(event, 'transfer', event.data.object.amount, event.data.object.currency),
  'transfer.reversed': (event) => {
    const transfer = event.data.object;
    // amount_reversed is cumulative; this event's reversal is the change from the previous value.
    const before = event.data.previous_attributes?.amount_reversed ?? 0;
    return ledgerEntry(event, 'transfer_reversal', -(transfer.amount_reversed - before), transfer.currency);
  },
} satisfies HandlerMap;
