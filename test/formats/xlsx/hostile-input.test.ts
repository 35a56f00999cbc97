import { describe, expect, it } from 'vitest';
import { parseXlsx } from '../../../src/formats/xlsx/read-xlsx.ts';
import { xlsxOf } from './build-xlsx.ts';

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
