import { describe, expect, it } from 'vitest';
import { readCsvSync } from '../../../src/formats/csv/index.ts';
import type { IntakeError } from '../../../src/errors/intake-error.ts';

const read = (text: string, options = {}) => readCsvSync(Buffer.from(text), options, 'f.csv');

function failure(run: () => unknown): IntakeError {
  try {
    run();
  } catch (error) {
    return error as IntakeError;
  }
  throw new Error('expected an error');
}

describe('header', () => {
  it('names fields after the trimmed header, values untouched', () => {
    expect(read(' sku ,"Qty "\nA, 1\n')[0]?.fields).toEqual({ sku: 'A', Qty: ' 1' });
  });

  it('without a header, names fields col1, col2, ... and reads the first row as data', () => {
    const records = read('A,1\nB,2\n', { header: false });
    expect(records.map((r) => r.fields)).toEqual([{ col1: 'A', col2: '1' }, { col1: 'B', col2: '2' }]);
    expect(records[0]?.provenance.line).toBe(1);
  });

  it('reads the header at headerLine, skipping the lines before it unparsed (stray quotes included)', () => {
    const text = 'Inventory report "Q3\r\nprinted 2024-10-01, page 1\r\nsku,qty\r\nA,1\r\n';
    const records = read(text, { headerLine: 3 });
    expect(records.map((r) => r.fields)).toEqual([{ sku: 'A', qty: '1' }]);
    expect(records[0]?.provenance).toEqual({ file: 'f.csv', line: 4, lineEnd: 4 });
  });

  it('skipLines skips lines before the data of a headerless file, and equals headerLine - 1 with a header', () => {
    expect(read('banner\nA,1\n', { header: false, skipLines: 1 })[0]).toEqual({
      fields: { col1: 'A', col2: '1' },
      provenance: { file: 'f.csv', line: 2, lineEnd: 2 },
    });
    expect(read('banner\nsku,qty\nA,1\n', { skipLines: 1 })).toEqual(read('banner\nsku,qty\nA,1\n', { headerLine: 2 }));
  });

  it('skips blank lines before the header', () => {
    expect(read('\n\nsku\nA\n')[0]?.provenance.line).toBe(4);
  });

  it('is CSV_DUPLICATE_HEADER when two columns have the same name, naming it and its line', () => {
    const error = failure(() => read('banner\nsku,Qty,qty2, Qty\nA,1,2,3\n', { headerLine: 2 }));
    expect(error.code).toBe('CSV_DUPLICATE_HEADER');
    expect(error.value.place).toEqual({ file: 'f.csv', line: 2, column: 'Qty' });
    expect(error.message).toBe('f.csv line 2, column "Qty": the header names column "Qty" twice (columns 2 and 4); rename one');
  });

  it('with duplicateHeaders: suffix, renames later duplicates Name_2, Name_3, avoiding names already taken', () => {
    expect(read('Qty,Qty,Qty_2,Qty\n1,2,3,4\n', { duplicateHeaders: 'suffix' })[0]?.fields).toEqual({
      Qty: '1',
      Qty_3: '2',
      Qty_2: '3',
      Qty_4: '4',
    });
  });

  it('names empty header cells colN by position, so a trailing delimiter in the header is harmless', () => {
    expect(read('sku,,qty,\nA,x,1,\n')[0]?.fields).toEqual({ sku: 'A', col2: 'x', qty: '1', col4: '' });
  });

  it('reads a header-only file as zero records, not an error', () => {
    expect(read('sku,qty\n')).toEqual([]);
    expect(read('sku,qty')).toEqual([]);
  });

  it('keeps a header named __proto__ as a plain field', () => {
    const fields = read('__proto__,b\nx,y\n')[0]!.fields;
    expect(Object.keys(fields)).toEqual(['__proto__', 'b']);
    expect(Object.getPrototypeOf(fields)).toBe(Object.prototype);
  });

  it('rejects headerLine without a header, and headerLine contradicting skipLines, as CSV_INVALID_OPTIONS', () => {
    const e1 = failure(() => read('a\n', { header: false, headerLine: 2 }));
    expect([e1.code, e1.value.place.field]).toEqual(['CSV_INVALID_OPTIONS', 'headerLine']);
    const e2 = failure(() => read('a\n', { headerLine: 3, skipLines: 1 }));
    expect([e2.code, e2.value.place.field]).toEqual(['CSV_INVALID_OPTIONS', 'skipLines']);
  });
});
