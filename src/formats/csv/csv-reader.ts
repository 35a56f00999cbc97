import { Parser, type Info } from 'csv-parse';
import { IntakeError, type Place } from '../../errors/intake-error.ts';
import { setField, type SourceRecord } from '../record.ts';
import { SampledUtf8Transcoder, badInputMessage, type Utf8Chunk } from '../text-encoding.ts';
import type { CsvErrorCode } from './csv-error-codes.ts';
import { CSV_DELIMITERS, type CsvDelimiter, type ResolvedCsvOptions } from './csv-options.ts';
import { findQuoteFault } from './find-quote-fault.ts';
import { whyNotText } from './reject-binary.ts';
import { SEP_LINE_MAX_BYTES, readSepLine, sniffDelimiter } from './sniff-delimiter.ts';
import { LineTracker } from './track-lines.ts';

/** Decoded bytes (after `skipLines`) the delimiter is sniffed from. */
const SNIFF_BYTES = 64 * 1024;
const LF = 10;
const CR = 13;
const SUB = 0x1a;
const SUB_BYTE = Buffer.of(SUB);

/**
 * csv-parse's stream-free core: feed a buffer, get rows pushed synchronously, get an error back (not thrown).
 * csv-parse builds its Node stream, its web stream and its sync API on it, but exports none of it by name, so
 * we take the instance a `Parser` keeps as `api`. Going through the stream instead would cost a Transform and an
 * async hop per chunk and make every error arrive late, as an event. The shape is pinned by a test.
 */
interface CsvParseCore {
  parse(buf: Buffer | undefined, end: boolean, push: (row: string[]) => void, close: () => void): Error | undefined;
  readonly info: Info;
}

function createCsvParseCore(delimiter: CsvDelimiter, options: ResolvedCsvOptions): CsvParseCore {
  const parser = new Parser({
    delimiter,
    quote: '"',
    escape: '"',
    // All three, in this order, so files that mix line endings (a CRLF export appended to by an LF tool) parse.
    record_delimiter: ['\r\n', '\n', '\r'],
    // Column counts, blank lines and the BOM are ours to handle: our errors name lines, csv-parse's do not.
    relax_column_count: true,
    skip_empty_lines: false,
    bom: false,
    relax_quotes: options.relaxQuotes,
    max_record_size: options.maxRecordBytes,
    encoding: 'utf8',
  }) as unknown as { api?: CsvParseCore };
  const core = parser.api as (CsvParseCore & { state?: { record?: unknown[]; expectedRecordLength?: number } }) | undefined;
  if (typeof core?.parse !== 'function' || typeof core.info?.bytes !== 'number' || !Array.isArray(core.state?.record) || !('expectedRecordLength' in core.state)) {
    throw new Error('csv-parse no longer exposes its core as Parser#api (see csv-reader.ts)');
  }
  // Column counts are checked by us (onRow). csv-parse checks them too, and even with relax_column_count it
  // builds a CsvError (stack trace, JSON copy of its options) for every row whose count differs from the first
  // row's: ~80 µs a row, so a 1 MB file of blank lines under a two-column header took minutes. Its expected
  // count is made the row's own, so that check never fires.
  const state = core.state;
  Object.defineProperty(state, 'expectedRecordLength', { get: () => state.record!.length, set: noop, configurable: true });
  return core;
}

/**
 * The CSV reader without streams: `push` the file's bytes chunk by chunk, then `end`; every record is handed to
 * `onRecord` as soon as its last byte is in. Errors are thrown as IntakeError (codes CSV_*, see
 * csv-error-codes.ts) after the records before them were handed over; after an error the reader is dead.
 *
 * Stages, in order: hold the first 64 KB to guess the encoding and refuse binary; transcode to UTF-8; drop the
 * `skipLines` preamble unparsed; hold 64 KB again to sniff the delimiter (unless Excel's `sep=X` first line names
 * it; that line is dropped too); then csv-parse, with our own line numbers, header, skip rules and column checks on
 * each row.
 */
export class CsvReader {
  private totalBytes = 0;
  private readonly transcoder: SampledUtf8Transcoder;
  /** The first decoded bytes of the file, as many as a `sep=X` line can take. */
  private head = Buffer.alloc(0);

  private preambleLeft: number;
  private preambleCr = false;
  private heldSub = false;

  private sniffSample: Buffer[] | undefined = [];
  private sniffSampleBytes = 0;
  private delimiter: CsvDelimiter | undefined;
  private core: CsvParseCore | undefined;

  private readonly tracker = new LineTracker();
  /** Physical lines before the first byte given to csv-parse: the `skipLines` preamble, or a dropped `sep=X` line. */
  private linesBefore: number;
  /** UTF-8 bytes given to csv-parse, and the offset where the row being parsed starts. */
  private fed = 0;
  private rowStart = 0;

