import { describe, expect, it } from 'vitest';
import { readCsvSync, sniffDelimiter } from '../../../src/formats/csv/index.ts';

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
