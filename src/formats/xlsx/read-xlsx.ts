import { Readable } from 'node:stream';
import { IntakeError, type Place } from '../../errors/intake-error.ts';
import { setField, type SourceRecord } from '../record.ts';
import { cellText } from './cell-text.ts';
import { InflateLimitError, limitInflation } from './inflate-limit.ts';
import { columnLetter, MAX_SHARED_STRINGS_BYTES, readSharedStrings, readStoredRows, XlsxLimitError, type StoredRow } from './stored-cells.ts';
import type { XlsxErrorCode } from './xlsx-error-codes.ts';
import { XlsxOptionsSchema, type XlsxOptions, type XlsxOptionsInput } from './xlsx-options.ts';
import { discardSheet, ownSpool } from './sheet-spool.ts';
import { endZipWithItsEntries } from './zip-stream-end.ts';

export type { XlsxOptions, XlsxOptionsInput } from './xlsx-options.ts';
export { XlsxOptionsSchema } from './xlsx-options.ts';

/**
 * Reads one worksheet of an .xlsx workbook as flat records, one per row below the header row, with
 * provenance.line = the row number the customer sees in Excel.
 *
 * Streaming through exceljs's WorkbookReader, which opens the zip and reads the workbook, relationships and
 * styles; the sheet's cells and the shared strings are read from their XML by stored-cells.ts (exceljs's own
 * reading of them loses data). Rows are parsed as the zip is read. Two things are held in memory whatever we
 * do, because the format requires it: the shared-strings table (cells refer to it by index) and, when the zip
 * stores a sheet before the parts it needs, a temporary file of that sheet (exceljs spools it to disk, not memory).
 * What the zip unpacks to is bounded as it is inflated (inflate-limit.ts), so a zip bomb fills neither.
 */
export async function* readXlsx(input: AsyncIterable<Uint8Array> | Uint8Array, options: XlsxOptionsInput, file: string): AsyncIterable<SourceRecord> {
  const parsed = XlsxOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'options'}: ${issue.message}`).join('; ');
    throw IntakeError.of('XLSX_INVALID_OPTIONS', `the spreadsheet options are not valid: ${problems}`, { file });
  }
  const settings = parsed.data;
  const fail: Fail = (code, message, place = {}, details) => {
    throw IntakeError.of(code, message, { file, ...place }, details);
  };

  const { head, chunks } = await sniff(input);
  if (head.length === 0) fail('XLSX_EMPTY_FILE', 'the file is empty (0 bytes)');
  checkSignature(head, fail);

  const source = Readable.from(chunks);
  const inflation = limitInflation(source);
  // Loaded on the first workbook: exceljs takes a third of a second to load, which every other format and every
  // `intake` command would otherwise pay.
  const { default: ExcelJS } = await import('exceljs');
  const reader = openWorkbook(ExcelJS, source, () =>
    fail(
      'XLSX_TOO_MANY_STRINGS',
      `the workbook's table of texts (xl/sharedStrings.xml) needs more than ${MAX_SHARED_STRINGS_BYTES / 1024 / 1024} MiB of memory: split the workbook, or send the sheet as CSV`,
    ),
  );

  const spool = ownSpool(reader);
  let target: string | undefined;
  let found = false;
  let sawWorkbook = false;
  try {
    for await (const sheet of spool.items) {
      try {
        sawWorkbook = true;
        // A sheet arrives here before the model only when the zip has no workbook.xml at all: while the model is
        // missing, sheets are spooled and read after the whole zip (openWorkbook).
        const model =
          reader.model ??
          fail('XLSX_NO_SHEET_LIST', 'the workbook has no list of sheets (xl/workbook.xml): it may be damaged; open it in Excel and save it again as .xlsx');
        const sheets = model.sheets ?? [];
        target ??= chooseSheet(sheets, settings, fail);
        if (sheet.name !== target) continue;
        found = true;
        yield* rowsOf(readStoredRows(sheet.iterator), sheet.name, reader, settings, file, fail);
        // The sheet we want is read; the rest of the zip is not worth inflating.
        break;
      } finally {
        discardSheet(sheet);
      }
    }
  } catch (caught) {
    const error = inflation.refusal ?? caught;
    if (error instanceof IntakeError) throw error;
    if (error instanceof XlsxLimitError) {
      fail(
        'XLSX_TOO_LARGE',
        `the workbook cannot be read: ${error.message}; save the sheet again from Excel, or send it as CSV`,
        error.row === undefined ? {} : { line: error.row },
        error instanceof InflateLimitError ? { ...error.details } : undefined,
      );
    }
    fail('XLSX_DAMAGED_WORKBOOK', `the workbook cannot be read (${(error as Error).message}); it may be truncated or damaged: please send it again`);
  } finally {
    spool.remove();
    source.destroy();
  }
  if (!sawWorkbook) {
    fail('XLSX_NOT_A_WORKBOOK', 'this is a zip archive without an Excel worksheet inside (not an .xlsx workbook; an .xlsb or .docx?): save it as .xlsx');
  }
  if (!found) {
    fail('XLSX_SHEET_NOT_FOUND', `no sheet ${JSON.stringify(target ?? settings.sheet)} in this workbook`);
  }
}

