import { describe, expect, it } from 'vitest';
import { CSV_ERROR_CODES, readCsvSync, sniffDelimiter } from '../../../src/formats/csv/index.ts';
import type { IntakeError } from '../../../src/errors/intake-error.ts';

function failure(run: () => unknown): IntakeError {
  try {
    run();
  } catch (error) {
    expect(Object.keys(CSV_ERROR_CODES)).toContain((error as IntakeError).code);
    return error as IntakeError;
  }
  throw new Error('expected an error');
}

describe('delimiter', () => {
  it('sniffs each supported delimiter', () => {
    expect(sniffDelimiter('a,b,c\n1,2,3\n')).toBe(',');
    expect(sniffDelimiter('a;b;c\n1;2;3\n')).toBe(';');
    expect(sniffDelimiter('a\tb\tc\n1\t2\t3\n')).toBe('\t');
    expect(sniffDelimiter('a|b|c\n1|2|3\n')).toBe('|');
  });

  it('ignores delimiters inside quotes, including quoted newlines and doubled quotes', () => {
    expect(sniffDelimiter('"a;b;c","d;e"\n"x;y;z","1;2"\n')).toBe(',');
    expect(sniffDelimiter('note|qty\n"a,b,c\nd,e"|1\n"y ""q,q"""|2\n')).toBe('|');
  });

  it('prefers a consistent count over a frequent one: semicolons with decimal commas', () => {
    expect(sniffDelimiter('sku;qty;price\nA;1,5;2,25\nB;2;3,10,5\nC;3;4\n')).toBe(';');
  });

  it('reads a one-column file as comma-separated, and an empty sample too', () => {
    expect(sniffDelimiter('sku\nA1\nA2\n')).toBe(',');
    expect(sniffDelimiter('')).toBe(',');
    expect(sniffDelimiter('a;b')).toBe(';');
  });

  it('uses the sniffed delimiter when reading', () => {
    const records = readCsvSync(Buffer.from('sku;name\nA1;"Bolt, 5mm; steel"\n'), {}, 'f.csv');
    expect(records[0]?.fields).toEqual({ sku: 'A1', name: 'Bolt, 5mm; steel' });
  });

  it('uses a declared delimiter, also by name (tab, pipe, semicolon, comma)', () => {
    // Sniffing would say ',' here: the declared ';' wins.
    const bytes = Buffer.from('a,b;c\n1,2;3\n4,5;6\n');
    expect(readCsvSync(bytes, { delimiter: ';' }, 'f.csv')[0]?.fields).toEqual({ 'a,b': '1,2', c: '3' });
    expect(readCsvSync(Buffer.from('a\tb\n1\t2\n'), { delimiter: 'tab' }, 'f.csv')[0]?.fields).toEqual({ a: '1', b: '2' });
    expect(readCsvSync(Buffer.from('a|b\n1|2\n'), { delimiter: 'pipe' }, 'f.csv')[0]?.fields).toEqual({ a: '1', b: '2' });
  });

  it('sniffs after the skipped preamble, not in it', () => {
    const bytes = Buffer.from('Export, generated 2024-01-01, by ERP\nsku;qty\nA;1\n');
    expect(readCsvSync(bytes, { headerLine: 2 }, 'f.csv')[0]?.fields).toEqual({ sku: 'A', qty: '1' });
  });
});

describe("Excel's sep= line", () => {
  /** `;`-separated, with notes full of commas. */
  const body = 'sku;note\nA1;a,b,c,d,e,f,g,h,i,j\nA2;k,l,m,n,o,p,q,r,s,t\n';

  it('a first line sep=; is not data, and ; is the delimiter; records keep the real line numbers', () => {
    for (const eol of ['\n', '\r\n']) {
      const records = readCsvSync(Buffer.from(`sep=;${eol}${body.replaceAll('\n', eol)}`), {}, 'f.csv');
      expect(records.map((r) => [r.fields, r.provenance.line])).toEqual([
        [{ sku: 'A1', note: 'a,b,c,d,e,f,g,h,i,j' }, 3],
        [{ sku: 'A2', note: 'k,l,m,n,o,p,q,r,s,t' }, 4],
      ]);
    }
    const tab = readCsvSync(Buffer.from('sep=\t\nsku\tnote\nA1\ta;b,c|d\n'), {}, 'f.csv');
    expect(tab[0]?.fields).toEqual({ sku: 'A1', note: 'a;b,c|d' });
  });

  it('errors after a sep= line name the file\'s real line', () => {
    const error = failure(() => readCsvSync(Buffer.from('sep=;\nsku;qty;note\nA1;1;x\nA2;2;y\nA3;3\n'), {}, 'f.csv'));
    expect([error.code, error.value.place.line, error.message]).toEqual(['CSV_RAGGED_ROW', 5, 'f.csv line 5: row has 2 columns, the header has 3']);
  });

  it('a sep= line that agrees with the declared delimiter is dropped; one that contradicts it is refused, naming both', () => {
    expect(readCsvSync(Buffer.from(`sep=;\n${body}`), { delimiter: 'semicolon' }, 'f.csv')).toHaveLength(2);
    const error = failure(() => readCsvSync(Buffer.from(`sep=;\n${body}`), { delimiter: ',' }, 'f.csv'));
    expect([error.code, error.value.place]).toEqual(['CSV_DELIMITER_CONFLICT', { file: 'f.csv', line: 1 }]);
    expect(error.message).toContain('";"');
    expect(error.message).toContain('","');
  });

  it('a sep= line skipped by headerLine still sets the delimiter, and still contradicts another declared one', () => {
    // Sniffing would say ',' here (see 'uses a declared delimiter'): the sep= line decides.
    const bytes = Buffer.from('sep=;\na,b;c\n1,2;3\n4,5;6\n');
    expect(readCsvSync(bytes, { headerLine: 2 }, 'f.csv').map((r) => [r.fields, r.provenance.line])).toEqual([
      [{ 'a,b': '1,2', c: '3' }, 3],
      [{ 'a,b': '4,5', c: '6' }, 4],
    ]);
    expect(failure(() => readCsvSync(bytes, { headerLine: 2, delimiter: 'pipe' }, 'f.csv')).code).toBe('CSV_DELIMITER_CONFLICT');
  });

  it('a sep= line naming a delimiter the reader does not support is refused; a file of only a sep= line is empty', () => {
    const error = failure(() => readCsvSync(Buffer.from('sep=:\nsku:qty\nA:1\n'), {}, 'f.csv'));
    expect([error.code, error.value.place.line]).toEqual(['CSV_DELIMITER_CONFLICT', 1]);
    expect(error.message).toContain('":"');
    expect(failure(() => readCsvSync(Buffer.from('sep=;\r\n'), {}, 'f.csv')).code).toBe('CSV_EMPTY_FILE');
  });

  it('only an exact sep=X first line counts: anything else there is the header', () => {
    expect(readCsvSync(Buffer.from('sep=;;x\na;b;c\n'), {}, 'f.csv')[0]?.fields).toEqual({ 'sep=': 'a', col2: 'b', x: 'c' });
    expect(readCsvSync(Buffer.from('sku,sep=;\nA,1\n'), {}, 'f.csv')[0]?.fields).toEqual({ sku: 'A', 'sep=;': '1' });
  });
});
