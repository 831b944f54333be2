/** balance.available: a snapshot of the Stripe balance, per currency. */
import { projectionKeys } from '../../shared/projection-keys';
import { stateVersion, stateWrite, type Effects, type StateWrite } from '../effects';
import type { EventOf, HandlerMap } from '../registry';

function onAvailable(event: EventOf<'balance.available'>): Effects {
  const balance = event.data.object;
  const byCurrency = new Map<string, { available: number; pending: number }>();
  const entry = (currency: string) => byCurrency.get(currency) ?? byCurrency.set(currency, { available: 0, pending: 0 }).get(currency)!;
  for (const { amount, currency } of balance.available) entry(currency).available += amount;
  for (const { amount, currency } of balance.pending) entry(currency).pending += amount;

  const writes: StateWrite[] = [...byCurrency].map(([currency, amounts]) =>
    stateWrite(projectionKeys.balance(currency), stateVersion(event, 0), { currency, ...amounts, asOf: event.created }),
  );
  return { writes, logs: [{ level: 'info', message: 'Balance updated', attributes: { currencies: [...byCurrency.keys()] } }] };
}

export const balanceHandlers = { 'balance.available': onAvailable } satisfies HandlerMap;
