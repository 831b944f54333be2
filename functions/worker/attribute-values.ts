/**
 * Plain values → DynamoDB attribute values, exactly as `marshall` of @aws-sdk/util-dynamodb makes
 * them, with the common cases (strings, safe numbers, booleans, null) converted inline. `marshall`
 * tries each value against a dozen types before converting it, and a batch's commit converts a few
 * hundred values, which made it a measurable part of the worker's CPU per event (BENCHMARKS.md).
 * Everything else (lists, maps, sets, binary, and every value `marshall` refuses) goes through
 * util-dynamodb's own converter, so the result and every error stay `marshall`'s; a test compares
 * the two on generated values.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { convertToAttr } from '@aws-sdk/util-dynamodb';

export interface ConversionOptions {
  /** Leave out undefined values (in maps and lists, at any depth) instead of refusing them. */
  readonly removeUndefinedValues?: boolean;
}

/** `marshall(values, options)` for a plain object: its enumerable properties as a map of attribute values. */
export function attributeMap(values: object, options?: ConversionOptions): Record<string, AttributeValue> {
  const map: Record<string, AttributeValue> = {};
  // for…in, as marshall does: the object's enumerable properties, its prototype's included.
  for (const name in values) {
    const value = (values as Record<string, unknown>)[name];
    if (typeof value === 'function' || (value === undefined && options?.removeUndefinedValues)) continue;
    map[name] = attributeValue(value, options);
  }
  return map;
}

/** One value as an attribute value, as `marshall` converts a value inside a map. */
export function attributeValue(value: unknown, options?: ConversionOptions): AttributeValue {
  switch (typeof value) {
    case 'string':
      return { S: value };
    case 'boolean':
      return { BOOL: value };
    case 'number':
      // NaN, the infinities and numbers beyond the safe integers are refused below, with marshall's error.
      if (value >= Number.MIN_SAFE_INTEGER && value <= Number.MAX_SAFE_INTEGER) return { N: value.toString() };
      break;
    case 'object':
      if (value === null) return { NULL: true };
      break;
  }
  return convertToAttr(value, options);
}
