import iconv from 'iconv-lite';
import { IntakeError, type Place } from '../../errors/intake-error.ts';
import type { SourceRecord } from '../record.ts';
import type { FixedWidthErrorCode } from './fixed-width-error-codes.ts';
import { FixedWidthOptionsSchema, type FixedWidthOptions, type FixedWidthOptionsInput, type RecordLayout, type Trim } from './fixed-width-options.ts';

/**
 * The stream-free core of the fixed-width reader: feed it decoded lines, get flat records. It knows nothing
 * of bytes or streams (see read-fixed-width.ts), so it can be driven from a string in tests or a stream in
 * the pipeline alike.
 *
 * Header/detail/trailer files are flattened: each detail record carries the fields of its current headers,
 * each under its header's prefix (default `<record name>.`, e.g. `HEA.orderNumber`), then its own fields.
 */

/** Validates options once, so every later step works on a complete object with defaults filled in. */
export function normalizeFixedWidthOptions(input: FixedWidthOptionsInput, file?: string): FixedWidthOptions {
  const parsed = FixedWidthOptionsSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => (issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message));
  throw IntakeError.of('FW_INVALID_OPTIONS', `the fixed-width layout is not valid: ${problems.join('; ')}`, file ? { file } : {});
}

interface CompiledField {
  name: string;
  start: number;
  /** 0-based slice bounds, end exclusive. */
  from: number;
  to: number;
  trim: Trim;
  decimals: number | undefined;
  optional: boolean;
}

interface CompiledRecord {
  layout: RecordLayout;
  fields: CompiledField[];
  prefix: string;
}

interface CurrentHeader {
  level: number;
  fields: Record<string, string>;
  /** The line of each of its fields (a continuation's fields are on their own line). */
  lines: Record<string, number>;
}

/** Line content the parser treats as a line of positions, whatever `positions` unit is in force. */
interface PositionedLine {
  length: number;
  slice(from: number, to: number): string;
  /** With byte positions: the character whose bytes a slice bound at 0-based `offset` would cut apart. */
  splitAt?(offset: number): SplitCharacter | undefined;
}

/** A multi-byte character and its first and last byte positions (1-based, inclusive). */
interface SplitCharacter {
  character: string;
  first: number;
  last: number;
}

const LEVELS = 10;
// C0 controls other than TAB, LF, VT, FF, CR and SUB: a text file never holds them, a zip, PDF or image does.
const BINARY = /[\x00-\x08\x0E-\x19\x1B-\x1F]/;
// SUB (Ctrl-Z) closes files written by DOS-era tools; it is an end-of-file mark, never data.
const TRAILING_SUB = /\x1A+$/;
const BLANK = /^[\s\x1A]*$/;
const MULTI_CODE_UNIT = /[\uD800-\uDFFF]/;
const NON_ASCII = /[^\x00-\x7F]/;

export class FixedWidthParser {
  readonly options: FixedWidthOptions;
  private readonly byTag = new Map<string, CompiledRecord>();
  private readonly single: CompiledRecord | undefined;
  private readonly requiredLevels: Map<number, string[]>;
  /** Per level: the names of the non-optional trailer types a group at that level must end with. */
  private readonly requiredTrailers = new Map<number, string[]>();
  /** Per level: the line that opened the current group (its header, or its first line), undefined when none is open. */
  private readonly openedAt = new Array<number | undefined>(LEVELS).fill(undefined);
  private readonly headers = new Map<string, CurrentHeader>();
  /** Per group level: details, lines (opening header and trailer included) and lines strictly inside. */
  private readonly detailCounts = new Array<number>(LEVELS).fill(0);
  private readonly lineCounts = new Array<number>(LEVELS).fill(0);
  private readonly innerCounts = new Array<number>(LEVELS).fill(0);
  /** The record continuation records attach to: the last header or detail, until a trailer closes it. */
  private attachTo: { fields: Record<string, string>; continued: Set<string>; header?: CurrentHeader; detail?: SourceRecord } | undefined;
  /** With continuation types declared, a detail waits for its continuation lines before it is emitted. */
  private pending: SourceRecord | undefined;
  private readonly holdsDetails: boolean;
  private dataLines = 0;
  private readonly unit: string;

