import { printParseErrorCode, visit, type ParseErrorCode } from 'jsonc-parser';
import { z } from 'zod';
import { IntakeError, type Place } from '../../errors/intake-error.ts';
import type { SourceRecord } from '../record.ts';

/**
 * A customer's JSON feed (the Unified Endpoint): an object, an array of objects, or NDJSON (one object a line).
 * Each object is one record; nested values are addressed by path (`shipTo.name`, `lines[0].sku`), scalars as
 * text, so the same mapping language serves JSON as every other format.
 *
 * The text is checked whole before the first record is handed out (a syntax error anywhere refuses the file, as
 * a CSV quote fault does), but records are built one at a time: the check (jsonc-parser's `visit`, strict: no
 * comments, no trailing commas) keeps only where each record starts and ends, and each record is parsed on its
 * own when it is read. JSON.parse of the whole feed held every value at once: 47 MB of `{},` took 1.7 GB.
 *
 * The options are strict: a misspelt `recordsAt` would otherwise be dropped and the wrapper read as one record.
 */
export const JsonOptionsSchema = z.strictObject({
  /** Path of the array holding the records inside a wrapper object (e.g. `orders`); default: the top level. */
  recordsAt: z.string().optional(),
  /** Largest accepted feed, in bytes (the text is held whole while its records are read). */
  maxBytes: z.number().int().positive().default(50 * 1024 * 1024),
});
export type JsonOptions = z.input<typeof JsonOptionsSchema>;

function flatten(value: unknown, path: string, out: Record<string, string>, depth: number, place: Place): void {
  if (value === null || value === undefined) return;
  if (typeof value === 'object' && depth === MAX_DEPTH) throw tooDeep(place);
  if (Array.isArray(value)) {
    value.forEach((item, i) => flatten(item, `${path}[${i}]`, out, depth + 1, place));
  } else if (typeof value === 'object') {
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) flatten(item, path ? `${path}.${key}` : key, out, depth + 1, place);
  } else {
    out[path] = String(value);
  }
}

/**
 * Deeper nesting is refused (JSON_TOO_DEEP) before anything recurses into it: no real feed nests this deep, and a
 * small file of nothing but brackets must not exhaust the stack.
 */
const MAX_DEPTH = 100;

function tooDeep(place: Place): IntakeError {
  return IntakeError.of('JSON_TOO_DEEP', `the JSON nests arrays and objects more than ${MAX_DEPTH} levels deep`, place);
}

/** UTF-8 bytes in, text out. JSON is UTF-8 (RFC 8259 section 8.1): bytes that are not are refused at their line. */
async function collect(input: AsyncIterable<Uint8Array> | Uint8Array, maxBytes: number, file: string): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of input instanceof Uint8Array ? [input] : input) {
    size += chunk.byteLength;
    if (size > maxBytes) throw IntakeError.of('JSON_TOO_LARGE', `the JSON is larger than ${maxBytes} bytes`, { file });
    chunks.push(chunk);
  }
  const bytes = Buffer.concat(chunks);
  const text = bytes.toString('utf8');
  for (let at = text.indexOf('\uFFFD'); at !== -1; at = text.indexOf('\uFFFD', at + 1)) {
    // A U+FFFD the file really holds is EF BF BD; anything else is where the decoder met invalid bytes.
    const offset = Buffer.byteLength(text.slice(0, at));
    if (bytes[offset] !== 0xef || bytes[offset + 1] !== 0xbf || bytes[offset + 2] !== 0xbd) {
      throw IntakeError.of('JSON_NOT_UTF8', `byte ${offset + 1} is not valid UTF-8: JSON must be UTF-8 encoded`, { file, line: lineAt(text, at) });
    }
  }
  return text.replace(/^\uFEFF/, '');
}

/** 1-based line of a character offset (for an error: once per file). */
function lineAt(text: string, offset: number, from = 1): number {
  let line = from;
  for (let at = text.indexOf('\n'); at !== -1 && at < offset; at = text.indexOf('\n', at + 1)) line++;
  return line;
}

/**
 * A number with more significant digits than a double keeps (an 18-digit SSCC) becomes a string of its source
 * text before JSON.parse (which has no access to a number's source in Node 20): a record's value is text anyway,
 * and the digits must not change. Strings are matched whole so that nothing inside them is taken for a number,
 * by an unrolled pattern: the plain `(?:[^"\\]|\\.)*` backtracks per character and overflowed V8's regexp stack
 * on a string of a few MB.
 */
