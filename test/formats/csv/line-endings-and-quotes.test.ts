import { describe, expect, it } from 'vitest';
import { readCsvSync } from '../../../src/formats/csv/index.ts';

const read = (text: string, options = {}) => readCsvSync(Buffer.from(text), options, 'f.csv');
const places = (text: string, options = {}) => read(text, options).map((r) => [r.provenance.line, r.provenance.lineEnd]);

describe('line endings, quoting and provenance', () => {
  it('reads LF, CRLF and CR files alike, and files that mix them', () => {
    const expected = [{ a: '1', b: '2' }, { a: '3', b: '4' }];
    for (const eol of ['\n', '\r\n', '\r']) {
      expect(read(`a,b${eol}1,2${eol}3,4${eol}`).map((r) => r.fields)).toEqual(expected);
    }
    expect(read('a,b\r\n1,2\n3,4\r').map((r) => r.fields)).toEqual(expected);
    expect(places('a,b\r\n1,2\n3,4\r')).toEqual([[2, 2], [3, 3]]);
  });

  it('reads the last row without a final line break', () => {
    expect(read('a,b\n1,2').map((r) => r.fields)).toEqual([{ a: '1', b: '2' }]);
  });

  it('keeps line breaks, delimiters and doubled quotes inside quoted fields', () => {
    expect(read('a,b\n"x\r\ny","say ""hi"", ok"\n')[0]?.fields).toEqual({ a: 'x\r\ny', b: 'say "hi", ok' });
  });

  it('gives each record the first and last physical line it spans, after quoted CRLFs too', () => {
    const text = 'sku,note\r\nA,"one\r\ntwo\r\nthree"\r\nB,plain\r\nC,"x\ny"\r\nD,z\r\n';
    expect(places(text)).toEqual([[2, 4], [5, 5], [6, 7], [8, 8]]);
    expect(places(text.replaceAll('\r\n', '\r'))).toEqual([[2, 4], [5, 5], [6, 7], [8, 8]]);
  });

  it('ignores blank lines, lines of spaces and lines of only delimiters, and still counts them as lines', () => {
    const text = '\n\nsku,qty\n\nA,1\n   \n,,\n , \nB,2\n\n';
    expect(read(text).map((r) => r.fields)).toEqual([{ sku: 'A', qty: '1' }, { sku: 'B', qty: '2' }]);
    expect(places(text)).toEqual([[5, 5], [9, 9]]);
  });

  it('keeps values as read: no trimming, no typing', () => {
    expect(read('a,b\n  1 ,007\n')[0]?.fields).toEqual({ a: '  1 ', b: '007' });
  });

  it('ignores a DOS end-of-file mark (Ctrl-Z) ending the file, also when a chunk ends with it; one inside stays data', () => {
    expect(read('a,b\r\n1,2\r\n3,4\r\n\x1a').map((r) => r.fields)).toEqual([{ a: '1', b: '2' }, { a: '3', b: '4' }]);
    expect(read('a,b\n1,2\x1a').map((r) => r.fields)).toEqual([{ a: '1', b: '2' }]);
    const rows = Array.from({ length: 10000 }, (_, i) => `${i},x`).join('\n');
    const big = Buffer.from(`a,b\n${rows}\n`);
    expect(readChunks([big, Buffer.from('\x1a')])).toHaveLength(10000);
    const inside = readChunks([big, Buffer.from('L,y\x1a'), Buffer.from('z\n'), Buffer.from('M,w\x1a')]);
    expect(inside.slice(-2).map((r) => r.fields)).toEqual([{ a: 'L', b: 'y\x1az' }, { a: 'M', b: 'w' }]);
  });

  it('reads the same records whatever the chunk boundaries', () => {
    const text = 'sku,note\r\nA,"one\r\ntwo"\r\n\r\nB,"a ""q"" b"\r\nC,3\r';
    const whole = read(text);
    for (const cut of [1, 2, 3, 5, 7]) {
      const bytes = Buffer.from(text);
      const chunks: Buffer[] = [];
      for (let at = 0; at < bytes.length; at += cut) chunks.push(bytes.subarray(at, at + cut));
      // readCsvSync slices at 64 KB, so go through the core here to control the boundaries.
      expect(readChunks(chunks)).toEqual(whole);
    }
  });
});

import { CsvReader, resolveCsvOptions } from '../../../src/formats/csv/index.ts';
import type { SourceRecord } from '../../../src/formats/record.ts';

function readChunks(chunks: Uint8Array[], options = {}): SourceRecord[] {
  const records: SourceRecord[] = [];
  const reader = new CsvReader(resolveCsvOptions(options), 'f.csv', (r) => records.push(r));
  for (const chunk of chunks) reader.push(chunk);
  reader.end();
  return records;
}
