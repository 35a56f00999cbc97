import { describe, expect, it } from 'vitest';
import { parseXlsx, readXlsx } from '../../../src/formats/xlsx/read-xlsx.ts';
import { MAX_SHARED_STRINGS_BYTES, readSharedStrings } from '../../../src/formats/xlsx/stored-cells.ts';
import { xlsxOf } from './build-xlsx.ts';
import { intakeErrorOf } from '../../support/intake-error-of.ts';
import { IntakeError } from '../../../src/errors/intake-error.ts';

/** A header row (`Value`, from shared string 0) and one data row holding `cell` in A2. */
function oneCell(cell: string, sharedStrings = ''): Buffer {
  return xlsxOf({ sheetData: `<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2">${cell}</row>`, sharedStrings: `<si><t>Value</t></si>${sharedStrings}` });
}

async function valueOf(book: Uint8Array | AsyncIterable<Uint8Array>): Promise<string | undefined> {
  const records = [];
  for await (const record of readXlsx(book, {}, 'book.xlsx')) records.push(record);
  return records[0]?.fields.Value;
}

describe('cells as the file stores them', () => {
  it('a column headed __proto__ is a field like any other, not lost to the record\'s prototype', async () => {
    const book = xlsxOf({
      sheetData: '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row><row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2"><v>7</v></c></row>',
      sharedStrings: '<si><t>__proto__</t></si><si><t>Qty</t></si><si><t>x</t></si>',
    });
    const records = [];
    for await (const record of readXlsx(book, {}, 'book.xlsx')) records.push(record);
    expect(Object.entries(records[0]!.fields)).toEqual([
      ['__proto__', 'x'],
      ['Qty', '7'],
    ]);
  });

  it('a number stored with 18 digits (an SSCC) keeps every digit', async () => {
    expect(await valueOf(oneCell('<c r="A2"><v>106141411234567897</v></c>'))).toBe('106141411234567897');
  });

  it('an inline rich-text string is all its runs joined', async () => {
    expect(await valueOf(oneCell('<c r="A2" t="inlineStr"><is><r><t xml:space="preserve">Green tea </t></r><r><rPr><b/></rPr><t>100 bags</t></r></is></c>'))).toBe(
      'Green tea 100 bags',
    );
  });

  it('a shared string with a phonetic reading (rPh) reads as its text, not the reading', async () => {
    const si = '<si><t>緑茶 100 bags</t><rPh sb="0" eb="2"><t>リョクチャ</t></rPh><phoneticPr fontId="1"/></si>';
    expect(await valueOf(oneCell('<c r="A2" t="s"><v>1</v></c>', si))).toBe('緑茶 100 bags');
    const inline = '<c r="A2" t="inlineStr"><is><t>緑茶</t><rPh sb="0" eb="2"><t>リョクチャ</t></rPh></is></c>';
    expect(await valueOf(oneCell(inline))).toBe('緑茶');
  });

  it('a t="d" cell reads as the ISO date it holds', async () => {
    expect(await valueOf(oneCell('<c r="A2" t="d"><v>2025-03-14T00:00:00</v></c>'))).toBe('2025-03-14');
  });

  it('indentation in sharedStrings.xml is not part of the strings; whitespace inside <t> is', async () => {
    const sst = `<?xml version="1.0" encoding="UTF-8"?>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
  <si>
    <t>Value</t>
  </si>
  <si>
    <r>
      <t xml:space="preserve"> Green tea </t>
    </r>
    <r>
      <t>100 bags</t>
    </r>
  </si>
</sst>`;
    const book = xlsxOf({ sheetData: '<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2" t="s"><v>1</v></c></row>', sharedStrings: sst });
    expect(await parseXlsx(book, {}, 'book.xlsx')).toEqual([{ fields: { Value: ' Green tea 100 bags' }, provenance: { file: 'book.xlsx', line: 2, lineEnd: 2 } }]);
  });

  it('a character split between two chunks of the stream stays whole', async () => {
    const book = oneCell('<c r="A2" t="inlineStr"><is><t>緑茶 リョクチャ</t></is></c>');
    async function* bytes(size: number): AsyncIterable<Uint8Array> {
      for (let at = 0; at < book.length; at += size) yield book.subarray(at, at + size);
    }
    expect(await valueOf(bytes(7))).toBe('緑茶 リョクチャ');
  });

  it('reads a workbook whose zip stores shared strings, relationships and the sheet before workbook.xml', async () => {
    const order = ['_rels/.rels', 'xl/_rels/workbook.xml.rels', 'xl/sharedStrings.xml', 'xl/worksheets/sheet1.xml', 'xl/workbook.xml', '[Content_Types].xml'];
    const book = xlsxOf({ sheetData: '<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2"><v>7</v></c></row>', sharedStrings: '<si><t>Value</t></si>', order });
    expect(await parseXlsx(book, { sheet: 'Data' }, 'late.xlsx')).toEqual([{ fields: { Value: '7' }, provenance: { file: 'late.xlsx', line: 2, lineEnd: 2 } }]);
  });

  it('reads a workbook whose zip stores workbook.xml as its very last entry, every time (the parts after a spooled sheet were lost, or raced)', async () => {
    const order = ['[Content_Types].xml', '_rels/.rels', 'xl/_rels/workbook.xml.rels', 'xl/sharedStrings.xml', 'xl/worksheets/sheet1.xml', 'xl/workbook.xml'];
    const book = xlsxOf({ sheetData: '<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2"><v>7</v></c></row>', sharedStrings: '<si><t>Value</t></si>', order });
    const secondToLast = xlsxOf({
      sheetData: '<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2"><v>7</v></c></row>',
      sharedStrings: '<si><t>Value</t></si>',
      order: ['_rels/.rels', 'xl/_rels/workbook.xml.rels', 'xl/sharedStrings.xml', 'xl/worksheets/sheet1.xml', 'xl/workbook.xml', '[Content_Types].xml'],
    });
    const expected = [{ fields: { Value: '7' }, provenance: { file: 'late.xlsx', line: 2, lineEnd: 2 } }];
    const reads = await Promise.all(Array.from({ length: 40 }, (_, i) => parseXlsx(i % 2 === 0 ? book : secondToLast, { sheet: 'Data' }, 'late.xlsx').catch(String)));
    expect(reads.filter((read) => JSON.stringify(read) !== JSON.stringify(expected))).toEqual([]);
  });

  it('a zip with a sheet but no workbook.xml is XLSX_NO_SHEET_LIST', async () => {
    const order = ['[Content_Types].xml', '_rels/.rels', 'xl/_rels/workbook.xml.rels', 'xl/sharedStrings.xml', 'xl/worksheets/sheet1.xml'];
    const book = xlsxOf({ sheetData: '<row r="1"><c r="A1" t="s"><v>0</v></c></row>', sharedStrings: '<si><t>Value</t></si>', order });
    const error = await intakeErrorOf(parseXlsx(book, {}, 'nolist.xlsx'));
    expect(error.code).toBe('XLSX_NO_SHEET_LIST');
    expect(error.message).toContain('save it again');
  });

  it('a workbook cut at any byte is refused or read whole, never cut short and never left hanging', async () => {
    const rows = Array.from({ length: 30 }, (_, i) => `<row r="${i + 2}"><c r="A${i + 2}"><v>${i}</v></c></row>`).join('');
    for (const order of [undefined, ['[Content_Types].xml', '_rels/.rels', 'xl/_rels/workbook.xml.rels', 'xl/sharedStrings.xml', 'xl/worksheets/sheet1.xml', 'xl/workbook.xml']]) {
      const book = xlsxOf({ sheetData: `<row r="1"><c r="A1" t="s"><v>0</v></c></row>${rows}`, sharedStrings: '<si><t>Value</t></si>', ...(order ? { order } : {}) });
      for (let cut = 1; cut < book.length; cut += 7) {
        const read = await parseXlsx(book.subarray(0, cut), {}, 'cut.xlsx').then(
          (records) => records.length,
          (error: unknown) => (error instanceof IntakeError ? error.code : String(error)),
        );
        expect([30, 'XLSX_DAMAGED_WORKBOOK', 'XLSX_NOT_A_WORKBOOK', 'XLSX_NO_SHEET_LIST', 'XLSX_SHEET_NOT_FOUND']).toContain(read);
      }
    }
  }, 60_000);

  it('cells and rows without an address follow the previous ones', async () => {
    const book = xlsxOf({ sheetData: '<row><c t="s"><v>0</v></c><c t="s"><v>1</v></c></row><row><c><v>1</v></c><c><v>2</v></c></row>', sharedStrings: '<si><t>A</t></si><si><t>B</t></si>' });
    expect(await parseXlsx(book, {}, 'book.xlsx')).toEqual([{ fields: { A: '1', B: '2' }, provenance: { file: 'book.xlsx', line: 2, lineEnd: 2 } }]);
  });

  it('a cell referring to a shared string the workbook lacks is XLSX_DAMAGED_WORKBOOK naming the cell', async () => {
    const error = await intakeErrorOf(parseXlsx(oneCell('<c r="A2" t="s"><v>9</v></c>'), {}, 'book.xlsx'));
    expect(error.code).toBe('XLSX_DAMAGED_WORKBOOK');
    expect(error.value.place).toEqual({ file: 'book.xlsx', line: 2 });
    expect(error.message).toContain('cell A2');
  });

  it('a formula with no <v> (a shared one included) is XLSX_FORMULA_NOT_CALCULATED; an empty <v> is an empty result', async () => {
    for (const cell of ['<c r="A2"><f>1+1</f></c>', '<c r="A2"><f t="shared" si="0"/></c>', '<x:c r="A2"><x:f>1+1</x:f></x:c>']) {
      const error = await intakeErrorOf(parseXlsx(oneCell(cell), {}, 'book.xlsx'));
      expect(error.code, cell).toBe('XLSX_FORMULA_NOT_CALCULATED');
      expect(error.message).toContain('cell A2 of sheet "Data"');
    }
    // Kept with skipEmptyRows: false, since a row whose one value is empty is otherwise skipped.
    for (const cell of ['<c r="A2" t="str"><f>""</f><v></v></c>', '<c r="A2" t="str"><f>""</f><v/></c>']) {
      expect((await parseXlsx(oneCell(cell), { skipEmptyRows: false }, 'book.xlsx'))[0]?.fields.Value, cell).toBe('');
    }
    expect(await valueOf(oneCell('<c r="A2"><f>1+1</f><v>2</v></c>'))).toBe('2');
  });

  it('a formula without a value above the header row is not read, so it is not refused', async () => {
    const book = xlsxOf({ sheetData: '<row r="1"><c r="A1"><f>TODAY()</f></c></row><row r="2"><c r="A2" t="s"><v>0</v></c></row><row r="3"><c r="A3"><v>5</v></c></row>', sharedStrings: '<si><t>Value</t></si>' });
    expect((await parseXlsx(book, { headerLine: 2 }, 'book.xlsx'))[0]?.fields).toEqual({ Value: '5' });
  });
});

