/** checkout.session.completed: the order is ready to fulfil once it is paid. */
import { projectionKeys } from '../../shared/projection-keys';
import { idOf, stateVersion, stateWrite, type Effects } from '../effects';
import type { EventOf, HandlerMap } from '../registry';

/** Same ranks as payments.ts, so a paid order is never reverted by an older "awaiting payment". */
const RANK = { awaitingPayment: 15, paid: 40 } as const;

function onCompleted(event: EventOf<'checkout.session.completed'>): Effects {
  const session = event.data.object;
  const orderId = session.metadata?.order_id || session.client_reference_id || session.id;
  // Delayed payment methods (bank debits) complete the session before the money arrives.
  const paid = session.payment_status === 'paid' || session.payment_status === 'no_payment_required';
  return {
    writes: [
      stateWrite(projectionKeys.order(orderId), stateVersion(event, paid ? RANK.paid : RANK.awaitingPayment), {
        orderId,
        status: paid ? 'ready_to_fulfil' : 'awaiting_payment',
        checkoutSessionId: session.id,
        paymentIntentId: idOf(session.payment_intent),
        customerId: idOf(session.customer),
        amount: session.amount_total,
        currency: session.currency,
      }),
    ],
    logs: [{ level: 'info', message: paid ? 'Checkout completed; order ready to fulfil' : 'Checkout completed; awaiting payment', attributes: { orderId, checkoutSessionId: session.id } }],
  };
}

export const checkoutHandlers = { 'checkout.session.completed': onCompleted } satisfies HandlerMap;