  constructor(options: FixedWidthOptionsInput, private readonly file: string) {
    this.options = normalizeFixedWidthOptions(options, file);
    this.unit = this.options.positions === 'bytes' ? 'bytes' : 'characters';
    const compiled = this.options.records.map((layout) => this.compile(layout));
    for (const record of compiled) {
      for (const tag of record.layout.tag === undefined ? [] : [record.layout.tag].flat()) this.byTag.set(tag.trimEnd(), record);
    }
    this.single = this.options.tag ? undefined : compiled[0];
    this.holdsDetails = compiled.some(({ layout }) => layout.role === 'continuation');
    this.requiredLevels = new Map();
    for (const { layout } of compiled) {
      if (layout.optional) continue;
      const required = layout.role === 'header' ? this.requiredLevels : layout.role === 'trailer' ? this.requiredTrailers : undefined;
      required?.set(layout.level, [...(required.get(layout.level) ?? []), layout.name]);
    }
  }

  /**
   * Feeds one physical line (without its line break); returns the records it completes (zero or one). `encoding`:
   * the one the line was read in, when the reader chose another than the declared one (a file declared
   * Windows-1252 whose bytes are UTF-8): byte positions count the file's bytes.
   */
  line(raw: string, lineNumber: number, encoding: string = this.options.encoding): SourceRecord[] {
    const text = raw.replace(TRAILING_SUB, '');
    const binary = BINARY.exec(text);
    if (binary) {
      const byte = binary[0].charCodeAt(0).toString(16).padStart(2, '0');
      this.fail('FW_BINARY_CONTENT', `control byte 0x${byte} at column ${binary.index + 1}: this is not a text file (a spreadsheet, PDF or archive sent by mistake?)`, {
        line: lineNumber,
      });
    }
    const invalid = text.indexOf('\uFFFD');
    if (invalid >= 0) {
      this.fail(
        'FW_INVALID_ENCODING',
        `bytes at column ${invalid + 1} are not valid ${this.options.encoding}; if the file comes from a Windows system, declare encoding "windows-1252"`,
        { line: lineNumber },
      );
    }
    if (lineNumber <= this.options.skipLines || BLANK.test(text)) return [];
    this.dataLines += 1;

    const line = this.position(text, encoding);
    const record = this.recordOf(line, lineNumber);
    const role = record?.layout.role ?? 'ignore';
    if (role === 'continuation' && record) {
      this.countLine(false, undefined);
      this.continueWith(record, line, lineNumber);
      return [];
    }
    if (!record || role === 'ignore') {
      // Transparent: a skipped record neither completes the pending detail nor takes its continuations.
      this.countLine(false, undefined);
      return [];
    }
    const out = this.flush();
    const { layout } = record;
    switch (layout.role) {
      case 'header': {
        const fields = this.prefixed(record, this.extract(record, line, lineNumber));
        this.checkTrailers(layout.level, `the next "${layout.name}" header at line ${lineNumber}`);
        this.openGroups(layout.level, lineNumber);
        this.closeHeaders(layout.level);
        const header = { level: layout.level, fields, lines: linesOf(fields, lineNumber) };
        this.headers.set(layout.name, header);
        this.attachTo = { fields, continued: new Set(), header };
        return out;
      }
      case 'trailer': {
        const fields = this.extract(record, line, lineNumber);
        if (layout.count) this.checkCount(record, fields, lineNumber);
        this.checkTrailers(layout.level + 1, `the "${layout.name}" trailer at line ${lineNumber}`);
        this.closeGroups(layout.level, lineNumber);
        this.closeHeaders(layout.level);
        this.attachTo = undefined;
        return out;
      }
      default: {
        this.checkHeaders(layout, lineNumber);
        this.countLine(true, lineNumber);
        const fields: Record<string, string> = {};
        const fieldLines: Record<string, number> = {};
        for (const header of this.headers.values()) {
          Object.assign(fields, header.fields);
          Object.assign(fieldLines, header.lines);
        }
        Object.assign(fields, this.extract(record, line, lineNumber));
        if (this.options.recordTypeField) fields[this.options.recordTypeField] = layout.name;
        const provenance = { file: this.file, line: lineNumber, lineEnd: lineNumber, ...(this.headers.size > 0 ? { fieldLines } : {}) };
        const detail: SourceRecord = { fields, provenance };
        this.attachTo = { fields, continued: new Set(), detail };
        if (!this.holdsDetails) return [...out, detail];
        this.pending = detail;
        return out;
      }
    }
  }

