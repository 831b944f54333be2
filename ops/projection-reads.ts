/**
 * Reading the business projections the reference actions write: payments, orders, customers,
 * disputes, the balance and the accounting ledger. Keys come from the same module the actions use.
 */
import { GetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { projectionKeys } from '../functions/shared/projection-keys';
import { queryPartition } from './table-reads';

type Item = Record<string, unknown>;

/** An item without its table keys. */
function withoutKeys({ pk: _pk, sk: _sk, ...item }: Item): Item {
  return item;
}

/** One projection item, or undefined. */
export async function getProjection(db: DynamoDBClient, tableName: string, key: { pk: string; sk: string }): Promise<Item | undefined> {
  const { Item } = await db.send(new GetItemCommand({ TableName: tableName, Key: { pk: { S: key.pk }, sk: { S: key.sk } }, ConsistentRead: true }));
  return Item ? withoutKeys(unmarshall(Item)) : undefined;
}

/** A customer's membership and saved payment methods, or undefined when nothing is known of them. */
export async function getCustomer(db: DynamoDBClient, tableName: string, customerId: string) {
  const items = await queryPartition(db, tableName, projectionKeys.membership(customerId).pk);
  if (items.length === 0) return undefined;
  return {
    customerId,
    membership: items.filter((item) => item.sk === 'membership').map(withoutKeys)[0] ?? null,
    paymentMethods: items.filter((item) => String(item.sk).startsWith('payment_method#')).map(withoutKeys),
  };
}

/** The balance snapshot per currency. */
export async function getBalance(db: DynamoDBClient, tableName: string) {
  const items = await queryPartition(db, tableName, projectionKeys.balance('').pk);
  return { currencies: Object.fromEntries(items.map((item) => [String(item.currency), withoutKeys(item)])) };
}

/** Accounting entries, oldest first, and the running totals per currency. */
export async function getAccountingLedger(db: DynamoDBClient, tableName: string) {
  const items = await queryPartition(db, tableName, projectionKeys.ledgerTotal('').pk);
  const entries = items
    .filter((item) => String(item.sk).startsWith('entry#'))
    .map(withoutKeys)
    .sort((a, b) => Number(a.created) - Number(b.created));
  const totals = Object.fromEntries(
    items.filter((item) => String(item.sk).startsWith('total#')).map((item) => [String(item.currency), { amount: item.amount, entries: item.entries }]),
  );
  return { entries, totals };
}
