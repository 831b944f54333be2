/** payment_method.attached / detached: the customer's saved payment methods. */
import { projectionKeys } from '../../shared/projection-keys';
import { idOf, stateVersion, stateWrite, type Effects } from '../effects';
import type { EventOf, HandlerMap } from '../registry';

const RANK = { attached: 10, detached: 20 } as const;

function onAttached(event: EventOf<'payment_method.attached'>): Effects {
  const method = event.data.object;
  const customerId = idOf(method.customer);
  if (!customerId) return noCustomer(method.id);
  return {
    writes: [
      stateWrite(projectionKeys.paymentMethod(customerId, method.id), stateVersion(event, RANK.attached), {
        customerId,
        paymentMethodId: method.id,
        status: 'attached',
        type: method.type,
        brand: method.card?.brand ?? null,
        last4: method.card?.last4 ?? null,
      }),
    ],
    logs: [{ level: 'info', message: 'PaymentMethod was attached to a Customer!', attributes: { paymentMethodId: method.id, customerId } }],
  };
}

function onDetached(event: EventOf<'payment_method.detached'>): Effects {
  const method = event.data.object;
  // After a detach the object's customer is null; the previous value says whose it was.
  const customerId = idOf(method.customer) ?? idOf(event.data.previous_attributes?.customer);
  if (!customerId) return noCustomer(method.id);
  return {
    writes: [
      stateWrite(projectionKeys.paymentMethod(customerId, method.id), stateVersion(event, RANK.detached), {
        customerId,
        paymentMethodId: method.id,
        status: 'detached',
        type: method.type,
      }),
    ],
    logs: [{ level: 'info', message: 'PaymentMethod was detached from a Customer', attributes: { paymentMethodId: method.id, customerId } }],
  };
}

function noCustomer(paymentMethodId: string): Effects {
  return { writes: [], logs: [{ level: 'warn', message: 'PaymentMethod event names no customer; nothing to record', attributes: { paymentMethodId } }] };
}

export const paymentMethodHandlers = {
  'payment_method.attached': onAttached,
  'payment_method.detached': onDetached,
} satisfies HandlerMap;
