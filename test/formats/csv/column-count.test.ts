import { describe, expect, it } from 'vitest';
import { readCsvSync } from '../../../src/formats/csv/index.ts';
import type { IntakeError } from '../../../src/errors/intake-error.ts';

const read = (text: string, options = {}) => readCsvSync(Buffer.from(text), options, 'orders.csv');

function failure(run: () => unknown): IntakeError {
  try {
    run();
  } catch (error) {
    return error as IntakeError;
  }
  throw new Error('expected an error');
}

const header = 'a,b,c,d,e,f';
const rows = Array.from({ length: 12 }, () => '1,2,3,4,5,6');

describe('column count', () => {
  it('is CSV_RAGGED_ROW naming the line of a row with too many columns', () => {
    const text = [header, ...rows, '1,2,3,4,5,6,7', '1,2,3,4,5,6'].join('\n');
    const error = failure(() => read(text));
    expect(error.code).toBe('CSV_RAGGED_ROW');
    expect(error.value.place).toEqual({ file: 'orders.csv', line: 14 });
    expect(error.message).toMatch(/^orders\.csv line 14: row has 7 columns, the header has 6/);
    expect(error.value.details).toEqual({ columns: 7, expected: 6 });
  });

  it('is CSV_RAGGED_ROW for too few columns, after a multi-line record too', () => {
    const error = failure(() => read('a,b\n1,"x\ny"\n1\n'));
    expect(error.message).toBe('orders.csv line 4: row has 1 columns, the header has 2');
  });

  it('without a header, compares with the first row and says so', () => {
    const error = failure(() => read('1,2\n1,2,3\n', { header: false }));
    expect(error.message).toMatch(/^orders\.csv line 2: row has 3 columns, the first row \(line 1\) has 2/);
  });

  it('with relaxColumnCount, reads missing fields as "" and keeps extra ones as colN', () => {
    const records = read('a,b,c\n1\n1,2,3,4,5\n', { relaxColumnCount: true });
    expect(records.map((r) => r.fields)).toEqual([
      { a: '1', b: '', c: '' },
      { a: '1', b: '2', c: '3', col4: '4', col5: '5' },
    ]);
    expect(read('1,2\n1,2,3\n', { header: false, relaxColumnCount: true })[1]?.fields).toEqual({ col1: '1', col2: '2', col3: '3' });
  });

  it('with relaxColumnCount, an extra field whose colN name the header already uses is kept as colN_2, not dropped', () => {
    const records = read('order,lpn,sku,qty,unit,col7\nO1,L1,S1,1,CS,named,EXTRA,MORE\n', { relaxColumnCount: true });
    expect(records[0]?.fields).toEqual({ order: 'O1', lpn: 'L1', sku: 'S1', qty: '1', unit: 'CS', col7: 'named', col7_2: 'EXTRA', col8: 'MORE' });
    const taken = read('order,col4_2,col4\nO1,a,b,EXTRA\n', { relaxColumnCount: true });
    expect(taken[0]?.fields).toEqual({ order: 'O1', col4_2: 'a', col4: 'b', col4_3: 'EXTRA' });
  });
});
