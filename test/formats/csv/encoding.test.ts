import { describe, expect, it } from 'vitest';
import iconv from 'iconv-lite';
import { detectEncoding, readCsv, readCsvSync } from '../../../src/formats/csv/index.ts';
import type { IntakeError } from '../../../src/errors/intake-error.ts';

function failure(run: () => unknown): IntakeError {
  try {
    run();
  } catch (error) {
    return error as IntakeError;
  }
  throw new Error('expected an error');
}

async function collect(chunks: Uint8Array[], options = {}) {
  async function* input() {
    yield* chunks;
  }
  const out = [];
  for await (const record of readCsv(input(), options, 'f.csv')) out.push(record);
  return out;
}

describe('encoding', () => {
  it('strips a UTF-8 BOM so it does not glue itself to the first header name', () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('sku,qty\nA1,2\n')]);
    expect(readCsvSync(bytes, {}, 'f.csv')[0]?.fields).toEqual({ sku: 'A1', qty: '2' });
  });

  it('reads UTF-16 LE and BE with a BOM', () => {
    const text = 'sku,name\nA1,Crème brûlée\n';
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    const be = Buffer.from(le);
    be.swap16();
    expect(readCsvSync(le, {}, 'f.csv')[0]?.fields).toEqual({ sku: 'A1', name: 'Crème brûlée' });
    expect(readCsvSync(be, {}, 'f.csv')[0]?.fields).toEqual({ sku: 'A1', name: 'Crème brûlée' });
  });

  it('detects Windows-1252 when the bytes are not UTF-8 (é, €, smart quotes)', () => {
    const bytes = iconv.encode('sku,name\nA1,Café “Noir” 5€\n', 'win1252');
    expect(detectEncoding(bytes)).toBe('windows-1252');
    expect(readCsvSync(bytes, {}, 'f.csv')[0]?.fields.name).toBe('Café “Noir” 5€');
  });

  it('reads a declared ISO-8859-1 file, and accepts the usual aliases of encoding names', () => {
    const bytes = Buffer.from('sku,name\nA1,Müller\n', 'latin1');
    expect(readCsvSync(bytes, { encoding: 'ISO-8859-1' }, 'f.csv')[0]?.fields.name).toBe('Müller');
    expect(readCsvSync(bytes, { encoding: 'latin1' }, 'f.csv')[0]?.fields.name).toBe('Müller');
    expect(readCsvSync(bytes, { encoding: 'cp1252' }, 'f.csv')[0]?.fields.name).toBe('Müller');
  });

  it('keeps a multi-byte character that a chunk boundary splits, in every encoding', async () => {
    const text = 'sku,name\nA1,日本語 Ünïcödé €\n';
    for (const [encoding, bytes] of [
      ['utf-8', Buffer.from(text)],
      ['utf-16le', Buffer.from(text, 'utf16le')],
      ['windows-1252', iconv.encode('sku,name\nA1,Ünïcödé €\n', 'win1252')],
    ] as const) {
      const oneByteChunks = Array.from(bytes, (b) => Uint8Array.of(b));
      const expected = readCsvSync(bytes, { encoding }, 'f.csv');
      expect(await collect(oneByteChunks, { encoding })).toEqual(expected);
    }
  });

  it('switches a guessed UTF-8 file to Windows-1252 when its first non-ASCII byte comes after the sample', () => {
    const rows = Array.from({ length: 5000 }, (_, i) => `A${i},plain`).join('\n');
    const bytes = Buffer.concat([Buffer.from(`sku,name\n${rows}\n`), iconv.encode('B1,Café\n', 'win1252')]);
    const records = readCsvSync(bytes, {}, 'f.csv');
    expect(records.at(-1)?.fields).toEqual({ sku: 'B1', name: 'Café' });
    expect(records.at(-1)?.provenance.line).toBe(5002);
  });

  it('is CSV_BAD_ENCODING at the line of the first bad byte when a declared UTF-8 file is not UTF-8', () => {
    const bytes = Buffer.concat([Buffer.from('sku,name\nA1,ok\nA2,"multi\nline"\nA3,Caf'), Buffer.from([0xe9]), Buffer.from('\n')]);
    const error = failure(() => readCsvSync(bytes, { encoding: 'utf-8' }, 'f.csv'));
    expect(error.code).toBe('CSV_BAD_ENCODING');
    expect(error.value.place).toEqual({ file: 'f.csv', line: 5 });
    expect(error.message).toContain('E9');
  });

  it('is CSV_BAD_ENCODING when a file that already had UTF-8 characters turns out to have other bytes', () => {
    const rows = Array.from({ length: 10000 }, (_, i) => `A${i},plain`).join('\n');
    const bytes = Buffer.concat([Buffer.from(`sku,name\nA,Crème\n${rows}\nB,Caf`), Buffer.from([0xe9, 0x0a])]);
    const error = failure(() => readCsvSync(bytes, {}, 'f.csv'));
    expect(error.code).toBe('CSV_BAD_ENCODING');
    expect(error.value.place.line).toBe(10003);
    expect(error.message).toMatch(/mixes UTF-8/);
  });

  it('does not switch to Windows-1252 when UTF-8 characters precede the bad byte in the same chunk', () => {
    const rows = Array.from({ length: 10000 }, (_, i) => `A${i},plain`).join('\n');
    const bytes = Buffer.concat([Buffer.from(`sku,name\n${rows}\nB,Crème\nC,Caf`), Buffer.from([0xe9, 0x0a])]);
    const error = failure(() => readCsvSync(bytes, {}, 'f.csv'));
    expect([error.code, error.value.place.line]).toEqual(['CSV_BAD_ENCODING', 10003]);
  });

  it('is CSV_BAD_ENCODING for bytes Windows-1252 does not define, and for a UTF-16 file cut in the middle of a character', () => {
    const win = Buffer.concat([Buffer.from('sku,name\nA1,x\nA2,'), Buffer.from([0x81]), Buffer.from('\n')]);
    const e1 = failure(() => readCsvSync(win, { encoding: 'windows-1252' }, 'f.csv'));
    expect([e1.code, e1.value.place.line]).toEqual(['CSV_BAD_ENCODING', 3]);
    const odd = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('sku,name\nA1,x\n', 'utf16le'), Buffer.from([0x41])]);
    const e2 = failure(() => readCsvSync(odd, {}, 'f.csv'));
    expect([e2.code, e2.value.place.line]).toEqual(['CSV_BAD_ENCODING', 3]);
  });

  it('a UTF-8 file under a mapping that declares windows-1252 is read as UTF-8: header names and accents intact', () => {
    const bytes = Buffer.from('Auftragsnr;Empfänger;Artikel\nA1;Café Müller;Bergkäse\n');
    const [record] = readCsvSync(bytes, { encoding: 'windows-1252' }, 'f.csv');
    expect(record?.fields).toEqual({ Auftragsnr: 'A1', Empfänger: 'Café Müller', Artikel: 'Bergkäse' });
  });

  it('a BOM decides whatever the mapping declares: UTF-8 under windows-1252, UTF-16 under utf-8', () => {
    const text = 'Auftragsnr;Empfänger\nA1;Groß\n';
    const utf8 = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]);
    expect(readCsvSync(utf8, { encoding: 'windows-1252' }, 'f.csv')[0]?.fields).toEqual({ Auftragsnr: 'A1', Empfänger: 'Groß' });
    const ascii = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('Auftragsnr;Menge\nA1;2\n')]);
    expect(readCsvSync(ascii, { encoding: 'iso-8859-1' }, 'f.csv')[0]?.fields).toEqual({ Auftragsnr: 'A1', Menge: '2' });
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    expect(readCsvSync(utf16, { encoding: 'utf-8' }, 'f.csv')[0]?.fields).toEqual({ Auftragsnr: 'A1', Empfänger: 'Groß' });
  });

  it('a declared single-byte encoding still reads its files, even when the first non-ASCII byte comes after the sample', () => {
    const rows = Array.from({ length: 5000 }, (_, i) => `A${i};plain`).join('\n');
    const late = Buffer.concat([Buffer.from(`sku;name\n${rows}\n`), iconv.encode('B1;Café\n', 'win1252')]);
    expect(readCsvSync(late, { encoding: 'windows-1252' }, 'f.csv').at(-1)?.fields).toEqual({ sku: 'B1', name: 'Café' });
    const latin1 = Buffer.from('sku;name\nA1;\u00e9t\u00e9 \u00bd\n', 'latin1');
    expect(readCsvSync(latin1, { encoding: 'iso-8859-1' }, 'f.csv')[0]?.fields.name).toBe('été ½');
  });

  it('a declared windows-1252 file read as UTF-8 that later holds other bytes is CSV_BAD_ENCODING saying it mixes them', () => {
    const rows = Array.from({ length: 10000 }, (_, i) => `A${i};plain`).join('\n');
    const bytes = Buffer.concat([Buffer.from(`sku;name\nA;Crème\n${rows}\nB;Caf`), Buffer.from([0xe9, 0x0a])]);
    const error = failure(() => readCsvSync(bytes, { encoding: 'windows-1252' }, 'f.csv'));
    expect([error.code, error.value.place.line]).toEqual(['CSV_BAD_ENCODING', 10003]);
    expect(error.message).toMatch(/mixes UTF-8/);
  });

  it('detectEncoding: BOMs decide; UTF-16 without a BOM shows as NULs in every other byte; ASCII is UTF-8', () => {
    expect(detectEncoding(Buffer.from([0xef, 0xbb, 0xbf, 0x41]))).toBe('utf-8');
    expect(detectEncoding(Buffer.from([0xff, 0xfe, 0x41, 0x00]))).toBe('utf-16le');
    expect(detectEncoding(Buffer.from([0xfe, 0xff, 0x00, 0x41]))).toBe('utf-16be');
    expect(detectEncoding(Buffer.from('sku,qty\nA,1\n', 'utf16le'))).toBe('utf-16le');
    expect(detectEncoding(Buffer.from('sku,qty\nA,1\n', 'utf16le').swap16())).toBe('utf-16be');
    expect(detectEncoding(Buffer.from('plain ascii'))).toBe('utf-8');
    expect(detectEncoding(Buffer.from('ünïcode'))).toBe('utf-8');
    // A sample that ends in the middle of a UTF-8 character is still UTF-8.
    expect(detectEncoding(Buffer.from('abc€').subarray(0, 5))).toBe('utf-8');
    expect(detectEncoding(Buffer.from([0x61, 0xe9, 0x62]))).toBe('windows-1252');
  });

  it('reads UTF-16 without a BOM when auto-detected', () => {
    const bytes = Buffer.from('sku,qty\nA,1\n', 'utf16le');
    expect(readCsvSync(bytes, {}, 'f.csv')[0]?.fields).toEqual({ sku: 'A', qty: '1' });
  });
});
