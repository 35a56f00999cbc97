import { describe, expect, it } from 'vitest';
import { FieldRow } from '../../../src/formats/x12/record-shape.ts';

/** What FieldRow replaces: spread/Object.assign of plain objects. */
function viaSpread(...parts: Array<Record<string, string>>): Record<string, string> {
  return Object.assign({}, ...parts);
}

describe('FieldRow / Shape: same record as spreading objects', () => {
  const parts: Array<Record<string, string>> = [
    { ISA05: 'ZZ', GS01: 'SH', 'N1[ST]': 'HDR' },
    { 'S.TD101': 'CTN', 'N1[ST]': 'SHIP', 'REF[BM]': 'B1' },
    { 'REF[LT]': 'L', 'I.LIN01': '1', 'N1[ST]': 'ITEM', '12': 'numeric-like key', __proto__x: 'p' },
  ];

  it('keys, values and key order match, also once a builder is generated for the shape', () => {
    for (let n = 0; n < 10; n++) {
      const row = FieldRow.empty();
      for (const p of parts) row.assign(p);
      row.set('LEVEL', 'I');
      const expected = viaSpread(...parts, { LEVEL: 'I' });
      const record = row.toRecord();
      expect(JSON.stringify(record)).toBe(JSON.stringify(expected));
      expect(Object.getPrototypeOf(record)).toBe(Object.prototype);
    }
  });

  it('copies are independent and overwrite in place', () => {
    const base = FieldRow.empty().assign({ A01: 'a', B01: 'b' });
    const one = base.copy();
    one.set('A01', 'x');
    one.set('C01', 'c');
    const two = base.copy();
    two.set('D01', 'd');
    expect(Object.entries(one.toRecord())).toEqual([['A01', 'x'], ['B01', 'b'], ['C01', 'c']]);
    expect(Object.entries(two.toRecord())).toEqual([['A01', 'a'], ['B01', 'b'], ['D01', 'd']]);
    expect(base.toRecord()).toEqual({ A01: 'a', B01: 'b' });
  });

  it('keys made of quotes, backslashes and code stay data in generated builders', () => {
    const evil = { 'REF["];globalThis.pwned=1;//]': 'v', 'A\\"\n\u2028': 'w', '${x}`': 'y' };
    for (let n = 0; n < 10; n++) {
      const record = FieldRow.empty().assign(evil).toRecord();
      expect(record).toEqual(evil);
    }
    expect((globalThis as Record<string, unknown>)['pwned']).toBeUndefined();
  });

  it('a __proto__ key never changes the record prototype (such a shape is never compiled to a literal)', () => {
    for (let n = 0; n < 10; n++) {
      const fields: Record<string, string> = {};
      Object.defineProperty(fields, '__proto__', { value: 'v', enumerable: true, writable: true, configurable: true });
      const record = FieldRow.empty().assign({ A01: 'a' }).assign(fields).toRecord();
      expect(Object.getPrototypeOf(record)).toBe(Object.prototype);
    }
  });
});