describe('the shared-strings table', () => {
  it('stops past its memory bound, so a small workbook of millions of empty texts cannot exhaust the heap', async () => {
    const xml = `<sst>${'<si><t>abc</t></si>'.repeat(100)}</sst>`;
    async function* chunks(): AsyncIterable<Uint8Array> {
      yield Buffer.from(xml);
    }
    const tooLarge = (): never => {
      throw new Error('too large');
    };
    await expect(readSharedStrings(chunks(), { maxBytes: 100 * 46, tooLarge })).resolves.toHaveLength(100);
    await expect(readSharedStrings(chunks(), { maxBytes: 100 * 46 - 1, tooLarge })).rejects.toThrow('too large');
  });

  it('refuses a workbook whose table needs more than MAX_SHARED_STRINGS_BYTES (XLSX_TOO_MANY_STRINGS)', async () => {
    const count = Math.ceil(MAX_SHARED_STRINGS_BYTES / 40) + 1;
    // Empty texts spelt two ways at random, so the part packs 28:1 as text does; all alike, it packs 1000:1 as a
    // zip bomb does, and is refused for that first (inflate-limit.ts). A block longer than deflate's 32 KiB window,
    // repeated, packs as well as all of it random.
    let seed = 1;
    const block = Array.from({ length: 8192 }, () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) & 0x10000 ? '<si/>' : '<si></si>')).join('');
    const empties = block.repeat(Math.ceil(count / 8192));
    const error = await intakeErrorOf(parseXlsx(oneCell('<c r="A2" t="s"><v>1</v></c>', empties), {}, 'bomb.xlsx'));
    expect(error.code).toBe('XLSX_TOO_MANY_STRINGS');
    expect(error.value.place.file).toBe('bomb.xlsx');
  });
});
