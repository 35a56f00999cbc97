import { isAscii, isUtf8 } from 'node:buffer';
import { TextDecoder } from 'node:util';
import iconv from 'iconv-lite';

/**
 * Text encodings a customer's flat file may arrive in. Every reader transcodes to UTF-8 bytes first, so the
 * parsers behind it (csv-parse, the fixed-width slicer) only ever see one encoding.
 */
export const TEXT_ENCODINGS = ['utf-8', 'utf-16le', 'utf-16be', 'windows-1252', 'iso-8859-1'] as const;
export type TextEncoding = (typeof TEXT_ENCODINGS)[number];
export type DetectedEncoding = 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1252';
/** The legacy encodings a file that is not UTF-8 may be in: every byte is a character. */
export type SingleByteEncoding = 'windows-1252' | 'iso-8859-1';

/** Names customers and mapping authors actually write, folded onto ours. */
export const TEXT_ENCODING_ALIASES: Readonly<Record<string, TextEncoding>> = {
  utf8: 'utf-8',
  'utf-8': 'utf-8',
  'utf-8-bom': 'utf-8',
  'utf-16le': 'utf-16le',
  utf16le: 'utf-16le',
  'utf-16be': 'utf-16be',
  utf16be: 'utf-16be',
  'windows-1252': 'windows-1252',
  cp1252: 'windows-1252',
  win1252: 'windows-1252',
  ansi: 'windows-1252',
  'iso-8859-1': 'iso-8859-1',
  'iso8859-1': 'iso-8859-1',
  latin1: 'iso-8859-1',
  'latin-1': 'iso-8859-1',
};

/**
 * How many bytes of a byte-order mark start `bytes` in `encoding` (0 when none). The BOM is not content:
 * left in, it would glue itself to the first header name.
 */
