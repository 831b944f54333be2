/**
 * Reconcile checkpoints in the pipeline's state table (functions/shared/resources.ts STATE_TABLE),
 * one item per job key.
 */
import { DeleteItemCommand, GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { STATE_TABLE } from '../shared/resources';
import type { JobState, JobStore } from './jobs';

export function dynamoJobStore(db: DynamoDBClient, stateTableName: string, now: () => number = Date.now): JobStore {
  const keyName = STATE_TABLE.partitionKey.name;
  return {
    async read(key) {
      const { Item } = await db.send(new GetItemCommand({ TableName: stateTableName, Key: { [keyName]: { S: key } }, ConsistentRead: true }));
      if (!Item) return undefined;
      const { reconciledUntil, scan } = unmarshall(Item) as JobState;
      return { ...(reconciledUntil !== undefined ? { reconciledUntil } : {}), ...(scan ? { scan } : {}) };
    },
    async save(key, state) {
      if (state.reconciledUntil === undefined && !state.scan) {
        await db.send(new DeleteItemCommand({ TableName: stateTableName, Key: { [keyName]: { S: key } } }));
        return;
      }
      const item = { [keyName]: key, ...state, updatedAt: new Date(now()).toISOString() };
      await db.send(new PutItemCommand({ TableName: stateTableName, Item: marshall(item, { removeUndefinedValues: true }) }));
    },
  };
}
