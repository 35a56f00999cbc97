import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import type { IntakeError } from '../../../src/errors/intake-error.ts';
import { parseFixedWidth, readFixedWidth, type FixedWidthOptionsInput } from '../../../src/formats/fixed-width/read-fixed-width.ts';
import { intakeErrorOf } from '../../support/intake-error-of.ts';

/** The reader guesses the encoding from this many bytes (text-encoding.ts), like the CSV reader. */
const SAMPLE = 64 * 1024;

const layout = (encoding: string): FixedWidthOptionsInput => ({
  encoding,
  records: [
    {
      name: 'ROW',
      fields: [
        { name: 'id', start: 1, length: 4 },
        { name: 'name', start: 5, length: 10 },
        { name: 'qty', start: 15, length: 9, decimals: 3 },
      ],
    },
  ],
});

/** ASCII lines of the layout, `count` of them: `P000plain     000000001`. */
function asciiLines(count: number): string {
  return Array.from({ length: count }, (_, i) => `P${String(i).padStart(3, '0').slice(-3)}plain     000000001\n`).join('');
}

/** Streams `chunks` through readFixedWidth: the names read before an error, and the error. */
async function attempt(chunks: Uint8Array[], encoding = 'windows-1252') {
  async function* input() {
    yield* chunks;
  }
  const names: string[] = [];
  try {
    for await (const record of readFixedWidth(input(), layout(encoding), 'f.txt')) names.push(record.fields.name!);
  } catch (error) {
    return { names, error: error as IntakeError };
  }
  return { names, error: undefined };
}

function chunked(bytes: Buffer, size: number): Buffer[] {
  return Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size));
}

const MIXED = /the file mixes UTF-8 with another encoding; save it as UTF-8/;

describe('fixed-width encoding', () => {
  it('with positions: bytes, a UTF-8 file under a declared windows-1252 counts the bytes it was written in (ü is two)', async () => {
    // A byte-counting specification of a UTF-8 file: "Müller" takes 7 of the name's 10 bytes, 3 blanks follow.
    const line = Buffer.concat([Buffer.from('A001'), Buffer.from('Müller   ', 'utf8'), Buffer.from('000012500\n')]);
    const options = { ...layout('windows-1252'), positions: 'bytes' as const };
    const [record] = await parseFixedWidth(line, options, 'f.txt');
    expect(record?.fields).toMatchObject({ name: 'Müller', qty: '12.500' });
  });

  it('a UTF-8 file under a declared windows-1252 is read as UTF-8, so the fields after a non-ASCII character keep their positions', async () => {
    const bytes = Buffer.from('A001Müller    000012500\n');
    for (const encoding of ['windows-1252', 'cp1252', 'latin1', 'ISO-8859-1']) {
      const [record] = await parseFixedWidth(bytes, layout(encoding), 'f.txt');
      expect(record?.fields).toEqual({ id: 'A001', name: 'Müller', qty: '12.500' });
    }
  });

  it('a UTF-8 BOM decides under a declared windows-1252 and is not read as ï»¿', async () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('A001Müller    000012500\n')]);
    const [record] = await parseFixedWidth(bytes, layout('windows-1252'), 'f.txt');
    expect(record?.fields).toEqual({ id: 'A001', name: 'Müller', qty: '12.500' });
  });

  it('a declared windows-1252 file is still read as windows-1252, also when its first non-ASCII byte comes after the first 64 KB', async () => {
    const early = iconv.encode('A001Müller    000012500\nA002Señor €   000000001\n', 'windows-1252');
    expect(await attempt([early])).toEqual({ names: ['Müller', 'Señor €'], error: undefined });
    const late = Buffer.concat([Buffer.from(asciiLines(3000)), iconv.encode('A001Müller    000012500\n', 'windows-1252')]);
    expect(late.indexOf(0xfc)).toBeGreaterThan(SAMPLE);
    for (const chunks of [[late], chunked(late, 1000)]) {
      const { names, error } = await attempt(chunks);
      expect(error).toBeUndefined();
      expect(names.at(-1)).toBe('Müller');
    }
  });

  it('a file that mixes UTF-8 and Windows-1252 within its first 64 KB is FW_INVALID_ENCODING at its first byte that is not UTF-8, whichever comes first', async () => {
    const utf8 = Buffer.from('A001Müller    000012500\n');
    const win = iconv.encode('A002Müller    000012500\n', 'windows-1252');
    for (const [bytes, line, before] of [
      [Buffer.concat([utf8, win]), 2, ['Müller']],
      [Buffer.concat([win, utf8]), 1, []],
    ] as const) {
      const { names, error } = await attempt([bytes]);
      expect(names).toEqual(before);
      expect([error?.code, error?.value.place]).toEqual(['FW_INVALID_ENCODING', { file: 'f.txt', line }]);
      expect(error?.message).toContain('FC 6C');
      expect(error?.message).toMatch(MIXED);
    }
  });

  it('refuses a Windows-1252 file that holds a UTF-8 character after the first 64 KB, at its line, however the file is chunked', async () => {
    const win = iconv.encode('A001Müller    000012500\n', 'windows-1252');
    const utf8 = Buffer.from('A002Café      000000003\n');
    const ascii = Buffer.from(asciiLines(3000));
    // Whether the sample is all ASCII (UTF-8 guessed, Windows-1252 taken at its first 0xFC) or holds the 0xFC.
    for (const [bytes, line] of [
      [Buffer.concat([ascii, win, utf8]), 3002],
      [Buffer.concat([win, ascii, utf8]), 3002],
    ] as const) {
      const utf8At = bytes.indexOf(Buffer.from('é'));
      expect(utf8At).toBeGreaterThan(SAMPLE);
      // The last split puts a chunk boundary inside the UTF-8 `é`.
      for (const chunks of [[bytes], chunked(bytes, 1000), [bytes.subarray(0, utf8At + 1), bytes.subarray(utf8At + 1)]]) {
        const { names, error } = await attempt(chunks);
        expect(names).toHaveLength(3001);
        expect([error?.code, error?.value.place]).toEqual(['FW_INVALID_ENCODING', { file: 'f.txt', line }]);
        expect(error?.message).toContain('C3 A9');
        expect(error?.message).toMatch(MIXED);
      }
    }
  });

  it('a declared UTF-8 file with Windows-1252 bytes is still FW_INVALID_ENCODING with the windows-1252 hint', async () => {
    const error = await intakeErrorOf(parseFixedWidth(iconv.encode('A001Müller    000012500\n', 'windows-1252'), layout('utf-8'), 'f.txt'));
    expect([error.code, error.value.place.line]).toEqual(['FW_INVALID_ENCODING', 1]);
    expect(error.message).toContain('windows-1252');
  });
});