export function bomLength(bytes: Uint8Array, encoding: TextEncoding): number {
  if (encoding === 'utf-8' && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return 3;
  if (encoding === 'utf-16le' && bytes[0] === 0xff && bytes[1] === 0xfe) return 2;
  if (encoding === 'utf-16be' && bytes[0] === 0xfe && bytes[1] === 0xff) return 2;
  return 0;
}

/** The encoding named by a byte-order mark at the start of `bytes`, if one is there. */
export function bomEncoding(bytes: Uint8Array): 'utf-8' | 'utf-16le' | 'utf-16be' | undefined {
  return (['utf-8', 'utf-16le', 'utf-16be'] as const).find((encoding) => bomLength(bytes, encoding) > 0);
}

/** Whether the first bytes of a file are valid UTF-8 (pure ASCII included), a character cut off at the end aside. */
export function isUtf8Sample(sample: Uint8Array): boolean {
  return isUtf8(sample.subarray(0, sample.length - incompleteUtf8Tail(sample)));
}

/**
 * Whether the first bytes of a file mix UTF-8 with another encoding: they hold a well-formed multi-byte UTF-8
 * sequence and also bytes that are not UTF-8 (a character cut off at the end aside). Typically a UTF-8 export
 * with rows pasted in from a Windows-1252 tool: read in either encoding, one of the two parts comes out
 * garbled (`Café` as `CafÃ©`), so no encoding reads it right.
 */
export function isMixedUtf8Sample(sample: Uint8Array): boolean {
  const end = sample.length - incompleteUtf8Tail(sample);
  if (isUtf8(sample.subarray(0, end))) return false;
  for (let i = 0; i < end; i++) {
    if (sample[i]! >= 0x80 && utf8SequenceLength(sample, i, end) > 1) return true;
  }
  return false;
}

/**
 * Guesses the encoding of the first bytes of a file. A BOM decides; without one, ASCII text in UTF-16 shows as
 * a NUL in every other byte; otherwise bytes that are valid UTF-8 are UTF-8 (pure ASCII included), and so are
 * bytes that mix UTF-8 with something else (isMixedUtf8Sample): read as UTF-8, the foreign bytes fail to decode
 * where they are, instead of every UTF-8 character being garbled without a word. Anything else is taken for
 * Windows-1252, the legacy encoding of the spreadsheets our customers export from (it is a superset of the
 * printable ISO-8859-1 range, so Latin-1 files read the same).
 */
export function detectEncoding(sample: Uint8Array): DetectedEncoding {
  return bomEncoding(sample) ?? guessUtf16WithoutBom(sample) ?? (isUtf8Sample(sample) || isMixedUtf8Sample(sample) ? 'utf-8' : 'windows-1252');
}

function guessUtf16WithoutBom(sample: Uint8Array): 'utf-16le' | 'utf-16be' | undefined {
  const n = Math.min(sample.length, 1024) & ~1;
  if (n < 4) return undefined;
  let evenNul = 0;
  let oddNul = 0;
  for (let i = 0; i < n; i += 2) {
    if (sample[i] === 0) evenNul++;
    if (sample[i + 1] === 0) oddNul++;
  }
  const pairs = n / 2;
  // Thresholds leave room for non-Latin text (no NULs) mixed in, and keep random binary (NULs everywhere) out.
  if (oddNul > pairs * 0.4 && evenNul < pairs * 0.05) return 'utf-16le';
  if (evenNul > pairs * 0.4 && oddNul < pairs * 0.05) return 'utf-16be';
  return undefined;
}

/** Bytes at the end of `bytes` that start a UTF-8 sequence the chunk cut off (0 to 3). */
export function incompleteUtf8Tail(bytes: Uint8Array): number {
  const n = bytes.length;
  for (let back = 1; back <= Math.min(3, n); back++) {
    const b = bytes[n - back]!;
    if ((b & 0xc0) === 0x80) continue; // continuation byte: keep looking for the lead
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > back ? back : 0;
  }
  return 0;
}

/**
 * Length of the well-formed UTF-8 sequence starting at `i` (Unicode table 3-7: no overlongs, no surrogates,
 * nothing above U+10FFFF); 0 when the bytes there are not one; -1 when they are a valid start cut by `end`.
 */
function utf8SequenceLength(bytes: Uint8Array, i: number, end: number): number {
  const b = bytes[i]!;
  if (b < 0x80) return 1;
  let need: number;
  let lo = 0x80;
  let hi = 0xbf;
  if (b >= 0xc2 && b <= 0xdf) need = 1;
  else if (b >= 0xe0 && b <= 0xef) {
    need = 2;
    if (b === 0xe0) lo = 0xa0;
    if (b === 0xed) hi = 0x9f;
  } else if (b >= 0xf0 && b <= 0xf4) {
    need = 3;
    if (b === 0xf0) lo = 0x90;
    if (b === 0xf4) hi = 0x8f;
  } else return 0;
  for (let k = 1; k <= need; k++) {
    if (i + k >= end) return -1;
    const c = bytes[i + k]!;
    if (c < lo || c > hi) return 0;
    lo = 0x80;
    hi = 0xbf;
  }
  return need + 1;
}

/** Offset of the first byte that breaks UTF-8 (overlongs and surrogates included, and a sequence cut short), or -1. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; ) {
    const length = utf8SequenceLength(bytes, i, bytes.length);
    if (length <= 0) return i;
    i += length;
  }
  return -1;
}

/**
 * Bytes to text for files that may mix encodings (X12: EDI translators commonly write ISO-8859-1/Windows-1252
 * names, `MÜLLER` with 0xDC, and the same interchange may also hold UTF-8): every valid UTF-8 sequence as UTF-8,
 * every byte that is not part of one as Windows-1252. A fatal or replacing UTF-8 decoder would refuse the file
 * or silently turn `Ü` into U+FFFD. The five bytes Windows-1252 leaves unassigned (0x81 0x8D 0x8F 0x90 0x9D) map
 * to the C1 controls of the same value, as in the WHATWG decoder, so no byte is ever replaced.
 *
 * Streaming: a UTF-8 sequence cut by the end of a chunk is held back until the next one completes (or
 * disproves) it, so any chunking decodes exactly as the whole buffer does.
 */
export class Utf8OrWindows1252Decoder {
  private carry: Buffer | undefined;

  decode(bytes: Uint8Array, final: boolean): string {
    let buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (this.carry) buf = Buffer.concat([this.carry, buf]);
    const tail = final ? 0 : incompleteUtf8Tail(buf);
    // The tail is copied: the caller may reuse its chunk's memory.
    this.carry = tail > 0 ? Buffer.from(buf.subarray(buf.length - tail)) : undefined;
    const end = buf.length - tail;
    // Nearly every file is valid UTF-8 (mostly ASCII): one native check, one native decode.
    if (isUtf8(buf.subarray(0, end))) return buf.toString('utf8', 0, end);
    return decodeMixed(buf, end);
  }
}

/** Windows-1252 0x80–0x9F; 0xA0–0xFF are the same code points as the bytes. */
const CP1252_HIGH_C1 =
  '\u20AC\u0081\u201A\u0192\u201E\u2026\u2020\u2021\u02C6\u2030\u0160\u2039\u0152\u008D\u017D\u008F' +
  '\u0090\u2018\u2019\u201C\u201D\u2022\u2013\u2014\u02DC\u2122\u0161\u203A\u0153\u009D\u017E\u0178';

function decodeMixed(buf: Buffer, end: number): string {
  let out = '';
  let run = 0;
  let i = 0;
  while (i < end) {
    const length = utf8SequenceLength(buf, i, end);
    if (length > 0) {
      i += length;
      continue;
    }
    const b = buf[i]!;
    if (run < i) out += buf.toString('utf8', run, i);
    out += b < 0xa0 ? CP1252_HIGH_C1[b - 0x80]! : String.fromCharCode(b);
    i++;
    run = i;
  }
  return run < end ? out + buf.toString('utf8', run, end) : out;
}

/** One chunk turned into UTF-8, or the part of it that could be, and where decoding failed. */
export interface Utf8Chunk {
  /** UTF-8 bytes of everything before the first undecodable input (all of the chunk when it decoded). */
  bytes: Buffer;
  /** Set when the chunk holds input the encoding cannot decode; `bytes` then ends just before it. */
  bad?: {
    /** The offending input bytes in hex (`"E9 20"`), when the encoding lets us point at them. */
    hex?: string;
  };
}

/**
 * Transcodes a byte stream to UTF-8 chunk by chunk, carrying characters that a chunk boundary splits.
 *
 * UTF-8 input is validated, not copied: the common case costs one native `isUtf8` pass per chunk.
 * `fallback` (a single-byte encoding) is for UTF-8 that was guessed: the guess sees only the first bytes, and a
 * file that is ASCII for 60 KB and has its first `é` (0xE9) on line 5,000 is a Windows-1252 file; as long as
 * every byte so far was ASCII (identical in all of them), switching is lossless.
 */
export class Utf8Transcoder {
  private current: TextEncoding;
  private asciiSoFar = true;
  private started = false;
  private carry: Buffer | undefined;
  private utf16: TextDecoder | undefined;
  private win1252: ReturnType<typeof iconv.getDecoder> | undefined;

  constructor(
    encoding: TextEncoding,
    private readonly fallback?: SingleByteEncoding,
  ) {
    this.current = encoding;
    this.init();
  }

  /** The encoding in effect now (it changes once if the fallback was taken). */
  get encoding(): TextEncoding {
    return this.current;
  }

  private init(): void {
    if (this.current === 'utf-16le' || this.current === 'utf-16be') {
      // Non-fatal on purpose: a fatal TextDecoder throws without saying where; U+FFFD marks the place.
      this.utf16 = new TextDecoder(this.current, { fatal: false, ignoreBOM: false });
    } else if (this.current === 'windows-1252') {
      this.win1252 = iconv.getDecoder('win1252');
    }
  }

  write(chunk: Uint8Array): Utf8Chunk {
    let buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.carry) {
      buf = Buffer.concat([this.carry, buf]);
      this.carry = undefined;
    }
    if (!this.started) {
      if (buf.length < 3) {
        this.carry = Buffer.from(buf);
        return { bytes: Buffer.alloc(0) };
      }
      this.started = true;
      if (this.current === 'utf-8') buf = buf.subarray(bomLength(buf, 'utf-8'));
    }
    return this.decode(buf, false);
  }

  end(): Utf8Chunk {
    const rest = this.carry ?? Buffer.alloc(0);
    this.carry = undefined;
    if (!this.started) {
      this.started = true;
      if (this.current === 'utf-8') return this.decode(rest.subarray(bomLength(rest, 'utf-8')), true);
    }
    return this.decode(rest, true);
  }

  private decode(buf: Buffer, final: boolean): Utf8Chunk {
    switch (this.current) {
      case 'utf-8':
        return this.decodeUtf8(buf, final);
      case 'iso-8859-1':
        return { bytes: Buffer.from(buf.toString('latin1'), 'utf8') };
      case 'windows-1252': {
        const text = this.win1252!.write(buf) + (final ? (this.win1252!.end() ?? '') : '');
        return fromText(text, (index) => hex(buf, index, 1));
      }
      default: {
        const text = this.utf16!.decode(buf, { stream: !final });
        return fromText(text, () => undefined);
      }
    }
  }

  private decodeUtf8(buf: Buffer, final: boolean): Utf8Chunk {
    const tail = final ? 0 : incompleteUtf8Tail(buf);
    const body = tail > 0 ? buf.subarray(0, buf.length - tail) : buf;
    if (tail > 0) this.carry = Buffer.from(buf.subarray(buf.length - tail));
    if (isUtf8(body)) {
      if (this.asciiSoFar && !isAscii(body)) this.asciiSoFar = false;
      return { bytes: body };
    }
    const at = firstInvalidUtf8(body);
    const bad = at === -1 ? body.length : at;
    // Only while nothing but ASCII came before the bad byte: valid UTF-8 before it says the file is UTF-8.
    if (this.fallback && this.asciiSoFar && isAscii(body.subarray(0, bad))) {
      this.current = this.fallback;
      this.init();
      this.carry = undefined;
      return this.decode(buf, final);
    }
    return { bytes: body.subarray(0, bad), bad: { hex: hex(body, bad, 2) } };
  }
}

function fromText(text: string, hexAt: (index: number) => string | undefined): Utf8Chunk {
  const bad = text.indexOf('\uFFFD');
  if (bad === -1) return { bytes: Buffer.from(text, 'utf8') };
  const h = hexAt(bad);
  return { bytes: Buffer.from(text.slice(0, bad), 'utf8'), bad: h === undefined ? {} : { hex: h } };
}

function hex(buf: Uint8Array, at: number, count: number): string {
  return Array.from(buf.subarray(at, at + count), (b) => b.toString(16).toUpperCase().padStart(2, '0')).join(' ');
}