/** The whole sheet at once, for tests, previews and small files. */
export async function parseXlsx(input: Uint8Array, options: XlsxOptionsInput, file: string): Promise<SourceRecord[]> {
  const records: SourceRecord[] = [];
  for await (const record of readXlsx(input, options, file)) records.push(record);
  return records;
}

type Fail = (code: XlsxErrorCode, message: string, place?: Omit<Place, 'file'>, details?: Record<string, unknown>) => never;

/**
 * The parts of exceljs's streaming reader we use. Its typings omit them: the sheet's name and XML stream, the
 * workbook model, the styles, and the two internals replaced in openWorkbook.
 */
interface StreamingWorkbook {
  model?: { sheets?: Array<{ name: string; state?: string }> };
  properties?: { model?: { date1904?: boolean } };
  styles: { getStyleModel(id: number): { numFmt?: string } | null };
  sharedStrings?: string[];
  workbookRels?: unknown;
  _parseSharedStrings(entry: AsyncIterable<Uint8Array>): AsyncGenerator<never>;
  [Symbol.asyncIterator](): AsyncIterator<StreamingSheet>;
}
interface StreamingSheet {
  name: string;
  /** The sheet's XML, as the zip (or exceljs's temporary file) gives it. */
  iterator: AsyncIterable<Uint8Array>;
}

function openWorkbook(ExcelJS: typeof import('exceljs'), source: Readable, stringsTooLarge: () => never): StreamingWorkbook {
  endZipWithItsEntries();
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(source, {
    sharedStrings: 'cache',
    // Styles are needed to tell a date from a number: Excel stores both as numbers and only the format differs.
    styles: 'cache',
    // Hyperlinks ignored: the cell keeps its display text, which is what a record wants.
    hyperlinks: 'ignore',
    worksheets: 'emit',
    entries: 'ignore',
  }) as unknown as StreamingWorkbook;
  reader._parseSharedStrings = async function* (entry) {
    reader.sharedStrings = await readSharedStrings(entry, { maxBytes: MAX_SHARED_STRINGS_BYTES, tooLarge: stringsTooLarge });
  };
  // exceljs reads a sheet as it streams by once it has the shared strings and the relationships, and spools it to
  // a temporary file otherwise; but naming the sheet also needs workbook.xml, and a zip that stores workbook.xml
  // after the sheets (valid, if unusual: exceljs issue #3064) made it fail on the missing model. The
  // relationships count as known only once the workbook is too, so such a sheet is spooled until then, and
  // endZipWithItsEntries keeps the parts stored after it from being lost.
  let rels: unknown;
  Object.defineProperty(reader, 'workbookRels', {
    get: () => (reader.model ? rels : undefined),
    set: (value: unknown) => {
      rels = value;
    },
  });
  return reader;
}

