import { describe, expect, it, vi } from 'vitest';
import { CsvReader, readCsvSync, resolveCsvOptions } from '../../../src/formats/csv/index.ts';

/** Errors constructed while `read` runs: csv-parse built one (a stack trace, a copy of its options) per odd row. */
function errorsBuiltBy<T>(read: () => T): { result: T; errors: number } {
  const spy = vi.spyOn(Error, 'captureStackTrace');
  try {
    const result = read();
    return { result, errors: spy.mock.calls.length };
  } finally {
    spy.mockRestore();
  }
}

describe('hostile input', () => {
  it('reads 100,000 blank lines under a two-column header without building an error per line (~80 µs each: 10 MB of them took minutes)', () => {
    const bytes = Buffer.concat([Buffer.from('a,b\n'), Buffer.alloc(100_000, '\n'), Buffer.from('1,2\n')]);
    const { result: records, errors } = errorsBuiltBy(() => readCsvSync(bytes, {}, 'blank.csv'));
    expect(errors).toBeLessThan(10);
    expect(records).toEqual([{ fields: { a: '1', b: '2' }, provenance: { file: 'blank.csv', line: 100_002, lineEnd: 100_002 } }]);
  });

  it('reads 100,000 short rows with relaxColumnCount without building an error per row, still padding them', () => {
    const bytes = Buffer.from('a,b\n' + '1\n'.repeat(100_000));
    const { result: records, errors } = errorsBuiltBy(() => readCsvSync(bytes, { relaxColumnCount: true }, 'short.csv'));
    expect(errors).toBeLessThan(10);
    expect(records).toHaveLength(100_000);
    expect(records[99_999]).toEqual({ fields: { a: '1', b: '' }, provenance: { file: 'short.csv', line: 100_001, lineEnd: 100_001 } });
  });

  it('still refuses a short row without relaxColumnCount, at its line', () => {
    expect(() => readCsvSync(Buffer.from('a,b\n1,2\n\n3\n'), {}, 'r.csv')).toThrow(expect.objectContaining({ code: 'CSV_RAGGED_ROW', value: expect.objectContaining({ place: { file: 'r.csv', line: 4 } }) }));
  });

  it('does not hold the bytes of blank rows (a file of millions of ",,," lines stays in bounded memory)', () => {
    const reader = new CsvReader(resolveCsvOptions({}), 'commas.csv', () => {});
    reader.push(Buffer.from('a,b\n'));
    const chunk = Buffer.from(',\n'.repeat(32 * 1024));
    for (let i = 0; i < 40; i++) reader.push(chunk);
    // LineTracker keeps the chunks not yet asked about; blank rows must release them too.
    const held = (reader as unknown as { tracker: { chunks: Buffer[] } }).tracker.chunks;
    expect(held.reduce((n, c) => n + c.length, 0)).toBeLessThan(3 * chunk.length);
  });
});
