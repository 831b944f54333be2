/**
 * The projections in DynamoDB: each ProjectionWrite an action returns (effects.ts) as the transaction
 * items that apply it, and the keys of the items it touches. The ledger adapter commits them with the
 * event's ledger item.
 *
 * - A state write updates the object's item only if the stored version is not newer (the ordering
 *   rule in effects.ts).
 * - An accounting entry is put only if it does not exist yet, and adds to its running totals.
 */
import type { AttributeValue as DynamoValue, TransactWriteItem } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { Attributes, ItemKey, ProjectionWrite } from './effects';

/** The transaction items that apply `write` for the event `eventId`. */
export function projectionItems(tableName: string, write: ProjectionWrite, eventId: string, now: number): TransactWriteItem[] {
  const updatedAt = new Date(now).toISOString();
  if (write.kind === 'state') {
    const attributes = { ...write.attributes, stateVersion: write.version, sourceEventId: eventId, updatedAt };
    return [
      {
        Update: {
          TableName: tableName,
          Key: marshall(write.key),
          ...setAll(attributes, 'attribute_not_exists(#stateVersion) OR #stateVersion <= :stateVersion'),
        },
      },
    ];
  }
  return [
    {
      Put: {
        TableName: tableName,
        Item: marshall({ ...write.key, ...write.attributes, recordedAt: updatedAt }, { removeUndefinedValues: true }),
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
    ...write.totals.map(
      (total): TransactWriteItem => ({
        Update: { TableName: tableName, Key: marshall(total.key), ...addAll(total.add, { ...total.set, updatedAt }) },
      }),
    ),
  ];
}

/** The keys of the items `write` touches, so that a combined commit never touches one item twice. */
export function projectionItemKeys(write: ProjectionWrite): ItemKey[] {
  return [write.key, ...(write.kind === 'entry' ? write.totals.map((total) => total.key) : [])];
}

type Expression = {
  UpdateExpression: string;
  ConditionExpression?: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues: Record<string, DynamoValue>;
};

/** `SET #a0 = :a0, #a1 = :a1, …` for every defined attribute (names are placeholders: no reserved-word trouble). */
function setAll(attributes: Attributes, condition: string): Expression {
  const names: Record<string, string> = { '#stateVersion': 'stateVersion' };
  const values: Record<string, unknown> = { ':stateVersion': attributes.stateVersion };
  const assignments: string[] = [];
  Object.entries(attributes)
    .filter(([, value]) => value !== undefined)
    .forEach(([name, value], index) => {
      names[`#a${index}`] = name;
      values[`:a${index}`] = value;
      assignments.push(`#a${index} = :a${index}`);
    });
  return {
    UpdateExpression: `SET ${assignments.join(', ')}`,
    ConditionExpression: condition,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: marshall(values),
  };
}

/** `ADD #n0 :n0, … SET #s0 = :s0, …` for running totals. */
function addAll(add: Readonly<Record<string, number>>, set: Attributes): Expression {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const adds = Object.entries(add).map(([name, value], index) => {
    names[`#n${index}`] = name;
    values[`:n${index}`] = value;
    return `#n${index} :n${index}`;
  });
  const sets = Object.entries(set)
    .filter(([, value]) => value !== undefined)
    .map(([name, value], index) => {
      names[`#s${index}`] = name;
      values[`:s${index}`] = value;
      return `#s${index} = :s${index}`;
    });
  return {
    UpdateExpression: `ADD ${adds.join(', ')}${sets.length ? ` SET ${sets.join(', ')}` : ''}`,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: marshall(values),
  };
}
