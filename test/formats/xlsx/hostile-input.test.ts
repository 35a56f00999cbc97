import { readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { INFLATE_LIMITS } from '../../../src/formats/xlsx/inflate-limit.ts';
import { parseXlsx, readXlsx } from '../../../src/formats/xlsx/read-xlsx.ts';
import { intakeErrorOf } from '../../support/intake-error-of.ts';
import { bombOf, partsOf, xlsxOf, zipChunks, type Deflated } from './build-xlsx.ts';

const HEADER = '<row r="1"><c r="A1" t="inlineStr"><is><t>h</t></is></c></row>';

async function refusal(sheetData: string, options = {}, sharedStrings?: string): Promise<unknown> {
  return parseXlsx(xlsxOf({ sheetData: HEADER + sheetData, ...(sharedStrings ? { sharedStrings } : {}) }), options, 'bomb.xlsx').then(
    () => 'read',
    (error: unknown) => error,
  );
}

describe('hostile workbooks', () => {
  it('refuses a cell beyond column XFD instead of allocating a 4-billion-slot row (was 2 GB, or the cell silently lost)', async () => {
    for (const ref of ['FXSHRXW2', 'ZZZZZZZ2', 'XFE2']) {
      expect(await refusal(`<row r="2"><c r="${ref}" t="inlineStr"><is><t>x</t></is></c></row>`)).toMatchObject({
        code: 'XLSX_TOO_LARGE',
        value: { place: { file: 'bomb.xlsx', line: 2 } },
        message: expect.stringContaining(`cell ${ref} beyond column XFD`),
      });
    }
  });

  it('refuses a row number past 1,048,576 (skipEmptyRows false would have made two billion empty records)', async () => {
    expect(await refusal('<row r="2000000000"><c r="A2000000000" t="inlineStr"><is><t>x</t></is></c></row>', { skipEmptyRows: false })).toMatchObject({
      code: 'XLSX_TOO_LARGE',
      message: expect.stringContaining('row numbered 2000000000'),
    });
  });

  it('refuses a row of more than 16,384 cells', async () => {
    expect(await refusal(`<row r="2">${'<c t="inlineStr"><is><t>x</t></is></c>'.repeat(16_385)}</row>`)).toMatchObject({ code: 'XLSX_TOO_LARGE', value: { place: { line: 2 } } });
  });

  it('refuses a cell or shared string of more than 1 Mi characters, in bounded memory', async () => {
    const big = 'x'.repeat((1 << 20) + 1);
    expect(await refusal(`<row r="2"><c r="A2" t="inlineStr"><is><t>${big}</t></is></c></row>`)).toMatchObject({ code: 'XLSX_TOO_LARGE' });
    expect(await refusal(`<row r="2"><c r="A2" t="str"><v>${big}</v></c></row>`)).toMatchObject({ code: 'XLSX_TOO_LARGE' });
    expect(await refusal('<row r="2"><c r="A2" t="s"><v>0</v></c></row>', {}, `<si><t>${big}</t></si>`)).toMatchObject({ code: 'XLSX_TOO_LARGE' });
  });

  it('refuses XML nested deeper than any spreadsheet', async () => {
    expect(await refusal(`<row r="2"><c r="A2" t="inlineStr"><is>${'<r>'.repeat(100)}`)).toMatchObject({ code: 'XLSX_TOO_LARGE', message: expect.stringContaining('nests elements') });
  });

  it('still reads a cell in column XFD and a row at 1,048,576', async () => {
    const records = await parseXlsx(xlsxOf({ sheetData: HEADER + '<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>a</t></is></c><c r="XFD1048576" t="inlineStr"><is><t>z</t></is></c></row>' }), {}, 'edge.xlsx');
    expect(records).toEqual([{ fields: { h: 'a', col16384: 'z' }, provenance: { file: 'edge.xlsx', line: 1_048_576, lineEnd: 1_048_576 } }]);
  });
});

// One inflated chunk (zlib's 16 KiB) may go past a limit before it is counted.
const chunk = 16 * 1024;

/** exceljs's temp files (the `tmp` package's names), to see what a read spools. */
function spooledFiles(): string[] {
  return readdirSync(tmpdir())
    .filter((name) => name.startsWith(`tmp-${process.pid}-`))
    .map((name) => join(tmpdir(), name));
}

/** What the temp files that were not there `before` hold. */
function spooledBytes(before: Set<string>): number {
  return spooledFiles()
    .filter((path) => !before.has(path))
    .reduce((sum, path) => {
      try {
        return sum + statSync(path).size;
      } catch {
        return sum; // removed between the listing and the look
      }
    }, 0);
}

/**
 * How a workbook with a bomb among its parts is refused, arriving chunk by chunk: the error, how much of the zip
 * the reader pulled and the most it had spooled to temp files at each pull. A reader that pulls more than a 16th
 * of the bomb, or spools more than the limit lets it, fails the test there and then: the zip ends, as a full disk
 * would end the read, and the test does not wait on a reader that may stall once cut off.
 */
async function bombRefusal(entries: Array<[string, string | Deflated]>, bomb: Deflated, file: string) {
  const seen = { pulled: 0, spooled: 0 };
  const stopAt = { pulled: bomb.compressedSize / 16, spooled: INFLATE_LIMITS.ratioAfterBytes + chunk };
  const earlier = new Set(spooledFiles());
  let overrun = (): void => {};
  const overran = new Promise<never>((_, reject) => {
    overrun = () => reject(new Error(`the reader went on past the limit: it pulled ${seen.pulled} bytes of the zip and spooled ${seen.spooled}`));
  });
  overran.catch(() => {});
  async function* arriving(): AsyncIterable<Buffer> {
    for (const bytes of zipChunks(entries)) {
      seen.spooled = Math.max(seen.spooled, spooledBytes(earlier));
      if (seen.pulled > stopAt.pulled || seen.spooled > stopAt.spooled) return overrun();
      seen.pulled += bytes.length;
      yield bytes;
    }
  }
  const read = (async () => {
    for await (const _ of readXlsx(arriving(), {}, file));
  })();
  return { error: await intakeErrorOf(Promise.race([read, overran])), seen, stopAt };
}

describe('zip bombs', () => {
  const parts = [...partsOf({ sheetData: HEADER + '<row r="2"><c r="A2" t="inlineStr"><is><t>x</t></is></c></row>' })];
  const SHEET = 'xl/worksheets/sheet1.xml';

  it('refuses a sheet stored before workbook.xml that unpacks to 2 GiB of spaces after spooling 16 MiB of it, and leaves no temp file', async () => {
    // The probe's Manifest_bomb.xlsx: 2 MB that exceljs spooled whole to a temp file (2 GB) before any refusal.
    const bomb = bombOf(2048);
    const before = spooledFiles().length;
    const { error, seen, stopAt } = await bombRefusal([[SHEET, bomb], ...parts.filter(([path]) => path !== SHEET)], bomb, 'Manifest_bomb.xlsx');
    expect(error.value).toMatchObject({ code: 'XLSX_TOO_LARGE', place: { file: 'Manifest_bomb.xlsx' }, details: { entry: SHEET } });
    expect(error.message).toMatch(/^Manifest_bomb\.xlsx: .*its part xl\/worksheets\/sheet1\.xml unpacks to more than 200 times its packed size/);
    expect(error.value.details?.inflatedBytes).toBeLessThanOrEqual(INFLATE_LIMITS.ratioAfterBytes + chunk);
    expect(seen.spooled).toBeLessThanOrEqual(INFLATE_LIMITS.ratioAfterBytes + chunk);
    expect(seen.pulled).toBeLessThan(stopAt.pulled);
    // Removed asynchronously (close, then unlink).
    await vi.waitFor(() => expect(spooledFiles()).toHaveLength(before), { timeout: 5_000 });
  });

  it('refuses a sheet read as it streams by that unpacks to 2 GiB of empty rows, after parsing 16 MiB of them', async () => {
    const bomb = bombOf(2048, '<row r="2"/>    ', [`<?xml version="1.0" encoding="UTF-8"?><worksheet><sheetData>${HEADER}`, '</sheetData></worksheet>']);
    const { error, seen, stopAt } = await bombRefusal([...parts.filter(([path]) => path !== SHEET), [SHEET, bomb]], bomb, 'rows.xlsx');
    expect(error.value).toMatchObject({ code: 'XLSX_TOO_LARGE', details: { entry: SHEET } });
    expect(error.value.details?.inflatedBytes).toBeLessThanOrEqual(INFLATE_LIMITS.ratioAfterBytes + chunk);
    expect(seen.pulled).toBeLessThan(stopAt.pulled);
  });

  it('refuses a bomb in a part the reader skips (an image), which was inflated whole only to be thrown away', async () => {
    const bomb = bombOf(2048, '\0');
    const { error, seen, stopAt } = await bombRefusal([['xl/media/image1.png', bomb], ...parts], bomb, 'logo.xlsx');
    expect(error.value).toMatchObject({ code: 'XLSX_TOO_LARGE', details: { entry: 'xl/media/image1.png' } });
    expect(error.value.details?.inflatedBytes).toBeLessThanOrEqual(INFLATE_LIMITS.ratioAfterBytes + chunk);
    expect(seen.pulled).toBeLessThan(stopAt.pulled);
  });

  it('still reads a sheet as repetitive as real ones get, past the 16 MiB from which the ratio counts: 18 MiB of blank styled cells (75:1)', async () => {
    const rows = Array.from({ length: 80_000 }, (_, n) => `<row r="${n + 2}" spans="1:20">${'<c s="3"/>'.repeat(20)}</row>`).join('');
    const records = await parseXlsx(xlsxOf({ sheetData: HEADER + rows + '<row><c t="inlineStr"><is><t>last</t></is></c></row>' }), {}, 'blanks.xlsx');
    expect(records).toEqual([expect.objectContaining({ fields: { h: 'last' } })]);
  });
});
