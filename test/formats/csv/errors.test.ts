import { describe, expect, it } from 'vitest';
import { CSV_ERROR_CODES, readCsv, readCsvSync } from '../../../src/formats/csv/index.ts';
import { IntakeError } from '../../../src/errors/intake-error.ts';

const read = (text: string | Uint8Array, options = {}) =>
  readCsvSync(typeof text === 'string' ? Buffer.from(text) : text, options, 'orders.csv');

function failure(run: () => unknown): IntakeError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(IntakeError);
    expect(Object.keys(CSV_ERROR_CODES)).toContain((error as IntakeError).code);
    return error as IntakeError;
  }
  throw new Error('expected an error');
}

describe('errors', () => {
  it('CSV_UNCLOSED_QUOTE names the line and column where the quoted value opened, not the end of the file', () => {
    const text = 'sku,note\r\nA,"fine\r\nstill fine"\r\nB,"never closed\r\nC,x\r\nD,y\r\n';
    const error = failure(() => read(text));
    expect(error.code).toBe('CSV_UNCLOSED_QUOTE');
    expect(error.value.place).toEqual({ file: 'orders.csv', line: 4, column: 'note' });
  });

  it('CSV_INVALID_CLOSING_QUOTE names the line of the quote', () => {
    const error = failure(() => read('sku,note\nA,"multi\nline"\nB,"5"" bolt" x,1\n'));
    expect(error.code).toBe('CSV_INVALID_CLOSING_QUOTE');
    expect(error.value.place).toEqual({ file: 'orders.csv', line: 4, column: 'note' });
  });

  it('CSV_INVALID_OPENING_QUOTE for a quote inside an unquoted value; relaxQuotes keeps such quotes as text', () => {
    const error = failure(() => read('sku,note\nA,5" bolt\n'));
    expect(error.code).toBe('CSV_INVALID_OPENING_QUOTE');
    expect(error.value.place).toEqual({ file: 'orders.csv', line: 2, column: 'note' });
    expect(read('sku,note\nA,5" bolt\nB,"6"" nut"\n', { relaxQuotes: true }).map((r) => r.fields.note)).toEqual(['5" bolt', '6" nut']);
  });

  it('CSV_EMPTY_FILE for 0 bytes, a lone BOM, only blank lines, and only skipped lines', () => {
    const cases: Array<[string | Uint8Array, object, RegExp]> = [
      ['', {}, /0 bytes/],
      [Uint8Array.of(0xef, 0xbb, 0xbf), {}, /only blank lines/],
      ['\r\n\r\n  \r\n,,\r\n', {}, /only blank lines/],
      ['title\nsubtitle\n', { headerLine: 3 }, /after the 2 line\(s\) skipped/],
      ['title\n', { headerLine: 3 }, /after the 2 line\(s\) skipped/],
    ];
    for (const [input, options, message] of cases) {
      const error = failure(() => read(input, options));
      expect(error.code).toBe('CSV_EMPTY_FILE');
      expect(error.message).toMatch(message);
    }
  });

  it('CSV_BINARY_CONTENT for NUL bytes, for many control characters, and for Excel/ZIP/PDF/gzip files', () => {
    const nul = failure(() => read(Buffer.from('sku,qty\nA,\u0000\n')));
    expect(nul.code).toBe('CSV_BINARY_CONTENT');
    const controls = failure(() => read(Buffer.from('a\u0001b\u0002c\u0003d\u0004e\u0005\n')));
    expect(controls.code).toBe('CSV_BINARY_CONTENT');
    const xlsx = failure(() => read(Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00])));
    expect([xlsx.code, xlsx.message]).toEqual(['CSV_BINARY_CONTENT', 'orders.csv: the file is a ZIP archive (an Excel .xlsx workbook is one): save it as CSV, not CSV text']);
    expect(failure(() => read(Buffer.from('%PDF-1.7\n'))).code).toBe('CSV_BINARY_CONTENT');
    expect(failure(() => read(Buffer.from([0x1f, 0x8b, 0x08, 0x00]))).code).toBe('CSV_BINARY_CONTENT');
    expect(failure(() => read(Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1]))).code).toBe('CSV_BINARY_CONTENT');
  });

  it('does not take UTF-16 text for binary because of its NUL bytes', () => {
    expect(read(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('a,b\n1,2\n', 'utf16le')]))).toHaveLength(1);
  });

  it('CSV_RECORD_TOO_LARGE bounds a record, and points at a quote that probably swallowed the file', () => {
    const tail = Array.from({ length: 200 }, (_, i) => `R${i},x`).join('\n');
    const error = failure(() => read(`sku,note\nA,"oops\n${tail}\n`, { maxRecordBytes: 1024 }));
    expect(error.code).toBe('CSV_RECORD_TOO_LARGE');
    expect(error.value.place.line).toBe(2);
    expect(error.message).toMatch(/opened on line 2 is probably never closed/);
  });

  it('CSV_INVALID_OPTIONS names the option, unknown options included', () => {
    const error = failure(() => read('a\n', { skiplines: 2 }));
    expect(error.code).toBe('CSV_INVALID_OPTIONS');
    expect(failure(() => read('a\n', { delimiter: ':' })).value.place.field).toBe('delimiter');
    expect(failure(() => read('a\n', { encoding: 'ebcdic' })).value.place.field).toBe('encoding');
  });

  it('yields the records before an error, then throws it', async () => {
    const seen: string[] = [];
    const run = async () => {
      for await (const record of readCsv(Buffer.from('sku\nA\nB\n"C\n'), {}, 'orders.csv')) seen.push(record.fields.sku!);
    };
    await expect(run()).rejects.toMatchObject({ code: 'CSV_UNCLOSED_QUOTE', value: { place: { line: 4 } } });
    expect(seen).toEqual(['A', 'B']);
  });

  it('throws an invalid option when readCsv is called, before any byte is read', () => {
    expect(() => readCsv(Buffer.from(''), { header: 'yes' } as never, 'orders.csv')).toThrow(IntakeError);
  });
});