  /**
   * Called once after the last line: returns a detail still waiting for continuations; refuses a file without
   * data, and one whose last group has no trailer (a cut transfer).
   */
  end(): SourceRecord[] {
    if (this.dataLines === 0) {
      this.fail('FW_EMPTY_FILE', this.options.skipLines > 0 ? `no data lines after the ${this.options.skipLines} skipped line(s)` : 'the file holds only blank lines', {});
    }
    this.checkTrailers(0, 'the end of the file');
    return this.flush();
  }

  private flush(): SourceRecord[] {
    const pending = this.pending;
    this.pending = undefined;
    return pending ? [pending] : [];
  }

  private continueWith(record: CompiledRecord, line: PositionedLine, lineNumber: number): void {
    const target = this.attachTo;
    const { layout } = record;
    if (!target) {
      this.fail('FW_ORPHAN_CONTINUATION', `continuation record "${layout.name}" follows no header or detail record`, { line: lineNumber });
    }
    if (target.continued.has(layout.name)) {
      this.fail(
        'FW_REPEATED_CONTINUATION',
        `a second "${layout.name}" continuation record for the same record; give each repeat its own tag and record type`,
        { line: lineNumber },
      );
    }
    target.continued.add(layout.name);
    const fields = this.prefixed(record, this.extract(record, line, lineNumber));
    Object.assign(target.fields, fields);
    Object.assign(target.detail ? (target.detail.provenance.fieldLines ??= {}) : target.header!.lines, linesOf(fields, lineNumber));
    // A header's continuation joins the header (the stored fields object is the header's); a detail's extends its provenance.
    if (target.detail) target.detail.provenance.lineEnd = lineNumber;
  }