  private names: string[] | undefined;
  private hasProtoName = false;
  /** Names of the fields beyond the header's, by position after it, made once. */
  private readonly extraNames: string[] = [];
  private firstRowLine = 0;
  private rules: Array<{ index: number; pattern: RegExp }> = [];
  private sawRow = false;
  private failed: IntakeError | undefined;

  constructor(
    private readonly options: ResolvedCsvOptions,
    private readonly file: string,
    private readonly onRecord: (record: SourceRecord) => void,
  ) {
    this.preambleLeft = options.skipLines;
    this.linesBefore = options.skipLines;
    this.transcoder = new SampledUtf8Transcoder(options.encoding, (sample, encoding) => {
      const notText = whyNotText(sample, encoding);
      if (notText) throw this.error('CSV_BINARY_CONTENT', notText, {});
    });
    if (options.delimiter !== 'auto') this.delimiter = options.delimiter;
    // Without a header, rule columns can only be `colN`; check them now rather than at the first row.
    if (!options.header) this.rules = options.skipWhen.map((rule) => ({ index: this.columnIndex(rule.column, undefined), pattern: rule.pattern }));
  }

  /** Feeds the next bytes of the file. */
  push(chunk: Uint8Array): void {
    this.guard(() => {
      this.totalBytes += chunk.length;
      this.decoded(this.transcoder.write(chunk));
    });
  }

  /** Ends the file: flushes the last record, and throws CSV_EMPTY_FILE when there was no row at all. */
  end(): void {
    this.guard(() => {
      this.decoded(this.transcoder.end(), true);
      this.startParsing(true);
      if (this.core) this.check(this.core.parse(undefined, true, this.onRow, noop));
      if (!this.sawRow) throw this.error('CSV_EMPTY_FILE', this.emptyReason(), {});
    });
  }

  private guard(step: () => void): void {
    if (this.failed) throw this.failed;
    try {
      step();
    } catch (error) {
      this.failed =
        error instanceof IntakeError ? error : IntakeError.of('CSV_PARSE_ERROR', String((error as Error).message ?? error), { file: this.file });
      throw this.failed;
    }
  }

  private decoded(chunk: Utf8Chunk, final = false): void {
    let bytes = this.withoutEndOfFileMark(chunk.bytes, final);
    if (this.head.length < SEP_LINE_MAX_BYTES) this.head = Buffer.concat([this.head, bytes.subarray(0, SEP_LINE_MAX_BYTES - this.head.length)]);
    if (this.preambleLeft > 0 || this.preambleCr) bytes = this.skipPreamble(bytes);
    if (this.core) this.feed(bytes);
    else if (bytes.length > 0) {
      this.sniffSample!.push(bytes);
      this.sniffSampleBytes += bytes.length;
    }
    if (!this.core && (final || chunk.bad || this.sniffSampleBytes >= SNIFF_BYTES)) this.startParsing(final);
    if (chunk.bad) {
      const inPreamble = this.preambleLeft > 0 || !this.core;
      const line = inPreamble ? this.options.skipLines - this.preambleLeft + 1 : this.tracker.lineAt(this.fed) + this.linesBefore;
      throw this.error('CSV_BAD_ENCODING', badInputMessage(chunk.bad, this.transcoder.encoding!, this.options.encoding), { line });
    }
  }

  /**
   * Drops a Ctrl-Z (SUB) that is the file's last character: DOS-era tools close files with it as an end-of-file
   * mark, and csv-parse would read it as a row of its own. A SUB ending a chunk is held back until the next bytes
   * (or the end) show whether it was the last.
   */
  private withoutEndOfFileMark(bytes: Buffer, final: boolean): Buffer {
    if (this.heldSub) {
      this.heldSub = false;
      bytes = bytes.length === 0 ? SUB_BYTE : Buffer.concat([SUB_BYTE, bytes]);
    }
    if (bytes.at(-1) !== SUB) return bytes;
    this.heldSub = !final;
    return bytes.subarray(0, -1);
  }

  /** Drops the first `skipLines` physical lines before any parsing: banners may hold stray quotes. */
  private skipPreamble(bytes: Buffer): Buffer {
    let i = 0;
    while (i < bytes.length) {
      if (this.preambleCr) {
        this.preambleCr = false;
        if (bytes[i] === LF) {
          i++;
          continue;
        }
      }
      if (this.preambleLeft === 0) break;
      const b = bytes[i++];
      if (b === LF) this.preambleLeft--;
      else if (b === CR) {
        this.preambleLeft--;
        this.preambleCr = true;
      }
    }
    return bytes.subarray(i);
  }

