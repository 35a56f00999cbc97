import ExcelJS from 'exceljs';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it, vi } from 'vitest';
import { cellText, isDateFormat, numberText } from '../../../src/formats/xlsx/cell-text.ts';
import { parseXlsx, readXlsx } from '../../../src/formats/xlsx/read-xlsx.ts';
import type { XlsxOptionsInput } from '../../../src/formats/xlsx/xlsx-options.ts';
import { zipOf } from './build-xlsx.ts';
import { intakeErrorOf } from '../../support/intake-error-of.ts';

async function workbook(build: (book: ExcelJS.Workbook) => void): Promise<Buffer> {
  const book = new ExcelJS.Workbook();
  build(book);
  return Buffer.from(await book.xlsx.writeBuffer());
}

async function* chunked(bytes: Uint8Array, size: number): AsyncIterable<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

/** An order sheet the way customers send them: a title, a blank row, the header at row 3, gaps between lines. */
const orders = (): Promise<Buffer> =>
  workbook((book) => {
    const sheet = book.addWorksheet('Orders');
    sheet.getCell('A1').value = 'Weekly orders - ACME';
    sheet.getRow(3).values = ['Order', 'SKU', 'Qty', 'Price', 'Ship date', 'Pickup at', 'Hazmat', 'Note', 'Link', 'Total'];
    sheet.getRow(4).values = [
      'ORD-1',
      '000123',
      12,
      0.1 + 0.2,
      new Date(Date.UTC(2026, 2, 5)),
      new Date(Date.UTC(2026, 2, 5, 14, 30)),
      true,
      { richText: [{ text: 'Handle ' }, { font: { bold: true }, text: 'with care' }] },
      { text: 'tracking', hyperlink: 'https://example.com/t/1' },
      { formula: 'C4*D4', result: 3.5999999999999996 },
    ];
    sheet.getRow(6).values = ['ORD-2', 'SKU-9', 1.5, 1234567.891, new Date(Date.UTC(2026, 11, 31)), null, false, '', null, { formula: 'C6*D6', result: 1851851.8365 }];
    sheet.getRow(7).values = [];
    sheet.getRow(8).values = ['ORD-3', 'SKU-10', 100000000000, 1e-7];
    const second = book.addWorksheet('Carriers');
    second.addRow(['Code', 'Name']);
    second.addRow(['UPSN', 'UPS']);
  });

