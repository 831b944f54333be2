/** charge.refunded: how much of a charge has been refunded. */
import { projectionKeys } from '../../shared/projection-keys';
import { idOf, stateWrite, type Effects } from '../effects';
import type { EventOf, HandlerMap } from '../registry';

function onRefunded(event: EventOf<'charge.refunded'>): Effects {
  const charge = event.data.object;
  return {
    writes: [
      // The refunded amount only grows, so it orders these events exactly, even within one second.
      stateWrite(projectionKeys.refund(charge.id), charge.amount_refunded, {
        chargeId: charge.id,
        paymentIntentId: idOf(charge.payment_intent),
        amount: charge.amount,
        amountRefunded: charge.amount_refunded,
        currency: charge.currency,
        fullyRefunded: charge.refunded,
      }),
    ],
    logs: [{ level: 'info', message: 'Charge refunded', attributes: { chargeId: charge.id, amountRefunded: charge.amount_refunded, currency: charge.currency } }],
  };
}

export const refundHandlers = { 'charge.refunded': onRefunded } satisfies HandlerMap;