function chooseSheet(sheets: Array<{ name: string; state?: string }>, settings: XlsxOptions, fail: Fail): string {
  const names = sheets.map((sheet) => sheet.name);
  const listing = names.map((name) => JSON.stringify(name)).join(', ');
  if (typeof settings.sheet === 'string') {
    if (names.includes(settings.sheet)) return settings.sheet;
    // Tab names are case-insensitive in Excel, so a mapping saying "orders" means the tab "Orders".
    const loose = names.find((name) => name.toLowerCase() === settings.sheet?.toString().toLowerCase());
    return loose ?? fail('XLSX_SHEET_NOT_FOUND', `no sheet named ${JSON.stringify(settings.sheet)}; the workbook has ${listing}`);
  }
  if (typeof settings.sheet === 'number') {
    return names[settings.sheet - 1] ?? fail('XLSX_SHEET_NOT_FOUND', `no sheet number ${settings.sheet}; the workbook has ${names.length}: ${listing}`);
  }
  const visible = sheets.find((sheet) => !sheet.state || sheet.state === 'visible');
  return (visible ?? sheets[0])?.name ?? fail('XLSX_NOT_A_WORKBOOK', 'the workbook has no sheets');
}

async function* rowsOf(
  rows: AsyncIterable<StoredRow>,
  sheet: string,
  workbook: StreamingWorkbook,
  settings: XlsxOptions,
  file: string,
  fail: Fail,
): AsyncIterable<SourceRecord> {
  let columns: string[] | undefined = settings.headerLine === 0 ? [] : undefined;
  let lastRow = settings.headerLine;
  for await (const row of rows) {
    if (row.number < settings.headerLine) continue;
    const texts = rowTexts(row, sheet, workbook, fail);
    if (row.number === settings.headerLine) {
      columns = headerNames(texts, row.number, fail);
      continue;
    }
    if (!columns) fail('XLSX_MISSING_HEADER', `row ${settings.headerLine} should hold the column names, but it is empty`, { line: settings.headerLine });
    if (!settings.skipEmptyRows) {
      // Rows with no cells at all are absent from the sheet's XML; a customer still sees them as rows.
      for (let gap = lastRow + 1; gap < row.number; gap++) yield record(columns, [], file, gap);
    }
    lastRow = row.number;
    if (settings.skipEmptyRows && texts.every((text) => text.trim() === '')) continue;
    yield record(columns, texts, file, row.number);
  }
  if (!columns) fail('XLSX_MISSING_HEADER', `row ${settings.headerLine} should hold the column names, but the sheet has no such row`, { line: settings.headerLine });
}

/** Cell texts by 0-based column index. */
function rowTexts(row: StoredRow, sheet: string, workbook: StreamingWorkbook, fail: Fail): string[] {
  const date1904 = Boolean(workbook.properties?.model?.date1904);
  const texts: string[] = [];
  for (const cell of row.cells) {
    // A formula stored without a result (exceljs and other libraries write them so) has a value nobody computed
    // yet: reading it as empty would pass on a blank where the sheet shows a number. An empty result is `<v></v>`.
    if (cell.formula && cell.value === undefined) {
      fail(
        'XLSX_FORMULA_NOT_CALCULATED',
        `cell ${cell.ref} of sheet ${JSON.stringify(sheet)} holds a formula with no value; the workbook was saved without calculated values: open it in Excel (or LibreOffice) and save it again`,
        { line: row.number },
      );
    }
    if (cell.type === 's' && cell.value !== undefined) {
      const text = workbook.sharedStrings?.[Number(cell.value)];
      if (text === undefined) {
        fail('XLSX_DAMAGED_WORKBOOK', `cell ${cell.ref} refers to shared string ${cell.value.trim()}, which the workbook does not have: it may be damaged, please send it again`, {
          line: row.number,
        });
      }
      texts[cell.column] = text;
    } else {
      // Format 0 is General (as exceljs assumes too, whose style table is not built without a styles part).
      const numFmt = cell.style === 0 ? undefined : workbook.styles.getStyleModel(cell.style)?.numFmt;
      texts[cell.column] = cellText(cell.type, cell.value, { numFmt, date1904 });
    }
  }
  return Array.from(texts, (text) => text ?? '');
}

