/**
 * balance.available: a snapshot of the Stripe balance, per currency, of the mode and account the event
 * is about (a connected account has a balance of its own; test and live balances are separate).
 */
import { projectionKeys, scopeName } from '../../shared/projection-keys';
import { stateVersion, stateWrite, type Effects, type StateWrite } from '../effects';
import type { EventOf, HandlerContext, HandlerMap } from '../registry';

function onAvailable(event: EventOf<'balance.available'>, context: HandlerContext): Effects {
  const balance = event.data.object;
  const byCurrency = new Map<string, { available: number; pending: number }>();
  const entry = (currency: string) => byCurrency.get(currency) ?? byCurrency.set(currency, { available: 0, pending: 0 }).get(currency)!;
  for (const { amount, currency } of balance.available) entry(currency).available += amount;
  for (const { amount, currency } of balance.pending) entry(currency).pending += amount;

  const scope = scopeName(context);
  const writes: StateWrite[] = [...byCurrency].map(([currency, amounts]) =>
    stateWrite(projectionKeys.balance(context, currency), stateVersion(event, 0), { currency, ...amounts, scope, asOf: event.created }),
  );
  return { writes, logs: [{ level: 'info', message: 'Balance updated', attributes: { scope, currencies: [...byCurrency.keys()] } }] };
}

export const balanceHandlers = { 'balance.available': onAvailable } satisfies HandlerMap;
