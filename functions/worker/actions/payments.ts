/** payment_intent.*: the payment record, and the order it pays for. */
import { projectionKeys } from '../../shared/projection-keys';
import { idOf, stateVersion, stateWrite, type Effects } from '../effects';
import type { EventOf, HandlerMap } from '../registry';

/** Within one second, a terminal outcome outranks a failed attempt (a failed PaymentIntent can still succeed). */
const RANK = { failed: 20, succeeded: 40 } as const;

/** The order a PaymentIntent pays for: `metadata.order_id` when the integration sets it, else the PaymentIntent itself. */
export function orderIdOf(metadata: Record<string, string> | null | undefined, fallback: string): string {
  return metadata?.order_id || fallback;
}

function onSucceeded(event: EventOf<'payment_intent.succeeded'>): Effects {
  const intent = event.data.object;
  const version = stateVersion(event, RANK.succeeded);
  const orderId = orderIdOf(intent.metadata, intent.id);
  return {
    writes: [
      stateWrite(projectionKeys.payment(intent.id), version, {
        paymentIntentId: intent.id,
        status: 'succeeded',
        amount: intent.amount,
        amountReceived: intent.amount_received,
        currency: intent.currency,
        customerId: idOf(intent.customer),
        orderId,
      }),
      stateWrite(projectionKeys.order(orderId), version, {
        orderId,
        status: 'ready_to_fulfil',
        paymentIntentId: intent.id,
        amount: intent.amount_received,
        currency: intent.currency,
      }),
    ],
    logs: [{ level: 'info', message: 'PaymentIntent was successful!', attributes: { paymentIntentId: intent.id, amount: intent.amount_received, currency: intent.currency, orderId } }],
  };
}

function onFailed(event: EventOf<'payment_intent.payment_failed'>): Effects {
  const intent = event.data.object;
  const version = stateVersion(event, RANK.failed);
  const orderId = orderIdOf(intent.metadata, intent.id);
  const failure = intent.last_payment_error;
  return {
    writes: [
      stateWrite(projectionKeys.payment(intent.id), version, {
        paymentIntentId: intent.id,
        status: 'failed',
        amount: intent.amount,
        currency: intent.currency,
        customerId: idOf(intent.customer),
        orderId,
        failureCode: failure?.code ?? null,
        failureMessage: failure?.message ?? null,
      }),
      stateWrite(projectionKeys.order(orderId), version, { orderId, status: 'payment_failed', paymentIntentId: intent.id }),
    ],
    logs: [{ level: 'warn', message: 'PaymentIntent failed', attributes: { paymentIntentId: intent.id, failureCode: failure?.code, orderId } }],
  };
}

export const paymentHandlers = {
  'payment_intent.succeeded': onSucceeded,
  'payment_intent.payment_failed': onFailed,
} satisfies HandlerMap;