describe('reading a sheet', () => {
  it('turns each row below the header into a record of strings, with the row number as its line', async () => {
    const records = await parseXlsx(await orders(), { headerLine: 3 }, 'orders.xlsx');
    expect(records).toEqual([
      {
        fields: {
          Order: 'ORD-1',
          SKU: '000123',
          Qty: '12',
          Price: '0.3',
          'Ship date': '2026-03-05',
          'Pickup at': '2026-03-05T14:30:00',
          Hazmat: 'true',
          Note: 'Handle with care',
          Link: 'tracking',
          Total: '3.6',
        },
        provenance: { file: 'orders.xlsx', line: 4, lineEnd: 4 },
      },
      {
        fields: {
          Order: 'ORD-2',
          SKU: 'SKU-9',
          Qty: '1.5',
          Price: '1234567.891',
          'Ship date': '2026-12-31',
          'Pickup at': '',
          Hazmat: 'false',
          Note: '',
          Link: '',
          Total: '1851851.8365',
        },
        provenance: { file: 'orders.xlsx', line: 6, lineEnd: 6 },
      },
      {
        fields: { Order: 'ORD-3', SKU: 'SKU-10', Qty: '100000000000', Price: '0.0000001', 'Ship date': '', 'Pickup at': '', Hazmat: '', Note: '', Link: '', Total: '' },
        provenance: { file: 'orders.xlsx', line: 8, lineEnd: 8 },
      },
    ]);
  });

  it('keeps empty rows as records of empty strings when asked, gaps included', async () => {
    const records = await parseXlsx(await orders(), { headerLine: 3, skipEmptyRows: false }, 'orders.xlsx');
    expect(records.map((record) => [record.provenance.line, record.fields.Order])).toEqual([
      [4, 'ORD-1'],
      [5, ''],
      [6, 'ORD-2'],
      [7, ''],
      [8, 'ORD-3'],
    ]);
  });

  it('reads the first sheet by default, another by name (case-insensitive) or by position', async () => {
    const book = await orders();
    const byName = await parseXlsx(book, { sheet: 'carriers' }, 'orders.xlsx');
    expect(byName).toEqual([{ fields: { Code: 'UPSN', Name: 'UPS' }, provenance: { file: 'orders.xlsx', line: 2, lineEnd: 2 } }]);
    expect(await parseXlsx(book, { sheet: 2 }, 'orders.xlsx')).toEqual(byName);
    const first = await parseXlsx(book, {}, 'orders.xlsx');
    // Default header row 1 on the Orders sheet: its only cell is the title.
    expect(first[0]?.provenance.line).toBe(3);
    expect(first[0]?.fields['Weekly orders - ACME']).toBe('Order');
  });

  it('skips a hidden first tab by default: the customer sees the first visible one', async () => {
    const book = await workbook((wb) => {
      const hidden = wb.addWorksheet('Lookup', { state: 'hidden' });
      hidden.addRow(['x']);
      hidden.addRow(['1']);
      const visible = wb.addWorksheet('Data');
      visible.addRow(['y']);
      visible.addRow(['2']);
    });
    expect((await parseXlsx(book, {}, 'b.xlsx'))[0]?.fields).toEqual({ y: '2' });
  });

  it('without a header row, columns are col1, col2, ... as for CSV', async () => {
    const book = await workbook((wb) => {
      const sheet = wb.addWorksheet('S');
      sheet.addRow(['a', 1]);
      sheet.addRow(['b', 2]);
    });
    const records = await parseXlsx(book, { headerLine: 0 }, 'n.xlsx');
    expect(records.map((record) => record.fields)).toEqual([
      { col1: 'a', col2: '1' },
      { col1: 'b', col2: '2' },
    ]);
  });

  it('a value under a column without a name keeps its positional name', async () => {
    const book = await workbook((wb) => {
      const sheet = wb.addWorksheet('S');
      sheet.addRow(['Order', null, 'Qty']);
      sheet.addRow(['ORD-1', 'stray', 3]);
    });
    expect((await parseXlsx(book, {}, 's.xlsx'))[0]?.fields).toEqual({ Order: 'ORD-1', Qty: '3', col2: 'stray' });
  });

  it('streams from chunks as they arrive', async () => {
    const book = await orders();
    const lines: number[] = [];
    for await (const record of readXlsx(chunked(book, 997), { headerLine: 3 }, 'orders.xlsx')) lines.push(record.provenance.line ?? 0);
    expect(lines).toEqual([4, 6, 8]);
  });

  it('reads a sheet stored before the shared strings and styles in the zip, as Excel writes them', async () => {
    // exceljs's streaming writer stores each sheet as it is committed, before the workbook's shared parts.
    const stream = new (await import('node:stream')).PassThrough();
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    const writer = new ExcelJS.stream.xlsx.WorkbookWriter({ stream, useSharedStrings: true, useStyles: true });
    const sheet = writer.addWorksheet('Late');
    sheet.addRow(['When', 'Who']).commit();
    const row = sheet.addRow([new Date(Date.UTC(2026, 0, 2)), 'Ann']);
    row.getCell(1).numFmt = 'yyyy-mm-dd';
    row.commit();
    sheet.commit();
    await writer.commit();
    const records = await parseXlsx(Buffer.concat(chunks), {}, 'late.xlsx');
    expect(records).toEqual([{ fields: { When: '2026-01-02', Who: 'Ann' }, provenance: { file: 'late.xlsx', line: 2, lineEnd: 2 } }]);
  });
});

