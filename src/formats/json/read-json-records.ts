import { z } from 'zod';
import { IntakeError } from '../../errors/intake-error.ts';
import type { SourceRecord } from '../record.ts';

/**
 * A customer's JSON feed (the Unified Endpoint): an object, an array of objects, or NDJSON (one object a line).
 * Each object is one record; nested values are addressed by path (`shipTo.name`, `lines[0].sku`), scalars as
 * text, so the same mapping language serves JSON as every other format.
 */
export const JsonOptionsSchema = z.object({
  /** Path of the array holding the records inside a wrapper object (e.g. `orders`); default: the top level. */
  recordsAt: z.string().optional(),
  /** Largest accepted feed, in bytes: JSON is parsed whole (NDJSON line by line). */
  maxBytes: z.number().int().positive().default(50 * 1024 * 1024),
});
export type JsonOptions = z.input<typeof JsonOptionsSchema>;

function flatten(value: unknown, path: string, out: Record<string, string>): void {
  if (value === null || value === undefined) return;
  if (Array.isArray(value)) {
    value.forEach((item, i) => flatten(item, `${path}[${i}]`, out));
  } else if (typeof value === 'object') {
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) flatten(item, path ? `${path}.${key}` : key, out);
  } else {
    out[path] = String(value);
  }
}

/**
 * Deeper nesting is refused (JSON_TOO_DEEP) before anything recurses into it: no real feed nests this deep, and a
 * small file of nothing but brackets must not exhaust the stack.
 */
const MAX_DEPTH = 100;

function toRecord(value: unknown, file: string, line: number): SourceRecord {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw IntakeError.of('JSON_NOT_AN_OBJECT', 'each record must be a JSON object', { file, line });
  }
  const fields: Record<string, string> = Object.create(null);
  flatten(value, '', fields);
  return { fields, provenance: { file, line } };
}

/** JSON is UTF-8 (RFC 8259 section 8.1): bytes that are not are refused at their line, never replaced by U+FFFD. */
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

/** 1-based line of a character offset. */
function lineAt(text: string, offset: number, from = 1): number {
  let line = from;
  for (let at = text.indexOf('\n'); at !== -1 && at < offset; at = text.indexOf('\n', at + 1)) line++;
  return line;
}

interface Scanned {
  /** The text for JSON.parse: numbers a double cannot hold as written turned into strings of their digits. */
  text: string;
  /** When the text is an array: the line each element starts on. */
  elementLines: number[];
}

/**
 * One pass over a JSON text, before JSON.parse (which has no access to a number's source text in Node 20):
 * - a number with more significant digits than a double keeps (an 18-digit SSCC) becomes a string of its source
 *   text, since a record's value is text anyway and the digits must not change;
 * - nesting deeper than MAX_DEPTH is JSON_TOO_DEEP at its line;
 * - the line where each element of a top-level array starts, for the records' provenance.
 * Strings are matched whole so that nothing inside them is taken for a number or a bracket, by an unrolled
 * pattern (`"[^"\\]*(?:\\.[^"\\]*)*"`): the plain `(?:[^"\\]|\\.)*` backtracks per character and overflowed
 * V8's regexp stack on a string of a few MB (an uncaught RangeError).
 */
function scan(source: string, file: string, firstLine: number): Scanned {
  const elementLines: number[] = [];
  let depth = 0;
  let topIsArray = false;
  let elementExpected = false;
  let line = firstLine;
  let lineCountedTo = 0;
  const lineOf = (offset: number): number => {
    line = lineAt(source.slice(lineCountedTo, offset), offset - lineCountedTo, line);
    lineCountedTo = offset;
    return line;
  };
  const text = source.replace(/"[^"\\]*(?:\\.[^"\\]*)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null|[[\]{},]/g, (token: string, offset: number) => {
    if (token === ',') {
      elementExpected = topIsArray && depth === 1;
      return token;
    }
    if (elementExpected && token !== ']') elementLines.push(lineOf(offset));
    elementExpected = false;
    if (token === '[' || token === '{') {
      if (depth === 0) topIsArray = token === '[';
      elementExpected = topIsArray && depth === 0;
      depth++;
      if (depth > MAX_DEPTH) {
        throw IntakeError.of('JSON_TOO_DEEP', `the JSON nests arrays and objects more than ${MAX_DEPTH} levels deep`, { file, line: lineOf(offset) });
      }
      return token;
    }
    if (token === ']' || token === '}') {
      depth--;
      return token;
    }
    return /^-?\d/.test(token) && moreDigitsThanADouble(token) ? `"${token}"` : token;
  });
  return { text, elementLines };
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

type Parsed = { ok: true; value: unknown; elementLines: number[] } | { ok: false; message: string; line: number };

/** One JSON text starting at line `firstLine`; a syntax error comes back with the line it is on. */
function parseJson(source: string, file: string, firstLine: number): Parsed {
  const { text, elementLines } = scan(source, file, firstLine);
  try {
    return { ok: true, value: JSON.parse(text), elementLines };
  } catch (error) {
    const message = (error as Error).message;
    // V8 names the position of most errors; an unexpected end is on the last line that holds something.
    const end = source.trimEnd().length;
    const position = Number(/at position (\d+)/.exec(message)?.[1] ?? end);
    return { ok: false, message, line: lineAt(source, Math.min(position, end), firstLine) };
  }
}

export async function* readJsonRecords(input: AsyncIterable<Uint8Array> | Uint8Array, options: JsonOptions, file: string): AsyncIterable<SourceRecord> {
  const resolved = JsonOptionsSchema.parse(options);
  const text = await collect(input, resolved.maxBytes, file);
  if (text.trim() === '') throw IntakeError.of('JSON_EMPTY', 'the JSON body is empty', { file });
  const whole = parseJson(text, file, 1);
  if (!whole.ok) {
    const lines = text.split(/\r?\n/);
    const first = lines.findIndex((line) => line.trim() !== '');
    // NDJSON when its first line is a JSON value on its own; otherwise one document with an error in it
    // (a pretty-printed document's first line, `{` or `[`, never is).
    if (first === -1 || !parseJson(lines[first] ?? '', file, first + 1).ok) {
      throw IntakeError.of('JSON_MALFORMED', `not valid JSON: ${whole.message}`, { file, line: whole.line });
    }
    for (const [i, line] of lines.entries()) {
      if (line.trim() === '') continue;
      const parsed = parseJson(line, file, i + 1);
      if (!parsed.ok) throw IntakeError.of('JSON_MALFORMED', `not valid JSON: ${parsed.message}`, { file, line: i + 1 });
      yield toRecord(parsed.value, file, i + 1);
    }
    return;
  }
  let list: unknown = whole.value;
  if (resolved.recordsAt) {
    for (const key of resolved.recordsAt.split('.')) list = (list as Record<string, unknown> | undefined)?.[key];
    if (!Array.isArray(list)) throw IntakeError.of('JSON_NO_RECORDS', `no array at "${resolved.recordsAt}"`, { file });
    // Records inside a wrapper: their number in the array stands in for a line.
    for (const [i, item] of list.entries()) yield toRecord(item, file, i + 1);
    return;
  }
  const items = Array.isArray(list) ? list : [list];
  for (const [i, item] of items.entries()) yield toRecord(item, file, whole.elementLines[i] ?? 1);
}