  /** `final`: the file has ended, so what was decoded is all of it. */
  private startParsing(final: boolean): void {
    if (this.core || this.sniffSample === undefined) return;
    let sample = Buffer.concat(this.sniffSample);
    this.sniffSample = undefined;
    const sep = readSepLine(this.head, final);
    if (sep) {
      this.delimiter = this.sepDelimiter(sep.delimiter);
      // Within `skipLines`, the preamble dropped it already.
      if (this.options.skipLines === 0) {
        sample = sample.subarray(sep.bytes);
        this.linesBefore = 1;
      }
    }
    if (sample.length === 0 && !this.delimiter) {
      // Nothing to sniff yet can only mean nothing at all: parse nothing, and let `end` call it empty.
      this.sniffSample = [];
      return;
    }
    this.delimiter ??= sniffDelimiter(sample.toString('utf8'));
    this.core = createCsvParseCore(this.delimiter, this.options);
    this.feed(sample);
  }

  /**
   * The delimiter of Excel's `sep=X` first line (Excel writes it, and reads the file with X whatever the locale
   * says), which must be one we parse, and the mapping's if it names one.
   */
  private sepDelimiter(sep: string): CsvDelimiter {
    const line = JSON.stringify(`sep=${sep}`);
    const named = CSV_DELIMITERS.find((delimiter) => delimiter === sep);
    if (named === undefined) {
      const supported = CSV_DELIMITERS.map((delimiter) => JSON.stringify(delimiter)).join(' ');
      throw this.error('CSV_DELIMITER_CONFLICT', `the first line ${line} names delimiter ${JSON.stringify(sep)}, which is not supported (${supported}): save the file with one of these`, { line: 1 });
    }
    const declared = this.options.delimiter;
    if (declared !== 'auto' && declared !== named) {
      throw this.error(
        'CSV_DELIMITER_CONFLICT',
        `the first line ${line} says the delimiter is ${JSON.stringify(named)}, but the mapping declares ${JSON.stringify(declared)}: correct the mapping, or remove that line from the file`,
        { line: 1 },
      );
    }
    return named;
  }

  private feed(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.tracker.append(bytes);
    this.check(this.core!.parse(bytes, false, this.onRow, noop));
    this.fed += bytes.length;
  }

  private readonly onRow = (row: string[]): void => {
    const end = this.core!.info.bytes;
    const start = this.rowStart;
    this.rowStart = end;
    // Asked even for a blank row, which is dropped: the tracker releases the bytes before the offset asked about,
    // and a file of millions of blank lines (or `,,,,`) would otherwise be held whole.
    const skip = this.linesBefore;
    const line = this.tracker.lineAt(start) + skip;
    if (isBlank(row)) return;
    const lineEnd = end - 1 > start ? this.tracker.lineAt(end - 1) + skip : line;
    this.sawRow = true;
    let names = this.names;
    if (names === undefined) {
      if (this.options.header) return this.readHeader(row, line);
      names = this.names = row.map((_, i) => `col${i + 1}`);
      this.firstRowLine = line;
    }
    for (const rule of this.rules) {
      const value = row[rule.index];
      if (value !== undefined && rule.pattern.test(value)) return;
    }
    if (row.length !== names.length && !this.options.relaxColumnCount) {
      const against = this.options.header ? 'the header has' : `the first row (line ${this.firstRowLine}) has`;
      const hint = row.length > names.length ? ` (is there a "${this.delimiter}" inside a value that is not quoted?)` : '';
      throw this.error('CSV_RAGGED_ROW', `row has ${row.length} columns, ${against} ${names.length}${hint}`, { line }, { columns: row.length, expected: names.length });
    }
    const fields: Record<string, string> = {};
    for (let i = 0; i < names.length; i++) {
      if (this.hasProtoName) setField(fields, names[i]!, row[i] ?? '');
      else fields[names[i]!] = row[i] ?? '';
    }
    for (let i = names.length; i < row.length; i++) fields[this.extraName(names, i)] = row[i]!;
    this.onRecord({ fields, provenance: { file: this.file, line, lineEnd } });
  };

  private readHeader(row: string[], line: number): void {
    const names: string[] = [];
    const firstColumn = new Map<string, number>();
    row.forEach((raw, i) => {
      let name = raw.trim() || `col${i + 1}`;
      const seen = firstColumn.get(name);
      if (seen !== undefined) {
        if (this.options.duplicateHeaders === 'error') {
          throw this.error(
            'CSV_DUPLICATE_HEADER',
            `the header names column "${name}" twice (columns ${seen + 1} and ${i + 1}); rename one`,
            { line, column: name },
          );
        }
        name = withSuffix(name, (candidate) => firstColumn.has(candidate) || row.some((r) => r.trim() === candidate));
      }
      firstColumn.set(name, i);
      names.push(name);
    });
    this.names = names;
    this.hasProtoName = names.includes('__proto__');
    this.rules = this.options.skipWhen.map((rule) => ({ index: this.columnIndex(rule.column, names, line), pattern: rule.pattern }));
  }