  private prefixed(record: CompiledRecord, fields: Record<string, string>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(fields)) out[record.prefix + name] = value;
    return out;
  }

  private closeHeaders(level: number): void {
    for (const [name, header] of this.headers) if (header.level >= level) this.headers.delete(name);
  }

  private compile(layout: RecordLayout): CompiledRecord {
    const fields = layout.fields.map((field): CompiledField => {
      const to = field.end ?? field.start + (field.length ?? 1) - 1;
      return { name: field.name, start: field.start, from: field.start - 1, to, trim: field.trim ?? this.options.trim, decimals: field.decimals, optional: field.optional };
    });
    return { layout, fields, prefix: layout.prefix ?? `${layout.name}.` };
  }

  private position(text: string, encoding: string): PositionedLine {
    if (this.options.positions === 'bytes' && NON_ASCII.test(text)) {
      const bytes = iconv.encode(text, encoding);
      const inside = insideCharacters(text, encoding);
      return { length: bytes.length, slice: (from, to) => iconv.decode(bytes.subarray(from, to), encoding), splitAt: (offset) => inside.get(offset) };
    }
    if (MULTI_CODE_UNIT.test(text)) {
      // Count code points, not UTF-16 units, so an emoji or a rare CJK character is one position.
      const chars = Array.from(text);
      return { length: chars.length, slice: (from, to) => chars.slice(from, to).join('') };
    }
    return { length: text.length, slice: (from, to) => text.slice(from, to) };
  }

  private recordOf(line: PositionedLine, lineNumber: number): CompiledRecord | undefined {
    const tag = this.options.tag;
    if (!tag) return this.single;
    const area = line.slice(tag.start - 1, tag.start - 1 + tag.length);
    // Longest declared tag first, so tags of different lengths share one area: `139` and `239SH`.
    for (let length = area.length; length > 0; length--) {
      const record = this.byTag.get(length === area.length ? area.trimEnd() : area.slice(0, length));
      if (record) return record;
    }
    if (this.options.unknownRecords === 'skip') return undefined;
    const known = [...this.byTag.keys()].map((key) => JSON.stringify(key)).join(', ');
    return this.fail(
      'FW_UNKNOWN_RECORD_TYPE',
      `record type ${JSON.stringify(area.trimEnd())} (positions ${tag.start}-${tag.start + tag.length - 1}) is not in the layout; known: ${known}`,
      { line: lineNumber },
    );
  }

  private extract(record: CompiledRecord, line: PositionedLine, lineNumber: number): Record<string, string> {
    const fields: Record<string, string> = {};
    for (const field of record.fields) {
      // The place names the field only: a position shown as a column would read as a column name (`column "15"`).
      const place = { line: lineNumber, field: field.name };
      const positions = `positions ${field.start}-${field.to}`;
      if (line.length < field.to && !field.optional && this.options.shortLines === 'error') {
        this.fail('FW_SHORT_LINE', `the ${record.layout.name} record is ${line.length} ${this.unit} long, but field "${field.name}" needs ${positions}`, place);
      }
      const split = line.splitAt?.(field.from) ?? line.splitAt?.(Math.min(field.to, line.length));
      if (split) {
        this.fail(
          'FW_SPLIT_CHARACTER',
          `${positions} split the multi-byte character ${JSON.stringify(split.character)} (bytes ${split.first}-${split.last}) of field "${field.name}"; check the layout's byte positions or use positions: characters`,
          place,
        );
      }
      const present = line.slice(field.from, field.to);
      // Padding restores blanks a writer stripped after the last character of a line. A right-aligned field (a
      // number, or `trim: left`) ends with its last character, so one the line ends inside lost characters, not blanks.
      if (line.length > field.from && line.length < field.to && (field.decimals !== undefined || field.trim === 'left') && present.trim() !== '') {
        this.fail(
          'FW_SHORT_LINE',
          `the ${record.layout.name} record is ${line.length} ${this.unit} long and ends inside field "${field.name}" (${positions}), which holds only ${JSON.stringify(present.trim())}: the line was cut; send it in full`,
          place,
        );
      }
      const value = trimValue(present, field.trim);
      if (field.decimals === undefined) {
        fields[field.name] = value;
        continue;
      }
      const decimal = impliedDecimal(value, field.decimals);
      if (decimal === undefined) {
        this.fail('FW_INVALID_NUMBER', `field "${field.name}" (${positions}) has ${field.decimals} implied decimals but holds ${JSON.stringify(value)}, not digits`, place);
      }
      fields[field.name] = decimal;
    }
    return fields;
  }

  private checkHeaders(layout: RecordLayout, lineNumber: number): void {
    for (const [level, names] of this.requiredLevels) {
      if ([...this.headers.values()].some((header) => header.level === level)) continue;
      const expected = names.map((name) => `"${name}"`).join(' or ');
      this.fail('FW_DETAIL_WITHOUT_HEADER', `detail record "${layout.name}" comes without a ${expected} header record before it`, { line: lineNumber });
    }
  }

  private checkCount(record: CompiledRecord, fields: Record<string, string>, lineNumber: number): void {
    const count = record.layout.count;
    if (!count) return;
    const level = record.layout.level;
    // Compared before the trailer counts itself: `lines` adds it, `lines-between` does not want it.
    const actual =
      count.counts === 'details' ? this.detailCounts[level] : count.counts === 'lines' ? (this.lineCounts[level] ?? 0) + 1 : this.innerCounts[level];
    const raw = fields[count.field] ?? '';
    const field = record.fields.find((candidate) => candidate.name === count.field);
    const place = { line: lineNumber, field: count.field };
    const digits = raw.replace(/^[+]/, '');
    const at = field ? ` (positions ${field.start}-${field.to})` : '';
    if (!/^\d+$/.test(digits)) this.fail('FW_INVALID_NUMBER', `trailer count "${count.field}"${at} holds ${JSON.stringify(raw)}, not a number`, place);
    const declared = Number.parseInt(digits, 10);
    if (declared !== actual) {
      const what = { details: 'detail records', lines: 'lines', 'lines-between': 'lines between header and trailer' }[count.counts];
      this.fail('FW_TRAILER_COUNT_MISMATCH', `the ${record.layout.name} trailer says ${declared} ${what}, but there are ${actual}`, place);
    }
  }

  /**
   * A group whose level declares a (non-optional) trailer type must end with one before the next header of its
   * level or above, a trailer above it, or the end of the file: a transfer cut after a complete detail record
   * would otherwise pass for a complete, shorter order. Checks the open groups at `from` and deeper.
   */
  private checkTrailers(from: number, end: string): void {
    for (let level = from; level < LEVELS; level++) {
      const opened = this.openedAt[level];
      const trailers = this.requiredTrailers.get(level);
      if (opened === undefined || !trailers) continue;
      const expected = trailers.map((name) => `"${name}"`).join(' or ');
      this.fail(
        'FW_MISSING_TRAILER',
        `the group that starts at line ${opened} ends without its trailer record (${expected}) at ${end}: the file may have been cut short; send it again in full`,
        { line: opened },
      );
    }
  }

  /**
   * Every group counts the line. A data line (`opens`: its line number) also opens the groups not open yet, so a
   * level without a header type (a file trailer with no file header) still has a group that awaits its trailer.
   */
  private countLine(detail: boolean, opens: number | undefined): void {
    for (let level = 0; level < LEVELS; level++) {
      if (opens !== undefined) this.openedAt[level] ??= opens;
      this.lineCounts[level] = (this.lineCounts[level] ?? 0) + 1;
      this.innerCounts[level] = (this.innerCounts[level] ?? 0) + 1;
      if (detail) this.detailCounts[level] = (this.detailCounts[level] ?? 0) + 1;
    }
  }

  /** A header at `level` is a line of the groups above it and opens new groups from its level down. */
  private openGroups(level: number, lineNumber: number): void {
    for (let at = 0; at < LEVELS; at++) {
      this.openedAt[at] = at < level ? (this.openedAt[at] ?? lineNumber) : at === level ? lineNumber : undefined;
      if (at < level) {
        this.lineCounts[at] = (this.lineCounts[at] ?? 0) + 1;
        this.innerCounts[at] = (this.innerCounts[at] ?? 0) + 1;
      } else {
        this.lineCounts[at] = 1;
        this.innerCounts[at] = 0;
        this.detailCounts[at] = 0;
      }
    }
  }

  /** A trailer at `level` is a line of the groups above it and closes the groups from its level down. */
  private closeGroups(level: number, lineNumber: number): void {
    for (let at = 0; at < LEVELS; at++) {
      this.openedAt[at] = at < level ? (this.openedAt[at] ?? lineNumber) : undefined;
      if (at < level) {
        this.lineCounts[at] = (this.lineCounts[at] ?? 0) + 1;
        this.innerCounts[at] = (this.innerCounts[at] ?? 0) + 1;
      } else {
        this.lineCounts[at] = 0;
        this.innerCounts[at] = 0;
        this.detailCounts[at] = 0;
      }
    }
  }

  private fail(code: FixedWidthErrorCode, message: string, place: Omit<Place, 'file'>): never {
    throw IntakeError.of(code, message, { file: this.file, ...place });
  }
}

