import { describe, expect, it } from 'vitest';
import { validateDocument } from '../../../src/engine/documents/validate-document.ts';
import { EngineProblem } from '../../../src/engine/problem.ts';

const base = { orderNumber: 'TEST-EXAMPLE-ORDER-001', business: 'kargo', facility: 'sf', direction: 'OUTBOUND' };
const good = (lpn: string, sku: string) => ({ lpn, sku, quantity: 1, quantityUnit: 'CASE' });

function problemOf(input: unknown): EngineProblem {
  try {
    validateDocument(input);
  } catch (error) {
    if (error instanceof EngineProblem) return error;
    throw error;
  }
  throw new Error('expected an EngineProblem');
}

describe('validateDocument', () => {
  it('accepts the guide\'s Example 1 as it is', () => {
    const doc = validateDocument({ ...base, shipmentNumber: 'TEST-EXAMPLE-SHIPMENT-001', items: [good('LPNABC', 'SKU123'), good('LPNABC', 'SKU456')] });
    expect(doc.items).toHaveLength(2);
  });

  it.each([null, [], 'text', 42])('a body that is not an object (%j) is 400 MALFORMED_BODY', (body) => {
    expect(problemOf(body)).toMatchObject({ status: 400, code: 'MALFORMED_BODY' });
  });

  it('a wrong JSON type is 400 BAD_FIELD_TYPE with the field path', () => {
    const problem = problemOf({ ...base, items: [good('A', 'B'), good('C', 'D'), { ...good('E', 'F'), quantity: '10' }] });
    expect(problem).toMatchObject({ status: 400, code: 'BAD_FIELD_TYPE' });
    expect(problem.errors).toEqual([{ path: 'items[2].quantity', message: 'expected number, got string' }]);
  });

  it.each([
    ['expectedArrivalAt', 5],
    ['direction', 1],
    ['items', {}],
    ['additionalFields', { a: { nested: true } }],
  ])('%s given the wrong type is 400 BAD_FIELD_TYPE', (field, value) => {
    expect(problemOf({ ...base, [field]: value })).toMatchObject({ status: 400, code: 'BAD_FIELD_TYPE' });
  });

  it('type errors win over semantic ones, and every issue is listed', () => {
    const problem = problemOf({ ...base, business: 5, direction: 'SIDEWAYS' });
    expect(problem.status).toBe(400);
    expect(problem.errors).toEqual([
      { path: 'business', message: 'expected string, got number' },
      { path: 'direction', message: 'must be one of INBOUND, OUTBOUND' },
    ]);
  });

  it('a missing required field is 422 MISSING_FIELD', () => {
    const { orderNumber: _, ...withoutOrder } = base;
    const problem = problemOf(withoutOrder);
    expect(problem).toMatchObject({ status: 422, code: 'MISSING_FIELD', errors: [{ path: 'orderNumber', message: 'is required' }] });
  });

  it('a missing enum (direction) is 422 MISSING_FIELD too, not a wrong type; so is every field of an empty object', () => {
    const { direction: _, ...withoutDirection } = base;
    expect(problemOf(withoutDirection)).toMatchObject({ status: 422, code: 'MISSING_FIELD', errors: [{ path: 'direction', message: 'is required' }] });
    const empty = problemOf({});
    expect(empty).toMatchObject({ status: 422, code: 'MISSING_FIELD' });
    expect(empty.errors?.map((e) => e.path).sort()).toEqual(['business', 'direction', 'facility', 'orderNumber']);
  });

  it.each([
    ['trailerNumber', { trailerNumber: 'A\u0000B' }, 'trailerNumber'],
    ['orderNumber', { orderNumber: 'X\u0000Y' }, 'orderNumber'],
    ['an item lpn', { items: [good('A\u0000B', 'S')] }, 'items[0].lpn'],
    ['an additionalFields value', { additionalFields: { gate: 'A\u0000' } }, 'additionalFields.gate'],
    ['an additionalFields key', { additionalFields: { 'g\u0000': 'x' } }, 'additionalFields'],
    ['a lone high surrogate', { trailerNumber: 'A\ud800B' }, 'trailerNumber'],
    ['a lone low surrogate', { carrier: '\udc00' }, 'carrier'],
    ['a caseSerials entry', { items: [{ ...good('A', 'B'), caseSerials: ['\ud83d'] }] }, 'items[0].caseSerials[0]'],
  ])('text the store cannot hold (NUL, unpaired surrogate) in %s is 422 INVALID_FIELD at its path', (_, fields, path) => {
    const problem = problemOf({ ...base, ...fields });
    expect(problem).toMatchObject({ status: 422, code: 'INVALID_FIELD' });
    expect(problem.errors?.[0]?.path).toContain(path);
  });

  it('a surrogate pair (an emoji) and other Unicode are taken as they are', () => {
    const doc = validateDocument({ ...base, trailerNumber: 'TR-\ud83d\ude9a-é', items: [good('L\u00e9', 'S\u4e2d')] });
    expect(doc.trailerNumber).toBe('TR-🚚-é');
  });

  it.each(['0000-06-01T00:00:00Z', '0001-01-01T00:00:00+01:00', '9999-12-31T23:59:59-00:01'])(
    'an expectedArrivalAt outside the years 1-9999 in UTC (%s) is 422 INVALID_FIELD',
    (at) => {
      expect(problemOf({ ...base, expectedArrivalAt: at })).toMatchObject({ status: 422, code: 'INVALID_FIELD', errors: [{ path: 'expectedArrivalAt' }] });
    },
  );

  it('an expectedArrivalAt that is not a date-time at all gets one error, not a second one about its year', () => {
    expect(problemOf({ ...base, expectedArrivalAt: 'tomorrow' }).errors).toEqual([{ path: 'expectedArrivalAt', message: expect.stringMatching(/ISO datetime/i) }]);
  });

  it('the first and last instants of that range are accepted', () => {
    expect(validateDocument({ ...base, expectedArrivalAt: '0001-01-01T00:00:00Z' }).expectedArrivalAt).toBe('0001-01-01T00:00:00Z');
    expect(validateDocument({ ...base, expectedArrivalAt: '9999-12-31T23:59:59+01:00' }).expectedArrivalAt).toBe('9999-12-31T23:59:59+01:00');
  });

  it('a number too large for a double (1e999 parses as Infinity) is 400 and says so', () => {
    const problem = problemOf({ ...base, expectedQuantity: JSON.parse('1e999') });
    expect(problem).toMatchObject({ status: 400, code: 'BAD_FIELD_TYPE' });
    expect(problem.errors?.[0]?.message).toBe('expected number, got a number too large to hold');
  });

  it('shipmentNumber is trimmed like orderNumber', () => {
    expect(validateDocument({ ...base, orderNumber: ' O1 ', shipmentNumber: '  S1 ' })).toMatchObject({ orderNumber: 'O1', shipmentNumber: 'S1' });
  });

  it('a bad enum value is 422 INVALID_ENUM', () => {
    expect(problemOf({ ...base, orderItemUpdateStrategy: 'REPLACE' })).toMatchObject({ status: 422, code: 'INVALID_ENUM' });
  });

  it('an unknown field is 422 UNKNOWN_FIELD, at any depth', () => {
    const problem = problemOf({ ...base, colour: 'red', items: [{ ...good('A', 'B'), weight: 3 }] });
    expect(problem).toMatchObject({ status: 422, code: 'UNKNOWN_FIELD' });
    expect(problem.errors?.map((e) => e.path)).toEqual(['items[0].weight', 'colour']);
  });

  it.each([
    ['an empty required text', { orderNumber: '  ' }, 'orderNumber'],
    ['a negative number', { expectedQuantity: -1 }, 'expectedQuantity'],
    ['a bad date-time', { expectedArrivalAt: 'tomorrow' }, 'expectedArrivalAt'],
    ['a bad item date', { items: [{ ...good('A', 'B'), expirationDate: '2025-13-45' }] }, 'items[0].expirationDate'],
  ])('%s is 422 INVALID_FIELD', (_, fields, path) => {
    const problem = problemOf({ ...base, ...fields });
    expect(problem).toMatchObject({ status: 422, code: 'INVALID_FIELD' });
    expect(problem.errors?.[0]?.path).toBe(path);
  });

  it.each([
    ['APPEND', { lpn: 'A', sku: 'B', quantity: 1 }, ['items[0].quantityUnit']],
    ['OVERWRITE', { lpn: 'A', quantityUnit: 'CASE' }, ['items[0].sku', 'items[0].quantity']],
    [undefined, { lpn: 'A', sku: 'B' }, ['items[0].quantity', 'items[0].quantityUnit']],
    ['MERGE', { sku: 'B', quantity: 1 }, ['items[0].lpn']],
    ['DELETE', { lpn: '', sku: 'B' }, ['items[0].lpn']],
  ])('%s without its required item fields is 422 MISSING_ITEM_FIELD', (strategy, item, paths) => {
    const problem = problemOf({ ...base, orderItemUpdateStrategy: strategy, items: [item] });
    expect(problem).toMatchObject({ status: 422, code: 'MISSING_ITEM_FIELD' });
    expect(problem.errors?.map((e) => e.path)).toEqual(paths);
  });

  it('a required item field holding only blanks counts as missing', () => {
    const problem = problemOf({ ...base, orderItemUpdateStrategy: 'MERGE', items: [{ lpn: '   ', sku: 'S' }] });
    expect(problem).toMatchObject({ status: 422, code: 'MISSING_ITEM_FIELD', errors: [{ path: 'items[0].lpn' }] });
  });

  it('MERGE and DELETE need only lpn and sku', () => {
    expect(validateDocument({ ...base, orderItemUpdateStrategy: 'MERGE', items: [{ lpn: 'A', sku: 'B' }] }).items).toHaveLength(1);
    expect(validateDocument({ ...base, orderItemUpdateStrategy: 'DELETE', items: [{ lpn: 'A', sku: 'B' }] }).items).toHaveLength(1);
  });

  it('a strategy without items requires nothing', () => {
    expect(validateDocument({ ...base, orderItemUpdateStrategy: 'APPEND', items: [] }).items).toEqual([]);
  });

  it('a repeated lpn+sku within the request is 409 DUPLICATE_ITEM_KEY_IN_REQUEST', () => {
    const problem = problemOf({ ...base, items: [good('LPNABC', 'SKU123'), good('LPNABC', 'SKU456'), good('LPNABC', 'SKU123')] });
    expect(problem).toMatchObject({ status: 409, code: 'DUPLICATE_ITEM_KEY_IN_REQUEST' });
    expect(problem.errors).toEqual([{ path: 'items[2]', message: 'lpn=LPNABC, sku=SKU123 repeats items[0]' }]);
  });
});
