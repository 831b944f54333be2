/**
 * Every business action, by event type. To handle a new type, add a handler to the family file it
 * belongs to (or a new file) and its map here; types not listed are recorded as ignored.
 */
import { createRegistry } from '../registry';
import { accountingHandlers } from './accounting';
import { balanceHandlers } from './balance';
import { checkoutHandlers } from './checkout';
import { disputeHandlers } from './disputes';
import { invoiceHandlers } from './invoices';
import { meterHandlers } from './meters';
import { paymentMethodHandlers } from './payment-methods';
import { paymentHandlers } from './payments';
import { refundHandlers } from './refunds';
import { subscriptionHandlers } from './subscriptions';

export const registry = createRegistry(
  paymentHandlers,
  paymentMethodHandlers,
  disputeHandlers,
  refundHandlers,
  balanceHandlers,
  checkoutHandlers,
  subscriptionHandlers,
  invoiceHandlers,
  accountingHandlers,
  meterHandlers,
);
