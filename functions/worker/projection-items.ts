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
import { attributeMap } from './attribute-values';
import type { Attributes, ItemKey, ProjectionWrite } from './effects';

/**
 * The transaction items that apply `write` for the event `eventId`.
 *
 * Attributes are merged with Object.assign, not with `{ ...a, b }`: on Node 20 (the local stack) an
 * object literal that starts with a spread and adds more costs about 5 µs, for every write of every
 * event; Lambda's Node 24 makes both equally cheap.
 */
export function projectionItems(tableName: string, write: ProjectionWrite, eventId: string, now: number): TransactWriteItem[] {
  const updatedAt = new Date(now).toISOString();
  if (write.kind === 'state') {
    const attributes = Object.assign({}, write.attributes, { stateVersion: write.version, sourceEventId: eventId, updatedAt });
    return [
      {
        Update: {
          TableName: tableName,
          Key: attributeMap(write.key),
          ...setAll(attributes, 'attribute_not_exists(#stateVersion) OR #stateVersion <= :stateVersion'),
        },
      },
    ];
  }
  return [
    {
      Put: {
        TableName: tableName,
        Item: attributeMap(Object.assign({}, write.key, write.attributes, { recordedAt: updatedAt }), { removeUndefinedValues: true }),
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
    ...write.totals.map(
      (total): TransactWriteItem => ({
        Update: { TableName: tableName, Key: attributeMap(total.key), ...addAll(total.add, Object.assign({}, total.set, { updatedAt })) },
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
  const assignments = assignEach('a', attributes, names, values);
  return {
    UpdateExpression: `SET ${assignments.join(', ')}`,
    ConditionExpression: condition,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: attributeMap(values),
  };
}

/** `#p0 = :p0`, … for every defined attribute, its name and value added to `names` and `values`. */
function assignEach(prefix: 'a' | 's', attributes: Attributes, names: Record<string, string>, values: Record<string, unknown>): string[] {
  const assignments: string[] = [];
  for (const name of Object.keys(attributes)) {
    const value = attributes[name];
    if (value === undefined) continue;
    const placeholder = placeholderOf(prefix, assignments.length);
    names[placeholder.name] = name;
    values[placeholder.value] = value;
    assignments.push(placeholder.assignment);
  }
  return assignments;
}

/** `ADD #n0 :n0, … SET #s0 = :s0, …` for running totals. */
function addAll(add: Readonly<Record<string, number>>, set: Attributes): Expression {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const adds: string[] = [];
  for (const name of Object.keys(add)) {
    const placeholder = placeholderOf('n', adds.length);
    names[placeholder.name] = name;
    values[placeholder.value] = add[name];
    adds.push(`${placeholder.name} ${placeholder.value}`);
  }
  const sets = assignEach('s', set, names, values);
  return {
    UpdateExpression: `ADD ${adds.join(', ')}${sets.length ? ` SET ${sets.join(', ')}` : ''}`,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: attributeMap(values),
  };
}

interface Placeholder {
  /** `#a0` */
  readonly name: string;
  /** `:a0` */
  readonly value: string;
  /** `#a0 = :a0` */
  readonly assignment: string;
}

/** The placeholders of each prefix and position, made once: every write uses the same few, and made anew they cost each write. */
const placeholders = new Map<string, Placeholder[]>();

function placeholderOf(prefix: 'a' | 'n' | 's', index: number): Placeholder {
  let ofPrefix = placeholders.get(prefix);
  if (!ofPrefix) placeholders.set(prefix, (ofPrefix = []));
  return (ofPrefix[index] ??= { name: `#${prefix}${index}`, value: `:${prefix}${index}`, assignment: `#${prefix}${index} = :${prefix}${index}` });
}