function trimValue(value: string, trim: Trim): string {
  switch (trim) {
    case 'both':
      return value.trim();
    case 'right':
      return value.trimEnd();
    case 'left':
      return value.trimStart();
    case 'none':
      return value;
  }
}

/**
 * `000012345` with 2 decimals is `123.45`. Sign may lead or trail (COBOL `SIGN TRAILING SEPARATE`); leading
 * zeros go, trailing zeros stay (they are part of the written precision). Undefined when not digits.
 */
export function impliedDecimal(value: string, decimals: number): string | undefined {
  const text = value.trim();
  if (text === '') return '';
  const match = /^([+-]?)(\d+)([+-]?)$/.exec(text);
  if (!match || (match[1] && match[3])) return undefined;
  const negative = (match[1] || match[3]) === '-';
  const digits = (match[2] ?? '').padStart(decimals + 1, '0');
  const integer = digits.slice(0, -decimals).replace(/^0+(?=\d)/, '');
  const fraction = digits.slice(-decimals);
  const zero = /^0*$/.test(integer + fraction);
  return `${negative && !zero ? '-' : ''}${integer}.${fraction}`;
}

/**
 * The 0-based byte offsets that fall inside a multi-byte character of `text` encoded in `encoding`: a slice
 * bound there would decode both halves to U+FFFD.
 */
function insideCharacters(text: string, encoding: string): Map<number, SplitCharacter> {
  const inside = new Map<number, SplitCharacter>();
  const sizes = new Map<string, number>();
  let offset = 0;
  for (const character of text) {
    const size = sizes.get(character) ?? iconv.encode(character, encoding).length;
    sizes.set(character, size);
    for (let at = offset + 1; at < offset + size; at++) inside.set(at, { character, first: offset + 1, last: offset + size });
    offset += size;
  }
  return inside;
}

/** Every field of `fields` on line `lineNumber`. */
function linesOf(fields: Record<string, string>, lineNumber: number): Record<string, number> {
  const lines: Record<string, number> = {};
  for (const name of Object.keys(fields)) lines[name] = lineNumber;
  return lines;
}