function headerNames(texts: string[], rowNumber: number, fail: Fail): string[] {
  const names = texts.map((text) => text.trim());
  if (names.every((name) => name === '')) fail('XLSX_MISSING_HEADER', `row ${rowNumber} should hold the column names, but it is empty`, { line: rowNumber });
  const seen = new Map<string, number>();
  names.forEach((name, index) => {
    if (name === '') return;
    const first = seen.get(name);
    if (first !== undefined) {
      fail('XLSX_DUPLICATE_COLUMN', `columns ${columnLetter(first)} and ${columnLetter(index)} are both named ${JSON.stringify(name)}; rename one`, {
        line: rowNumber,
        column: name,
      });
    }
    seen.set(name, index);
  });
  return names;
}

function record(columns: string[], texts: string[], file: string, line: number): SourceRecord {
  const fields: Record<string, string> = {};
  columns.forEach((name, index) => {
    if (name !== '') setField(fields, name, texts[index] ?? '');
  });
  // A value under no column name (a column without header, or a file without header row) keeps the
  // positional name CSV uses, so it is neither lost nor confused with a named column.
  texts.forEach((text, index) => {
    if ((columns[index] ?? '') === '' && text !== '') fields[`col${index + 1}`] = text;
  });
  return { fields, provenance: { file, line, lineEnd: line } };
}

const ZIP = [0x50, 0x4b, 0x03, 0x04];
const OLE = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];

function startsWith(head: Uint8Array, magic: number[]): boolean {
  return magic.every((byte, index) => head[index] === byte);
}

/** Tells the customer what they sent instead of a workbook, from the first bytes. */
function checkSignature(head: Uint8Array, fail: Fail): void {
  if (startsWith(head, OLE)) {
    fail('XLSX_OLD_XLS_FORMAT', 'this is an old Excel 97-2003 .xls file (or a password-protected workbook): open it in Excel and save it as .xlsx, without a password');
  }
  if (startsWith(head, ZIP)) {
    const text = Buffer.from(head).toString('latin1');
    if (text.includes('application/vnd.oasis.opendocument')) {
      fail('XLSX_NOT_A_WORKBOOK', 'this is an OpenDocument spreadsheet (.ods), not .xlsx: save it as .xlsx');
    }
    return;
  }
  const start = Buffer.from(head.subarray(0, 512)).toString('utf-8').replace(/^\uFEFF/, '').trimStart().toLowerCase();
  if (start.startsWith('<html') || start.startsWith('<!doctype') || start.startsWith('<?xml') || start.startsWith('<table')) {
    fail('XLSX_NOT_A_WORKBOOK', 'this is a web page or XML saved with a spreadsheet name, not an .xlsx workbook: save it as .xlsx from Excel');
  }
  const printable = [...head.subarray(0, 512)].every((byte) => byte === 9 || byte === 10 || byte === 13 || byte >= 32);
  fail('XLSX_NOT_A_WORKBOOK', printable ? 'this is a text file (CSV?), not an .xlsx workbook' : 'this is not an .xlsx workbook (it is not a zip archive)');
}

/** Reads enough of the input to recognise it, and hands back every chunk (the head included) for the real read. */
async function sniff(input: AsyncIterable<Uint8Array> | Uint8Array): Promise<{ head: Uint8Array; chunks: AsyncIterable<Buffer> }> {
  if (input instanceof Uint8Array) {
    return { head: input.subarray(0, 4096), chunks: once(Buffer.from(input.buffer, input.byteOffset, input.byteLength)) };
  }
  const iterator = input[Symbol.asyncIterator]();
  const seen: Buffer[] = [];
  let size = 0;
  let done = false;
  while (size < 4096) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    const chunk = Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
    seen.push(chunk);
    size += chunk.length;
  }
  async function* all(): AsyncIterable<Buffer> {
    yield* seen;
    if (done) return;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      yield Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
    }
  }
  return { head: Buffer.concat(seen), chunks: all() };
}

async function* once(buffer: Buffer): AsyncIterable<Buffer> {
  yield buffer;
}