function quoteLongNumbers(source: string): string {
  return source.replace(/"[^"\\]*(?:\\.[^"\\]*)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g, (token) =>
    token.startsWith('"') || !moreDigitsThanADouble(token) ? token : `"${token}"`,
  );
}

/** Any decimal of at most 15 significant digits survives a double; a longer one when its digits come back. */
function moreDigitsThanADouble(number: string): boolean {
  const digits = significantDigits(number);
  return digits.length > 15 && digits !== significantDigits(Number(number).toExponential());
}

function significantDigits(number: string): string {
  const [mantissa = ''] = number.replace(/^-/, '').split(/[eE]/);
  return mantissa.replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
}

/** What each of jsonc-parser's error codes means to the person who wrote the file. */
const SYNTAX_MESSAGES: Record<string, string> = {
  InvalidSymbol: 'this is not a JSON value (text must be in double quotes; true, false and null in lower case)',
  InvalidNumberFormat: 'a number is not written as JSON writes numbers',
  PropertyNameExpected: 'a property name in double quotes is expected (is there a comma too many?)',
  ValueExpected: 'a value is expected (is there a comma too many, or one missing?)',
  ColonExpected: 'a colon is expected after the property name',
  CommaExpected: 'a comma is expected between two values',
  CloseBraceExpected: 'a closing } is expected',
  CloseBracketExpected: 'a closing ] is expected',
  EndOfFileExpected: 'the JSON value has ended, yet more follows',
  InvalidCommentToken: 'JSON has no comments',
  UnexpectedEndOfComment: 'JSON has no comments',
  UnexpectedEndOfString: 'a text value is not closed with a double quote on its line',
  UnexpectedEndOfNumber: 'a number ends too early',
  InvalidUnicode: 'a \\u escape needs four hexadecimal digits',
  InvalidEscapeCharacter: 'a backslash in a text value must start an escape: \\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX',
  InvalidCharacter: 'a control character (a tab or line break) inside a text value must be escaped',
};

class JsonSyntax extends Error {
  constructor(readonly detail: string, readonly line: number) {
    super(detail);
  }
}

/** Where the records are: the feed's one object, or the start and end offsets of a records array's elements. */
type Layout = { kind: 'one' } | { kind: 'array'; spans: Spans } | { kind: 'no-records' };

/** Where each record starts and ends, and the line it starts on (1-based, in the feed). */
class Spans {
  starts = new Int32Array(1024);
  ends = new Int32Array(1024);
  lines = new Int32Array(1024);
  count = 0;
  begin(offset: number, line: number): void {
    if (this.count === this.starts.length) {
      const grow = (old: Int32Array) => {
        const bigger = new Int32Array(old.length * 2);
        bigger.set(old);
        return bigger;
      };
      this.starts = grow(this.starts);
      this.ends = grow(this.ends);
      this.lines = grow(this.lines);
    }
    this.starts[this.count] = offset;
    this.lines[this.count] = line;
  }
  end(offset: number): void {
    this.ends[this.count++] = offset;
  }
}

/**
 * Checks one JSON text and finds its records, without building its values. `recordsAt` names the array inside a
 * wrapper object (a later duplicate of the key wins, as with JSON.parse); without it the records are the top-level
 * array's elements, or the top-level value itself. Throws JsonSyntax at the first error, IntakeError JSON_TOO_DEEP.
 */
function locateRecords(text: string, recordsAt: string | undefined, file: string, firstLine: number): Layout {
  let depth = 0;
  let top: 'object' | 'array' | 'scalar' | undefined;
  /** The depth of the records array's elements while it is open; -1 otherwise. */
  let elementDepth = -1;
  let found = recordsAt === undefined;
  let spans = new Spans();
  const arrayAtPath = (path: () => (string | number)[]) => recordsAt !== undefined && path().join('.') === recordsAt;
  const opened = (offset: number, line: number) => {
    if (depth === elementDepth) spans.begin(offset, line + firstLine);
    if (++depth > MAX_DEPTH) {
      throw tooDeep({ file, line: line + firstLine });
    }
  };
  const closed = (offset: number) => {
    if (--depth === elementDepth) spans.end(offset + 1);
  };
  visit(
    text,
    {
      onObjectBegin(offset, _length, line) {
        top ??= 'object';
        opened(offset, line);
      },
      onObjectEnd: closed,
      onArrayBegin(offset, _length, line, _character, path) {
        top ??= 'array';
        opened(offset, line);
        if (recordsAt === undefined ? depth === 1 : arrayAtPath(path)) {
          elementDepth = depth;
          found = true;
          spans = new Spans();
        }
      },
      onArrayEnd(offset) {
        if (depth === elementDepth) elementDepth = -1;
        closed(offset);
      },
      onLiteralValue(_value, offset, length, line) {
        top ??= 'scalar';
        if (depth === elementDepth) {
          spans.begin(offset, line + firstLine);
          spans.end(offset + length);
        }
      },
      onError(code: ParseErrorCode, offset, length, line) {
        const found = text.slice(offset, offset + Math.min(length, 20));
        const message = SYNTAX_MESSAGES[printParseErrorCode(code)] ?? printParseErrorCode(code);
        // A text that ends too early is placed on its last line that holds something, not on a trailing blank one.
        const end = text.trimEnd().length;
        if (offset >= end) throw new JsonSyntax(`${message}; the text ends here`, lineAt(text, end - 1, firstLine));
        throw new JsonSyntax(`${message}; found ${JSON.stringify(found)}`, line + firstLine);
      },
    },
    { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false },
  );
  if (!found) return { kind: 'no-records' };
  if (recordsAt === undefined && top !== 'array') return { kind: 'one' };
  return { kind: 'array', spans };
}

/** One record's JSON text, parsed and flattened. */
function toRecord(source: string, file: string, line: number): SourceRecord {
  let value: unknown;
  try {
    value = JSON.parse(quoteLongNumbers(source));
  } catch (error) {
    // locateRecords passed it; should JSON.parse still disagree, the file is refused, not the process.
    throw IntakeError.of('JSON_MALFORMED', `not valid JSON: ${(error as Error).message}`, { file, line });
  }
  return recordOf(value, file, line);
}

/** A parsed record; anything but an object is JSON_NOT_AN_OBJECT. */
function recordOf(value: unknown, file: string, line: number): SourceRecord {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw IntakeError.of('JSON_NOT_AN_OBJECT', 'each record must be a JSON object', { file, line });
  }
  const fields: Record<string, string> = Object.create(null);
  flatten(value, '', fields, 0, { file, line });
  return { fields, provenance: { file, line } };
}

