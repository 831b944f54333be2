/**
 * Which event ids the ledger has, in any status: BatchGetItem, 100 keys a call (DynamoDB's limit),
 * reading only the key. Keys DynamoDB leaves unprocessed (throttling) are asked again with backoff.
 *
 * Eventually consistent reads, at half the price: the events asked about are older than the settling
 * window, long past their ledger write, and a read that misses one only queues it again, which the
 * worker then does once.
 */
import { BatchGetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LEDGER_TABLE } from '../shared/resources';

const KEYS_PER_CALL = 100;
const MAX_ROUNDS = 8;

export function ledgerLookup(db: DynamoDBClient, ledgerTableName: string, sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))) {
  const key = LEDGER_TABLE.partitionKey.name;
  return async (ids: readonly string[]): Promise<ReadonlySet<string>> => {
    const known = new Set<string>();
    const unique = [...new Set(ids)];
    for (let start = 0; start < unique.length; start += KEYS_PER_CALL) {
      let keys = unique.slice(start, start + KEYS_PER_CALL).map((id) => ({ [key]: { S: id } }));
      for (let round = 0; keys.length > 0; round++) {
        if (round === MAX_ROUNDS) throw new Error(`The ledger left ${keys.length} keys unread after ${MAX_ROUNDS} tries (throttled)`);
        if (round > 0) await sleep(Math.min(50 * 2 ** round, 2_000));
        const result = await db.send(
          new BatchGetItemCommand({
            RequestItems: { [ledgerTableName]: { Keys: keys, ProjectionExpression: '#key', ExpressionAttributeNames: { '#key': key } } },
          }),
        );
        for (const item of result.Responses?.[ledgerTableName] ?? []) known.add(item[key]!.S!);
        keys = (result.UnprocessedKeys?.[ledgerTableName]?.Keys ?? []) as typeof keys;
      }
    }
    return known;
  };
}
