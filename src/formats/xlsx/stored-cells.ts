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
  /** The `<v>` text, or the text of the `<is>` runs; undefined when the cell holds no value (a styled blank). */
  value: string | undefined;
}

export interface StoredRow {
  /** 1-based row number, as Excel shows it. */
  number: number;
  cells: StoredCell[];
}

type Chunks = AsyncIterable<Uint8Array>;

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
  parser.on('opentag', ({ name }) => {
    const tag = localName(name);
    if (tag === 'si') string = new RichString();
    else string?.open(tag);
  });
  parser.on('closetag', ({ name }) => {
    const tag = localName(name);
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
  parser.on('opentag', ({ name, attributes }) => {
    const tag = localName(name);
    if (inline) inline.open(tag);
    else if (tag === 'row') {
      // `r` is optional: without it a row follows the previous one.
      lastRow = attributes.r ? Number.parseInt(attributes.r, 10) : lastRow + 1;
      row = { number: lastRow, cells: [] };
    } else if (tag === 'c' && row) {
      const previous = row.cells.at(-1)?.column ?? -1;
      const column = attributes.r ? columnIndex(attributes.r) : previous + 1;
      cell = { column, ref: attributes.r ?? `${columnLetter(column)}${row.number}`, type: attributes.t ?? 'n', style: Number.parseInt(attributes.s ?? '0', 10), value: undefined };
    } else if (tag === 'v' && cell) value = '';
    else if (tag === 'is' && cell) inline = new RichString();
  });
  parser.on('closetag', ({ name }) => {
    const tag = localName(name);
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
    else if (value !== undefined) value += text;
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

  open(tag: string): void {
    if (tag === 'rPh') this.phonetic++;
    else if (tag === 't' && this.phonetic === 0) this.inText = true;
  }

  close(tag: string): void {
    if (tag === 'rPh') this.phonetic--;
    else if (tag === 't') this.inText = false;
  }

  add(text: string): void {
    if (this.inText) this.text += text;
  }
}

function xmlParser(): SaxesParser {
  return new SaxesParser({ position: false });
}

/** Feeds the chunks to the parser (which throws on malformed XML), yielding after each so events can be drained. */
async function* feed(parser: SaxesParser, chunks: Chunks): AsyncIterable<void> {
  // One decoder across chunks: a zip chunk can end in the middle of a UTF-8 character.
  const decoder = new StringDecoder('utf8');
  for await (const chunk of chunks) {
    parser.write(decoder.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)));
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