/** The text's lines, numbered from 1, without their line breaks; the text is not split up front. */
function* linesOf(text: string): Iterable<{ text: string; number: number }> {
  let number = 0;
  for (let start = 0; start < text.length; ) {
    const newline = text.indexOf('\n', start);
    const end = newline === -1 ? text.length : newline;
    yield { text: text.slice(start, end), number: ++number };
    start = end + 1;
  }
}

function isJsonText(text: string, file: string): boolean {
  try {
    locateRecords(text, undefined, file, 1);
    return true;
  } catch (error) {
    if (error instanceof JsonSyntax) return false;
    throw error;
  }
}

/**
 * NDJSON: one JSON text a line, each parsed as it is read (blank lines skipped). JSON.parse decides; a line it
 * refuses is looked at again only to say what is wrong with it.
 */
function* ndjsonRecords(text: string, file: string): Iterable<SourceRecord> {
  for (const line of linesOf(text)) {
    if (line.text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(quoteLongNumbers(line.text));
    } catch (error) {
      let detail = (error as Error).message;
      try {
        locateRecords(line.text, undefined, file, line.number);
      } catch (syntax) {
        if (!(syntax instanceof JsonSyntax)) throw syntax;
        detail = syntax.detail;
      }
      throw IntakeError.of('JSON_MALFORMED', `not valid JSON: ${detail}`, { file, line: line.number });
    }
    yield recordOf(value, file, line.number);
  }
}

export async function* readJsonRecords(input: AsyncIterable<Uint8Array> | Uint8Array, options: JsonOptions, file: string): AsyncIterable<SourceRecord> {
  const resolved = JsonOptionsSchema.parse(options);
  const text = await collect(input, resolved.maxBytes, file);
  if (text.trim() === '') throw IntakeError.of('JSON_EMPTY', 'the JSON body is empty', { file });
  let layout: Layout;
  try {
    layout = locateRecords(text, resolved.recordsAt, file, 1);
  } catch (error) {
    if (!(error instanceof JsonSyntax)) throw error;
    // NDJSON when its first line is a JSON value on its own; otherwise one document with an error in it
    // (a pretty-printed document's first line, `{` or `[`, never is).
    let first: { text: string } | undefined;
    for (const line of linesOf(text)) if (line.text.trim() !== '' && (first = line)) break;
    if (!first || !isJsonText(first.text, file)) throw IntakeError.of('JSON_MALFORMED', `not valid JSON: ${error.detail}`, { file, line: error.line });
    yield* ndjsonRecords(text, file);
    return;
  }
  if (layout.kind === 'no-records') throw IntakeError.of('JSON_NO_RECORDS', `no array at "${resolved.recordsAt}"`, { file });
  if (layout.kind === 'one') {
    yield toRecord(text, file, 1);
    return;
  }
  // Records inside a wrapper: their number in the array stands in for a line. A top-level array's records carry
  // the line they start on.
  const { spans } = layout;
  for (let i = 0; i < spans.count; i++) {
    yield toRecord(text.slice(spans.starts[i], spans.ends[i]), file, resolved.recordsAt === undefined ? spans.lines[i]! : i + 1);
  }
}
