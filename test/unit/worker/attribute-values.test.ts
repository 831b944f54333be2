/**
 * The worker's conversion to attribute values is util-dynamodb's `marshall`, made faster: on any
 * value, it returns what `marshall` returns, or throws what `marshall` throws.
 */
import { marshall } from '@aws-sdk/util-dynamodb';
import fc from 'fast-check';
import { attributeMap } from '../../../functions/worker/attribute-values';

/** What a conversion gives: its result, or the message it threw. */
function outcome(convert: () => unknown): { result: unknown } | { error: string } {
  try {
    return { result: convert() };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

/** Values an action or the ledger may write, and the awkward ones around them. */
const value = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.constantFrom(Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 2, -0, 1e21, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.anything({ withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true, withNullPrototype: true, withSparseArray: true }),
);

describe('attributeMap', () => {
  it.each([{}, { removeUndefinedValues: true }])('converts every map as marshall does (options %j)', (options) => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), value), (values) => {
        expect(outcome(() => attributeMap(values, options))).toEqual(outcome(() => marshall(values, options)));
      }),
      { numRuns: 2_000 },
    );
  });

  it('converts the values the ledger writes', () => {
    const values = { ':type': 'payment_intent.succeeded', ':created': 1_763_900_000, ':livemode': false, ':account': undefined, ':error': '', ':nowMs': 1_763_900_000_123, ':none': null };
    expect(attributeMap(values, { removeUndefinedValues: true })).toEqual({
      ':type': { S: 'payment_intent.succeeded' },
      ':created': { N: '1763900000' },
      ':livemode': { BOOL: false },
      ':error': { S: '' },
      ':nowMs': { N: '1763900000123' },
      ':none': { NULL: true },
    });
  });

  it('refuses what marshall refuses', () => {
    expect(() => attributeMap({ amount: Number.NaN })).toThrow('Special numeric value NaN is not allowed');
    expect(() => attributeMap({ amount: 2 ** 60 })).toThrow('greater than Number.MAX_SAFE_INTEGER');
    expect(() => attributeMap({ missing: undefined })).toThrow('removeUndefinedValues');
  });
});
