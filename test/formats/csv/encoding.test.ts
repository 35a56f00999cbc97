import { describe, expect, it } from 'vitest';
import iconv from 'iconv-lite';
import { detectEncoding, readCsv, readCsvSync } from '../../../src/formats/csv/index.ts';
import type { IntakeError } from '../../../src/errors/intake-error.ts';
import { isMixedUtf8Sample } from '../../../src/formats/text-encoding.ts';

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

describe('files that mix UTF-8 with Windows-1252', () => {
  /** The reader guesses the encoding from exactly this many bytes (csv-reader.ts SAMPLE_BYTES). */
  const SAMPLE = 64 * 1024;
  const MIXED = /bytes E9 0A are not valid utf-8 \(the file mixes UTF-8 with another encoding; save it as UTF-8\)/;

  /** Streams `chunks` through readCsv: the records handed over before an error, and the error. */
  async function attempt(chunks: Uint8Array[], options = {}) {
    async function* input() {
      yield* chunks;
    }
    const records = [];
    try {
      for await (const record of readCsv(input(), options, 'f.csv')) records.push(record.fields);
    } catch (error) {
      return { records, error: error as IntakeError };
    }
    return { records, error: undefined };
  }

  /** `sku,name`, a UTF-8 `Café` on line 2, ASCII rows up to `size` bytes, then a Windows-1252 `Café` (0xE9). */
  function utf8ThenWin1252(size: number): { bytes: Buffer; badLine: number } {
    const head = 'sku,name\nA0,Café\n';
    const rows = Array.from({ length: Math.max(0, Math.ceil((size - head.length) / 12)) }, (_, i) => `A${i + 1},plain\n`).join('');
    return { bytes: Buffer.concat([Buffer.from(head + rows + 'B1,Caf'), Buffer.from([0xe9, 0x0a])]), badLine: rows.split('\n').length + 2 };
  }

  it('refuses a small file with a UTF-8 é on line 2 and a Windows-1252 é on line 3, at line 3, instead of storing CafÃ©', async () => {
    const bytes = utf8ThenWin1252(0).bytes;
    const sync = failure(() => readCsvSync(bytes, {}, 'f.csv'));
    expect([sync.code, sync.value.place]).toEqual(['CSV_BAD_ENCODING', { file: 'f.csv', line: 3 }]);
    expect(sync.message).toMatch(MIXED);
    const streamed = await attempt([bytes]);
    expect(streamed.records).toEqual([{ sku: 'A0', name: 'Café' }]);
    expect([streamed.error?.code, streamed.error?.value.place.line]).toEqual(['CSV_BAD_ENCODING', 3]);
  });

  it('refuses a mixed file whichever encoding comes first, at the first byte that is not UTF-8', () => {
    const bytes = Buffer.concat([Buffer.from('sku,name\nA1,Caf'), Buffer.from([0xe9, 0x0a]), Buffer.from('A2,Café\n')]);
    const error = failure(() => readCsvSync(bytes, {}, 'f.csv'));
    expect([error.code, error.value.place.line]).toEqual(['CSV_BAD_ENCODING', 2]);
    expect(error.message).toMatch(MIXED);
  });

  it('refuses a mixed file under a mapping that declares a single-byte encoding too, as it does when the foreign byte comes later', () => {
    const bytes = utf8ThenWin1252(0).bytes;
    for (const encoding of ['windows-1252', 'iso-8859-1']) {
      const error = failure(() => readCsvSync(bytes, { encoding }, 'f.csv'));
      expect([error.code, error.value.place.line, error.message]).toEqual(['CSV_BAD_ENCODING', 3, expect.stringMatching(MIXED)]);
    }
  });

  it('refuses an 88 KB file with a UTF-8 é on line 2 and a Windows-1252 é after 64 KB, in one chunk as in small ones', async () => {
    const { bytes, badLine } = utf8ThenWin1252(88 * 1024);
    expect(bytes.length).toBeGreaterThan(SAMPLE);
    for (const chunks of [[bytes], Array.from({ length: Math.ceil(bytes.length / 1000) }, (_, i) => bytes.subarray(i * 1000, (i + 1) * 1000))]) {
      const { records, error } = await attempt(chunks);
      expect([error?.code, error?.value.place.line, error?.message]).toEqual(['CSV_BAD_ENCODING', badLine, expect.stringMatching(MIXED)]);
      expect(records[0]).toEqual({ sku: 'A0', name: 'Café' });
    }
  });

  it('guesses the encoding from the first 64 KB whatever the chunk size, so a preview (one big chunk) and the pipeline read a file alike', async () => {
    // Both encodings show only after the sample, where the guess cannot see them: what this pins is that the
    // outcome (whatever Utf8Transcoder makes of it) does not depend on the chunking.
    const rows = Array.from({ length: 8000 }, (_, i) => `A${i},plain`).join('\n');
    const bytes = Buffer.concat([Buffer.from(`sku,name\n${rows}\nB1,Caf`), Buffer.from([0xe9]), Buffer.from('\nB2,Café\n')]);
    expect(bytes.indexOf(0xe9)).toBeGreaterThan(SAMPLE);
    const oneChunk = await attempt([bytes]);
    for (const size of [1000, SAMPLE]) {
      expect(await attempt(Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size)))).toEqual(oneChunk);
    }
  });

  it('still reads Windows-1252 files (high bytes and no UTF-8 sequence), also with the first é after 64 KB in one chunk', async () => {
    const early = iconv.encode('sku,name\nA1,Café “Noir” 5€\nA2,Müller ½\n', 'win1252');
    expect(await attempt([early])).toEqual({ records: [{ sku: 'A1', name: 'Café “Noir” 5€' }, { sku: 'A2', name: 'Müller ½' }], error: undefined });
    const rows = Array.from({ length: 8000 }, (_, i) => `A${i},plain`).join('\n');
    const late = Buffer.concat([Buffer.from(`sku,name\n${rows}\n`), iconv.encode('B1,Café\n', 'win1252')]);
    expect(late.indexOf(0xe9)).toBeGreaterThan(SAMPLE);
    const { records, error } = await attempt([late]);
    expect(error).toBeUndefined();
    expect(records.at(-1)).toEqual({ sku: 'B1', name: 'Café' });
    expect(readCsvSync(late, {}, 'f.csv').at(-1)?.fields).toEqual({ sku: 'B1', name: 'Café' });
  });

  it('refuses a file whose first 64 KB are ASCII, then a Windows-1252 line, then a UTF-8 line, at the UTF-8 line, however it is chunked', async () => {
    const rows = Array.from({ length: 8000 }, (_, i) => `A${i},plain\n`).join('');
    const bytes = Buffer.concat([Buffer.from(`sku,name\n${rows}`), iconv.encode('B1,Müller\n', 'win1252'), Buffer.from('B2,Café\n')]);
    const utf8At = bytes.indexOf(Buffer.from('é'));
    expect(bytes.indexOf(0xfc)).toBeGreaterThan(SAMPLE);
    // The last split puts a chunk boundary inside the UTF-8 `é`.
    for (const chunks of [[bytes], Array.from({ length: Math.ceil(bytes.length / 1000) }, (_, i) => bytes.subarray(i * 1000, (i + 1) * 1000)), [bytes.subarray(0, utf8At + 1), bytes.subarray(utf8At + 1)]]) {
      const { records, error } = await attempt(chunks);
      expect(records.at(-1)).toEqual({ sku: 'B1', name: 'Müller' });
      expect([error?.code, error?.value.place]).toEqual(['CSV_BAD_ENCODING', { file: 'f.csv', line: 8003 }]);
      expect(error?.message).toMatch(/bytes C3 A9 are UTF-8 \("é"\) in a file read as windows-1252 \(the file mixes UTF-8 with another encoding; save it as UTF-8\)/);
    }
    expect(failure(() => readCsvSync(bytes, {}, 'f.csv')).value.place.line).toBe(8003);
  });

  it('refuses a file read as Windows-1252 from its first 64 KB, or declared so, that holds a UTF-8 character after them', () => {
    const rows = Array.from({ length: 8000 }, (_, i) => `A${i},plain\n`).join('');
    const bytes = Buffer.concat([iconv.encode('sku,name\nB1,Müller\n', 'win1252'), Buffer.from(`${rows}B2,Café\n`)]);
    expect(bytes.indexOf(Buffer.from('é'))).toBeGreaterThan(SAMPLE);
    for (const encoding of ['auto', 'windows-1252', 'iso-8859-1']) {
      const error = failure(() => readCsvSync(bytes, { encoding }, 'f.csv'));
      expect([error.code, error.value.place.line, error.message]).toEqual(['CSV_BAD_ENCODING', 8003, expect.stringMatching(/C3 A9.*mixes UTF-8/)]);
    }
  });

  it('reads UTF-8 with and without a BOM, in one chunk or byte by byte', async () => {
    const text = 'sku,name\nA1,Café Müller\nA2,日本語 €\n';
    const expected = [{ sku: 'A1', name: 'Café Müller' }, { sku: 'A2', name: '日本語 €' }];
    for (const bytes of [Buffer.from(text), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)])]) {
      expect(await attempt([bytes])).toEqual({ records: expected, error: undefined });
      expect(await attempt(Array.from(bytes, (b) => Uint8Array.of(b)))).toEqual({ records: expected, error: undefined });
    }
  });

  it('a UTF-8 character cut by the end of the 64 KB sample is not taken for a foreign byte', async () => {
    const head = 'sku,name\nA0,Café\nA1,';
    for (const inSample of [1, 2]) {
      // `€` is three bytes; the sample ends after the first `inSample` of them.
      const bytes = Buffer.from(`${head}${'x'.repeat(SAMPLE - inSample - Buffer.byteLength(head))}€\n`);
      expect(bytes.subarray(SAMPLE - inSample, SAMPLE + 3 - inSample).toString()).toBe('€');
      const { records, error } = await attempt([bytes]);
      expect(error).toBeUndefined();
      expect(records.map((r) => r.name?.slice(-1))).toEqual(['é', '€']);
      expect(isMixedUtf8Sample(bytes.subarray(0, SAMPLE))).toBe(false);
    }
  });

  it('isMixedUtf8Sample: a UTF-8 sequence and a foreign byte together; one of them alone is not mixed', () => {
    const utf8 = Buffer.from('Café\n');
    const win = Buffer.from([0x43, 0x61, 0x66, 0xe9, 0x0a]);
    expect(isMixedUtf8Sample(Buffer.concat([utf8, win]))).toBe(true);
    expect(isMixedUtf8Sample(Buffer.concat([win, utf8]))).toBe(true);
    expect(isMixedUtf8Sample(utf8)).toBe(false);
    expect(isMixedUtf8Sample(win)).toBe(false);
    expect(isMixedUtf8Sample(Buffer.from('plain'))).toBe(false);
    // A character cut off at the end proves nothing either way.
    expect(isMixedUtf8Sample(Buffer.concat([win, Buffer.from('€').subarray(0, 2)]))).toBe(false);
    expect(detectEncoding(Buffer.concat([utf8, win]))).toBe('utf-8');
    expect(detectEncoding(win)).toBe('windows-1252');
  });
});
