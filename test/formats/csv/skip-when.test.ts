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

const ORDERS = 'order,sku,qty\nO1,A,1\nO1,B,2\nTOTAL,3\nEND\n';

describe('skipWhen', () => {
  it('drops trailer rows matching a pattern on the raw first field, before their short column count is an error', () => {
    const records = read(ORDERS, { skipWhen: [{ matches: '^TOTAL' }, { matches: '^END$' }] });
    expect(records.map((r) => r.fields.sku)).toEqual(['A', 'B']);
  });

  it('tests a column by header name or 0-based position', () => {
    const text = 'order,sku,qty\nO1,A,1\nO1,SUBTOTAL,1\nO2,B,2\n';
    expect(read(text, { skipWhen: { column: 'sku', matches: 'TOTAL' } }).map((r) => r.fields.sku)).toEqual(['A', 'B']);
    expect(read(text, { skipWhen: { column: 1, matches: 'TOTAL' } }).map((r) => r.fields.sku)).toEqual(['A', 'B']);
  });

  it('uses colN names without a header', () => {
    const records = read('H,x\nD,1\nD,2\nT,2\n', { header: false, skipWhen: { column: 'col1', matches: '^[HT]$' } });
    expect(records.map((r) => r.fields)).toEqual([{ col1: 'D', col2: '1' }, { col1: 'D', col2: '2' }]);
  });

  it('keeps line numbers of the rows after a skipped one', () => {
    const records = read('sku\n#comment\nA\n', { skipWhen: { matches: '^#' } });
    expect(records[0]?.provenance.line).toBe(3);
  });

  it('is CSV_UNKNOWN_COLUMN when a rule names a column the header does not have', () => {
    const error = failure(() => read(ORDERS, { skipWhen: { column: 'SKU', matches: 'x' } }));
    expect(error.code).toBe('CSV_UNKNOWN_COLUMN');
    expect(error.value.place).toEqual({ file: 'f.csv', line: 1, field: 'skipWhen' });
    const headerless = failure(() => read('a\n', { header: false, skipWhen: { column: 'sku', matches: 'x' } }));
    expect(headerless.code).toBe('CSV_UNKNOWN_COLUMN');
  });

  it('is CSV_INVALID_OPTIONS for a pattern that is not a regular expression', () => {
    const error = failure(() => read(ORDERS, { skipWhen: { matches: '([' } }));
    expect(error.code).toBe('CSV_INVALID_OPTIONS');
    expect(error.value.place.field).toBe('skipWhen.matches');
  });
});
