import iconv from 'iconv-lite';
import { IntakeError } from '../../errors/intake-error.ts';
import type { SourceRecord } from '../record.ts';
import { FixedWidthParser, normalizeFixedWidthOptions } from './fixed-width-parser.ts';
import type { FixedWidthOptionsInput } from './fixed-width-options.ts';
import { LineSplitter } from './split-lines.ts';

export type { FixedWidthOptions, FixedWidthOptionsInput } from './fixed-width-options.ts';
export { FixedWidthOptionsSchema } from './fixed-width-options.ts';

/**
 * Reads a fixed-width file as flat records, streaming: bytes are decoded and split into lines as they come,
 * so memory stays bounded by the longest line and the headers in force, whatever the file's size.
 * Errors are thrown as IntakeError with the file, line, column and field.
 */
export async function* readFixedWidth(
  input: AsyncIterable<Uint8Array> | Uint8Array,
  options: FixedWidthOptionsInput,
  file: string,
): AsyncIterable<SourceRecord> {
  const parser = new FixedWidthParser(options, file);
  const decoder = iconv.getDecoder(parser.options.encoding);
  let lineNumber = 0;
  const splitter = new LineSplitter(parser.options.maxLineLength, (length) => {
    throw IntakeError.of('FW_LINE_TOO_LONG', `line longer than ${parser.options.maxLineLength} characters (${length} so far): is this file missing its line breaks?`, {
      file,
      line: lineNumber + 1,
    });
  });
  let bytes = 0;
  for await (const chunk of chunksOf(input)) {
    bytes += chunk.length;
    for (const line of splitter.push(decoder.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)))) {
      yield* parser.line(line, ++lineNumber);
    }
  }
  if (bytes === 0) throw IntakeError.of('FW_EMPTY_FILE', 'the file is empty (0 bytes)', { file });
  for (const line of [...splitter.push(decoder.end() ?? ''), ...splitter.end()]) yield* parser.line(line, ++lineNumber);
  yield* parser.end();
}

/** The whole file at once, for tests, previews and small files. */
export async function parseFixedWidth(input: Uint8Array | string, options: FixedWidthOptionsInput, file: string): Promise<SourceRecord[]> {
  const records: SourceRecord[] = [];
  // A string is encoded in the declared encoding, so the bytes the reader sees are what the customer would send.
  const bytes = typeof input === 'string' ? iconv.encode(input, normalizeFixedWidthOptions(options, file).encoding) : input;
  for await (const record of readFixedWidth(bytes, options, file)) records.push(record);
  return records;
}

async function* chunksOf(input: AsyncIterable<Uint8Array> | Uint8Array): AsyncIterable<Uint8Array> {
  if (input instanceof Uint8Array) yield input;
  else yield* input;
}
