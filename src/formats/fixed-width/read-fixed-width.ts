import iconv from 'iconv-lite';
import { IntakeError } from '../../errors/intake-error.ts';
import type { SourceRecord } from '../record.ts';
import { SampledUtf8Transcoder, badInputMessage, singleByteEncodingNamed, type SingleByteEncoding, type Utf8Chunk } from '../text-encoding.ts';
import { FixedWidthParser, normalizeFixedWidthOptions } from './fixed-width-parser.ts';
import type { FixedWidthOptionsInput } from './fixed-width-options.ts';
import { LineSplitter } from './split-lines.ts';

export type { FixedWidthOptions, FixedWidthOptionsInput } from './fixed-width-options.ts';
export { FixedWidthOptionsSchema } from './fixed-width-options.ts';

/** Decoded text of a chunk, and why decoding stopped, when it did, just after that text. */
interface DecodedText {
  text: string;
  bad?: string;
  /** The encoding the text was read in, when it may differ from the declared one. */
  encoding?: string;
}

interface TextDecoding {
  write(chunk: Uint8Array): DecodedText;
  end(): DecodedText;
}

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
  const singleByte = singleByteEncodingNamed(parser.options.encoding);
  const decoding = singleByte ? singleByteOrUtf8(singleByte) : iconvDecoding(parser.options.encoding);
  let lineNumber = 0;
  const splitter = new LineSplitter(parser.options.maxLineLength, (length) => {
    throw IntakeError.of('FW_LINE_TOO_LONG', `line longer than ${parser.options.maxLineLength} characters (${length} so far): is this file missing its line breaks?`, {
      file,
      line: lineNumber + 1,
    });
  });
  function* records(decoded: DecodedText): Generator<SourceRecord> {
    for (const line of splitter.push(decoded.text)) yield* parser.line(line, ++lineNumber, decoded.encoding);
    // The text stops just before the bad input: it is on the line not complete yet.
    if (decoded.bad !== undefined) throw IntakeError.of('FW_INVALID_ENCODING', decoded.bad, { file, line: lineNumber + 1 });
  }
  let bytes = 0;
  for await (const chunk of chunksOf(input)) {
    bytes += chunk.length;
    yield* records(decoding.write(chunk));
  }
  if (bytes === 0) throw IntakeError.of('FW_EMPTY_FILE', 'the file is empty (0 bytes)', { file });
  const last = decoding.end();
  yield* records(last);
  for (const line of splitter.end()) yield* parser.line(line, ++lineNumber, last.encoding);
  yield* parser.end();
}

/** Any encoding iconv-lite knows; bytes it cannot decode become U+FFFD, which the parser refuses with their column. */
function iconvDecoding(encoding: string): TextDecoding {
  const decoder = iconv.getDecoder(encoding);
  return {
    write: (chunk) => ({ text: decoder.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)) }),
    end: () => ({ text: decoder.end() ?? '' }),
  };
}

/**
 * A declared single-byte encoding, with the CSV reader's rule (chooseEncoding): a file whose bytes are UTF-8 is
 * read as UTF-8, since read as Windows-1252 every multi-byte character would take two or three positions and shift
 * every later field; a file that mixes the two is refused.
 */
function singleByteOrUtf8(declared: SingleByteEncoding): TextDecoding {
  const transcoder = new SampledUtf8Transcoder(declared);
  // Only ASCII lines come before a switch of encoding (Utf8Transcoder), so the one in effect after a chunk is the
  // one every non-ASCII line of it was read in.
  const decoded = ({ bytes, bad }: Utf8Chunk): DecodedText => ({
    text: bytes.toString('utf8'),
    ...(transcoder.encoding ? { encoding: transcoder.encoding } : {}),
    ...(bad ? { bad: badInputMessage(bad, transcoder.encoding!, declared) } : {}),
  });
  return { write: (chunk) => decoded(transcoder.write(chunk)), end: () => decoded(transcoder.end()) };
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
