import { StringDecoder } from 'node:string_decoder';
import { SaxesParser } from 'saxes';

/**
 * The cells of a worksheet and the shared-strings table, read from their XML as stored, before any conversion.
 *
 * exceljs's streaming reader opens the zip and parses the workbook, relationships and styles for us, but its
 * cell and shared-string parsing loses data (exceljs 4.4.0): every number goes through parseFloat (an 18-digit
 * SSCC loses its last digits; a `t="d"` ISO date reads as its year), an inline string keeps only its last
 * rich-text run, a shared string with a phonetic reading (`<rPh>`, written routinely by Japanese Excel) reads as
 * the reading, whitespace between the tags of an indented sharedStrings.xml joins every string, and each zip
 * chunk is decoded alone, so a UTF-8 character split between two chunks turns into U+FFFD. So the XML of the
 * sheet we read and of the shared strings is parsed here, with saxes (the parser exceljs itself uses).
 */

/** One cell as its XML stores it. */
export interface StoredCell {
  /** 0-based column index. */
  column: number;
  /** The cell's address (`D5`), for messages. */
  ref: string;
  /**
   * ECMA-376 ST_CellType: `n` number (the default), `s` shared-string index, `inlineStr`, `str` (a formula's
   * text result), `b` boolean (`0`/`1`), `e` error (`#N/A`), `d` ISO 8601 date.
   */
  type: string;
  /** Index into the workbook's cell formats (`s` attribute), 0 when absent. */
  style: number;
  /**
   * The `<v>` text, or the text of the `<is>` runs; undefined when the cell holds no value (a styled blank, or a
   * formula never calculated).
   */
  value: string | undefined;
  /** The cell holds a formula (`<f>`): its value is the result the writer calculated and stored, if it did. */
  formula: boolean;
}

export interface StoredRow {
  /** 1-based row number, as Excel shows it. */
  number: number;
  cells: StoredCell[];
}

type Chunks = AsyncIterable<Uint8Array>;

/** Excel's own bounds: 1,048,576 rows and 16,384 columns (A to XFD). */
export const MAX_ROWS = 1_048_576;
export const MAX_COLUMNS = 16_384;
/**
 * Characters one cell may hold. Excel stops at 32,767; other writers may go further, so this is generous, but a
 * bound: a 500 KB workbook can hold one cell of 500 million characters (1.7 GB of memory to read).
 */
export const MAX_CELL_CHARS = 1 << 20;
/** Elements nested deeper than this are no spreadsheet (a cell is 5 deep): saxes holds the open ones. */
export const MAX_XML_DEPTH = 64;

/** A workbook beyond a bound this reader keeps; `row` is the sheet row it was found in, when known. */
export class XlsxLimitError extends Error {
  constructor(
    message: string,
    readonly row?: number,
  ) {
    super(message);
  }
}

/**
 * How much memory the shared-strings table may take, estimated as V8 holds it (two bytes a character, and about
 * 40 for each string and its slot). The table must be held whole (cells refer to it by index), and it compresses
 * extremely well: a 90 KB workbook of empty strings held 50 MB, so a few MB could exhaust the heap. 256 MiB is
 * millions of real strings (a sheet of 1,048,576 rows with a couple of unique text columns).
 */
export const MAX_SHARED_STRINGS_BYTES = 256 * 1024 * 1024;

/** The shared-strings table (`xl/sharedStrings.xml`), in index order; `tooLarge` is called past `maxBytes`. */
export async function readSharedStrings(chunks: Chunks, limit: { maxBytes: number; tooLarge: () => never }): Promise<string[]> {
  const strings: string[] = [];
  let bytes = 0;
  let string: RichString | undefined;
  const parser = xmlParser();
  const depth = depthGuard();
  parser.on('opentag', (node) => {
    depth.open(node);
    const tag = localName(node.name);
    if (tag === 'si') string = new RichString(`shared string ${strings.length + 1}`);
    else string?.open(tag);
  });
  parser.on('closetag', (node) => {
    depth.close(node);
    const tag = localName(node.name);
    if (tag === 'si' && string) {
      const text = string.text;
      bytes += 40 + 2 * text.length;
      if (bytes > limit.maxBytes) limit.tooLarge();
      strings.push(text);
      string = undefined;
    } else string?.close(tag);
  });
  const onText = (text: string): void => string?.add(text);
  parser.on('text', onText);
  parser.on('cdata', onText);
  for await (const _ of feed(parser, chunks));
  return strings;
}