describe('refusals', () => {
  it('an unknown sheet name is XLSX_SHEET_NOT_FOUND listing the sheets', async () => {
    const error = await intakeErrorOf(parseXlsx(await orders(), { sheet: 'Shipments' }, 'orders.xlsx'));
    expect(error.code).toBe('XLSX_SHEET_NOT_FOUND');
    expect(error.message).toContain('"Orders", "Carriers"');
  });

  it('an empty header row is XLSX_MISSING_HEADER at that row', async () => {
    const error = await intakeErrorOf(parseXlsx(await orders(), { headerLine: 2 }, 'orders.xlsx'));
    expect(error.code).toBe('XLSX_MISSING_HEADER');
    expect(error.value.place).toEqual({ file: 'orders.xlsx', line: 2 });
  });

  it('two columns with the same name are XLSX_DUPLICATE_COLUMN naming both columns', async () => {
    const book = await workbook((wb) => wb.addWorksheet('S').addRow(['Qty', 'SKU', 'Qty']));
    const error = await intakeErrorOf(parseXlsx(book, {}, 'd.xlsx'));
    expect(error.code).toBe('XLSX_DUPLICATE_COLUMN');
    expect(error.message).toContain('columns A and C');
  });

  it('a 0-byte file is XLSX_EMPTY_FILE', async () => {
    expect((await intakeErrorOf(parseXlsx(new Uint8Array(), {}, 'e.xlsx'))).code).toBe('XLSX_EMPTY_FILE');
  });

  it('an old binary .xls (OLE container) is XLSX_OLD_XLS_FORMAT asking for .xlsx', async () => {
    const ole = Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(504)]);
    const error = await intakeErrorOf(parseXlsx(ole, {}, 'old.xls'));
    expect(error.code).toBe('XLSX_OLD_XLS_FORMAT');
    expect(error.message).toContain('save it as .xlsx');
  });

  it('a CSV renamed .xlsx, an HTML "xls" export and other bytes are XLSX_NOT_A_WORKBOOK saying what they look like', async () => {
    const csv = await intakeErrorOf(parseXlsx(Buffer.from('Order,Qty\nORD-1,3\n'), {}, 'orders.xlsx'));
    expect(csv.code).toBe('XLSX_NOT_A_WORKBOOK');
    expect(csv.message).toContain('text file (CSV?)');
    const html = await intakeErrorOf(parseXlsx(Buffer.from('<html><table><tr><td>1</td></tr></table></html>'), {}, 'report.xls'));
    expect(html.code).toBe('XLSX_NOT_A_WORKBOOK');
    expect(html.message).toContain('web page');
    expect((await intakeErrorOf(parseXlsx(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 1]), {}, 'x.xlsx'))).code).toBe('XLSX_NOT_A_WORKBOOK');
  });

  it('a zip without a workbook inside is XLSX_NOT_A_WORKBOOK', async () => {
    const zip = zipOf([['a.txt', 'hi']]);
    const error = await intakeErrorOf(parseXlsx(zip, {}, 'archive.xlsx'));
    expect(error.code).toBe('XLSX_NOT_A_WORKBOOK');
  });

  it('a truncated workbook is refused with a clear code, not a crash', async () => {
    const book = await orders();
    const error = await intakeErrorOf(parseXlsx(book.subarray(0, Math.floor(book.length / 2)), { headerLine: 3 }, 'cut.xlsx'));
    expect(error.code).toBe('XLSX_DAMAGED_WORKBOOK');
    expect(error.message).toContain('send it again');
  });

  it('a read leaves no temporary file or descriptor behind, wherever it stops: the sheet wanted, a refusal, a cut file', async () => {
    // exceljs spools sheets stored before workbook.xml (as it writes them itself) to temp files it removed only
    // when iterated to the end; stopping at the sheet wanted left the others' files and descriptors for ever.
    const book = await workbook((wb) => {
      for (const name of ['North', 'South', 'East']) {
        const sheet = wb.addWorksheet(name);
        sheet.addRow(['Order']);
        sheet.addRow([`ORD-${name}`]);
      }
    });
    const spooled = () => readdirSync(tmpdir()).filter((name) => name.startsWith(`tmp-${process.pid}-`)).length;
    const descriptors = () => readdirSync('/proc/self/fd').length;
    const before = { files: spooled(), descriptors: descriptors() };
    for (let round = 0; round < 10; round++) {
      expect(await parseXlsx(book, {}, 'regions.xlsx')).toHaveLength(1);
      expect(await parseXlsx(book, { sheet: 'east' }, 'regions.xlsx')).toHaveLength(1);
      expect((await intakeErrorOf(parseXlsx(book, { sheet: 'West' }, 'regions.xlsx'))).code).toBe('XLSX_SHEET_NOT_FOUND');
      expect((await intakeErrorOf(parseXlsx(book, { headerLine: 3 }, 'regions.xlsx'))).code).toBe('XLSX_MISSING_HEADER');
      await intakeErrorOf(parseXlsx(book.subarray(0, book.length - 200), {}, 'cut.xlsx'));
    }
    // The temp files are removed asynchronously (close, then unlink).
    await vi.waitFor(() => expect({ files: spooled(), descriptors: descriptors() }).toEqual(before), { timeout: 5_000 });
  });

  it('a formula without a calculated value (written by a script, never opened in Excel) is XLSX_FORMULA_NOT_CALCULATED naming the sheet and cell', async () => {
    const book = await workbook((wb) => {
      const sheet = wb.addWorksheet('Orders');
      sheet.addRow(['Order', 'Qty', 'Double']);
      sheet.addRow(['ORD-1', 2, { formula: 'B2*2' } as ExcelJS.CellFormulaValue]);
    });
    const error = await intakeErrorOf(parseXlsx(book, {}, 'scripted.xlsx'));
    expect(error.code).toBe('XLSX_FORMULA_NOT_CALCULATED');
    expect(error.value.place).toEqual({ file: 'scripted.xlsx', line: 2 });
    expect(error.message).toContain('cell C2 of sheet "Orders"');
    expect(error.message).toContain('the workbook was saved without calculated values: open it in Excel (or LibreOffice) and save it again');
  });

  it('a formula whose calculated value is an empty text reads as empty', async () => {
    const book = await workbook((wb) => {
      const sheet = wb.addWorksheet('Orders');
      sheet.addRow(['Order', 'Note']);
      sheet.addRow(['ORD-1', { formula: 'IF(1,"","x")', result: '' }]);
    });
    expect((await parseXlsx(book, {}, 'blank.xlsx'))[0]?.fields).toEqual({ Order: 'ORD-1', Note: '' });
  });

  it('invalid options are XLSX_INVALID_OPTIONS', async () => {
    const error = await intakeErrorOf(parseXlsx(await orders(), { headerLine: -1 }, 'orders.xlsx'));
    expect(error.code).toBe('XLSX_INVALID_OPTIONS');
  });

  it('a misspelt option (headerline) is XLSX_INVALID_OPTIONS naming it, not dropped for the default header row', async () => {
    const error = await intakeErrorOf(parseXlsx(await orders(), { headerline: 3 } as XlsxOptionsInput, 'orders.xlsx'));
    expect(error.code).toBe('XLSX_INVALID_OPTIONS');
    expect(error.message).toContain('Unrecognized key: "headerline"');
  });
});