  /**
   * The name of an extra field (relaxColumnCount): `colN`, suffixed as a duplicate header would be when the
   * header already has a column of that name, so the value is never lost under a real column's.
   */
  private extraName(names: string[], index: number): string {
    const at = index - names.length;
    let name = this.extraNames[at];
    if (name === undefined) {
      const base = `col${index + 1}`;
      name = this.extraNames[at] = names.includes(base) ? withSuffix(base, (candidate) => names.includes(candidate)) : base;
    }
    return name;
  }

  private columnIndex(column: number | string, names: string[] | undefined, line?: number): number {
    if (typeof column === 'number') return column;
    const index = names ? names.indexOf(column) : /^col[1-9]\d*$/.test(column) ? Number(column.slice(3)) - 1 : -1;
    if (index !== -1) return index;
    const has = names ? `the header has ${names.map((n) => `"${n}"`).join(', ')}` : 'without a header, columns are col1, col2, ...';
    throw this.error('CSV_UNKNOWN_COLUMN', `skipWhen names column "${column}", but ${has}`, line === undefined ? { field: 'skipWhen' } : { line, field: 'skipWhen' });
  }

  private check(failure: Error | undefined): void {
    if (failure) throw this.translate(failure);
  }

  /** csv-parse's errors, re-placed: its line numbers are off after quoted CRLFs and point at where it gave up. */
  private translate(failure: Error): IntakeError {
    const csvCode = (failure as { code?: string }).code;
    const skip = this.linesBefore;
    const start = this.rowStart;
    const rowLine = this.tracker.lineAt(start) + skip;
    const delimiter = this.delimiter!.charCodeAt(0);
    const fault = findQuoteFault(this.tracker.bytesFrom(start), delimiter, this.options.relaxQuotes);
    const faultLine = fault ? this.tracker.lineAt(start + fault.offset) + skip : rowLine;
    const column = fault ? this.columnName(fault.field) : undefined;
    const at = column === undefined ? {} : { column };
    switch (csvCode) {
      case 'CSV_QUOTE_NOT_CLOSED':
        return this.error(
          'CSV_UNCLOSED_QUOTE',
          'the quoted value that starts here is never closed: add the closing quote, and double any quote inside the value ("")',
          { line: faultLine, ...at },
        );
      case 'CSV_INVALID_CLOSING_QUOTE':
        return this.error(
          'CSV_INVALID_CLOSING_QUOTE',
          'a closing quote is followed by more text: a quote inside a quoted value must be doubled ("")',
          { line: faultLine, ...at },
        );
      case 'INVALID_OPENING_QUOTE':
        return this.error(
          'CSV_INVALID_OPENING_QUOTE',
          'a quote inside a value that is not quoted: quote the whole value and double the quote ("5"" bolt")',
          { line: faultLine, ...at },
        );
      case 'CSV_MAX_RECORD_SIZE': {
        const cause = fault?.kind === 'unclosed' ? `; the quoted value opened on line ${faultLine} is probably never closed` : '';
        return this.error('CSV_RECORD_TOO_LARGE', `the record starting here is larger than ${this.options.maxRecordBytes} bytes${cause}`, {
          line: rowLine,
        });
      }
      default:
        return this.error('CSV_PARSE_ERROR', failure.message, { line: rowLine }, { cause: csvCode });
    }
  }

  private columnName(index: number): string | number {
    return this.names?.[index] ?? index + 1;
  }

  private emptyReason(): string {
    if (this.totalBytes === 0) return 'the file is empty (0 bytes)';
    const skipped = this.options.skipLines;
    if (skipped > 0) return `the file has no rows after the ${skipped} line(s) skipped before the ${this.options.header ? 'header' : 'data'}`;
    if (this.linesBefore > 0) return 'the file has no rows after its sep= line';
    return 'the file has no rows, only blank lines';
  }

  private error(code: CsvErrorCode, message: string, place: Omit<Place, 'file'>, details?: Record<string, unknown>): IntakeError {
    return IntakeError.of(code, message, { file: this.file, ...place }, details);
  }
}

function noop(): void {}

/** `name_2`, or `name_3`, ...: the first that is not taken. */
function withSuffix(name: string, taken: (candidate: string) => boolean): string {
  let n = 2;
  while (taken(`${name}_${n}`)) n++;
  return `${name}_${n}`;
}

/** Blank lines, and lines of only delimiters and spaces (spreadsheet exports end with `,,,,`), carry no data. */
function isBlank(row: string[]): boolean {
  for (const field of row) if (field.length > 0 && field.trim() !== '') return false;
  return true;
}