/** A worksheet's rows (`<row>`), each once its XML is complete; rows without cells are absent, as in the file. */
export async function* readStoredRows(chunks: Chunks): AsyncIterable<StoredRow> {
  const done: StoredRow[] = [];
  let row: StoredRow | undefined;
  let cell: StoredCell | undefined;
  let lastRow = 0;
  let value: string | undefined;
  let inline: RichString | undefined;
  const parser = xmlParser();
  const depth = depthGuard();
  parser.on('opentag', (node) => {
    depth.open(node);
    const { name, attributes } = node;
    const tag = localName(name);
    if (inline) inline.open(tag);
    else if (tag === 'row') {
      // `r` is optional: without it a row follows the previous one.
      lastRow = attributes.r ? Number.parseInt(attributes.r, 10) : lastRow + 1;
      if (!(lastRow >= 1 && lastRow <= MAX_ROWS)) {
        throw new XlsxLimitError(`the sheet has a row numbered ${attributes.r ?? lastRow}; Excel's rows go from 1 to ${MAX_ROWS}`);
      }
      row = { number: lastRow, cells: [] };
    } else if (tag === 'c' && row) {
      const previous = row.cells.at(-1)?.column ?? -1;
      const column = attributes.r ? columnIndex(attributes.r) : previous + 1;
      if (!(column >= 0 && column < MAX_COLUMNS) || row.cells.length >= MAX_COLUMNS) {
        const what = row.cells.length >= MAX_COLUMNS ? `more than ${MAX_COLUMNS} cells` : `a cell ${attributes.r ?? columnLetter(column) + row.number} beyond column XFD`;
        throw new XlsxLimitError(`row ${row.number} has ${what}, the last column Excel has`, row.number);
      }
      cell = { column, ref: attributes.r ?? `${columnLetter(column)}${row.number}`, type: attributes.t ?? 'n', style: Number.parseInt(attributes.s ?? '0', 10), value: undefined, formula: false };
    } else if (tag === 'f' && cell) cell.formula = true;
    else if (tag === 'v' && cell) value = '';
    else if (tag === 'is' && cell) inline = new RichString(`cell ${cell.ref}`, row?.number);
  });
  parser.on('closetag', (node) => {
    depth.close(node);
    const tag = localName(node.name);
    if (inline) {
      if (tag === 'is' && cell) {
        cell.value = inline.text;
        inline = undefined;
      } else inline.close(tag);
    } else if (tag === 'v' && cell) {
      cell.value = value;
      value = undefined;
    } else if (tag === 'c' && row && cell) {
      row.cells.push(cell);
      cell = undefined;
    } else if (tag === 'row' && row) {
      done.push(row);
      row = undefined;
    }
  });
  const onText = (text: string): void => {
    if (inline) inline.add(text);
    else if (value !== undefined) {
      value += text;
      if (value.length > MAX_CELL_CHARS) throw cellTooLarge(`cell ${cell?.ref ?? ''}`, row?.number);
    }
  };
  parser.on('text', onText);
  parser.on('cdata', onText);
  for await (const _ of feed(parser, chunks)) {
    yield* done;
    done.length = 0;
  }
}

/**
 * The text of a CT_Rst (a shared string `<si>` or an inline string `<is>`): its `<t>` elements, plain or in
 * rich-text runs `<r>`, joined. A phonetic reading (`<rPh><t>…</t></rPh>`) is not part of the value, and
 * whitespace between tags is indentation; inside `<t>` every character is data.
 */
class RichString {
  text = '';
  private phonetic = 0;
  private inText = false;

  constructor(
    private readonly what: string,
    private readonly row?: number,
  ) {}

  open(tag: string): void {
    if (tag === 'rPh') this.phonetic++;
    else if (tag === 't' && this.phonetic === 0) this.inText = true;
  }

  close(tag: string): void {
    if (tag === 'rPh') this.phonetic--;
    else if (tag === 't') this.inText = false;
  }

  add(text: string): void {
    if (!this.inText) return;
    this.text += text;
    if (this.text.length > MAX_CELL_CHARS) throw cellTooLarge(this.what, this.row);
  }
}

function cellTooLarge(what: string, row: number | undefined): XlsxLimitError {
  return new XlsxLimitError(`${what} holds more than ${MAX_CELL_CHARS} characters (Excel allows 32,767)`, row);
}

function xmlParser(): SaxesParser {
  return new SaxesParser({ position: false });
}

/**
 * Counts open elements (saxes holds them all, and takes one handler per event, so the readers call this from
 * theirs): a few KB of zip can inflate to millions of nested `<r>`.
 */
function depthGuard(): { open(tag: { isSelfClosing: boolean }): void; close(tag: { isSelfClosing: boolean }): void } {
  let depth = 0;
  return {
    open(tag) {
      if (!tag.isSelfClosing && ++depth > MAX_XML_DEPTH) throw new XlsxLimitError(`its XML nests elements more than ${MAX_XML_DEPTH} deep, which no spreadsheet does`);
    },
    close(tag) {
      if (!tag.isSelfClosing) depth--;
    },
  };
}

/** Feeds the chunks to the parser (which throws on malformed XML), yielding after each so events can be drained. */
async function* feed(parser: SaxesParser, chunks: Chunks): AsyncIterable<void> {
  // One decoder across chunks: a zip chunk can end in the middle of a UTF-8 character.
  const decoder = new StringDecoder('utf8');
  for await (const chunk of chunks) {
    parser.write(decoder.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)));
    // saxes gathers a text run whole before it emits it (its `text` field), so the cell bound is checked here too.
    if (((parser as unknown as { text?: string }).text?.length ?? 0) > MAX_CELL_CHARS) {
      throw new XlsxLimitError(`a text in it runs for more than ${MAX_CELL_CHARS} characters without markup (Excel allows 32,767 in a cell)`);
    }
    yield;
  }
  parser.write(decoder.end());
  parser.close();
  yield;
}

/** Some writers qualify SpreadsheetML names (`x:c`); the local name is what identifies the element. */
function localName(name: string): string {
  return name.slice(name.indexOf(':') + 1);
}

/** `AB12` → 27 (0-based). */
function columnIndex(ref: string): number {
  let index = 0;
  for (const char of ref.toUpperCase()) {
    const code = char.charCodeAt(0);
    if (code < 65 || code > 90) break;
    index = index * 26 + (code - 64);
  }
  return index - 1;
}

/** 27 (0-based) → `AB`. */
export function columnLetter(index: number): string {
  let letters = '';
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) letters = String.fromCharCode(65 + ((n - 1) % 26)) + letters;
  return letters;
}
