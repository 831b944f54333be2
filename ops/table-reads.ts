/**
 * Whole-table and whole-partition reads, following DynamoDB's pagination. Scans serve the local stack
 * only, whose tables are small; what runs against a deployed stage queries keys and indexes.
 */
import { QueryCommand, ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';

type Key = Record<string, never> | undefined;

/** Every item of a table, with strongly consistent reads. */
export async function scanAll<T = Record<string, unknown>>(db: DynamoDBClient, tableName: string): Promise<T[]> {
  const items: T[] = [];
  let startKey: Key;
  do {
    const page = await db.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: startKey, ConsistentRead: true }));
    items.push(...(page.Items ?? []).map((item) => unmarshall(item) as T));
    startKey = page.LastEvaluatedKey as Key;
  } while (startKey);
  return items;
}

/** Every item of one partition (`pk`) of a table keyed on `pk`/`sk`. */
export async function queryPartition<T = Record<string, unknown>>(db: DynamoDBClient, tableName: string, pk: string): Promise<T[]> {
  const items: T[] = [];
  let startKey: Key;
  do {
    const page = await db.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: pk } },
        ExclusiveStartKey: startKey,
        ConsistentRead: true,
      }),
    );
    items.push(...(page.Items ?? []).map((item) => unmarshall(item) as T));
    startKey = page.LastEvaluatedKey as Key;
  } while (startKey);
  return items;
}