describe('cell values as text', () => {
  it('numbers are plain decimals without float noise or exponent', () => {
    expect(numberText(String(0.1 + 0.2))).toBe('0.3');
    expect(numberText(String(1.005 * 1000))).toBe('1005');
    expect(numberText('-2.5')).toBe('-2.5');
    expect(numberText('-0')).toBe('0');
    expect(numberText('1E+21')).toBe('1000000000000000000000');
    expect(numberText('1.5E-10')).toBe('0.00000000015');
    expect(numberText('9007199254740991')).toBe('9007199254740991');
    expect(numberText(String(123456789.123456789))).toBe('123456789.123457');
  });

  it('numbers stored with more digits than a double keeps are given as stored, never altered', () => {
    expect(numberText('106141411234567897')).toBe('106141411234567897');
    expect(numberText('1.06141411234567897E+17')).toBe('106141411234567897');
    expect(numberText('12345678901234567')).toBe('12345678901234567');
    expect(numberText('0.123456789012345678901')).toBe('0.123456789012345678901');
  });

  it('dates are ISO 8601: a day, a day and time, or a time alone', () => {
    const date = { numFmt: 'yyyy-mm-dd' };
    expect(cellText('n', '46086', date)).toBe('2026-03-05');
    expect(cellText('n', '46086.604166666664', date)).toBe('2026-03-05T14:30:00');
    expect(cellText('n', '46086.60416665509', date)).toBe('2026-03-05T14:30:00');
    expect(cellText('n', '0.34375', date)).toBe('08:15:00');
    expect(cellText('n', '0', { numFmt: 'yyyy-mm-dd', date1904: true })).toBe('1904-01-01');
    expect(cellText('n', '46086.6041666667', { numFmt: '0.00' })).toBe('46086.6041666667');
  });

  it('a t="d" cell reads as the ISO date it holds', () => {
    expect(cellText('d', '2025-03-14T00:00:00')).toBe('2025-03-14');
    expect(cellText('d', '2025-03-14')).toBe('2025-03-14');
    expect(cellText('d', '2025-03-14T14:30:00.000')).toBe('2025-03-14T14:30:00');
    expect(cellText('d', '2025-03-14T14:30:00+02:00')).toBe('2025-03-14T14:30:00+02:00');
  });

  it('booleans read true/false, errors as their text, a cell without value as empty', () => {
    expect(cellText('b', '1')).toBe('true');
    expect(cellText('b', '0')).toBe('false');
    expect(cellText('e', '#N/A')).toBe('#N/A');
    expect(cellText('n', undefined)).toBe('');
  });

  it('tells date formats from number formats', () => {
    expect(isDateFormat('mm-dd-yy')).toBe(true);
    expect(isDateFormat('[$-409]d-mmm-yy;@')).toBe(true);
    expect(isDateFormat('[h]:mm')).toBe(true);
    expect(isDateFormat('0.00')).toBe(false);
    expect(isDateFormat('#,##0 "days"')).toBe(false);
    expect(isDateFormat('[Red]0.00')).toBe(false);
    expect(isDateFormat('General')).toBe(false);
  });
});
