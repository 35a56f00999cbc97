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
  const whole = sample.subarray(0, sample.length - incompleteUtf8Tail(sample));
  return !isUtf8(whole) && firstMultiByteUtf8(whole) !== -1;
}

/** Offset of the first well-formed multi-byte UTF-8 sequence in `bytes` (one cut off by the end does not count), or -1. */
function firstMultiByteUtf8(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i]! >= 0xc2 && utf8SequenceLength(bytes, i, bytes.length) > 1) return i;
  }
  return -1;
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

/**
 * The encoding to read a file in, from its first bytes and the mapping's `declared` one, and the single-byte encoding
 * to switch to if UTF-8 was chosen but later bytes are not UTF-8 (see Utf8Transcoder).
 *
 * A BOM decides, whatever the mapping says: it is written by the tool that encoded the file, and read in a
 * single-byte encoding it would glue `ï»¿` to the first field. A declared single-byte encoding applies only when the
 * bytes are not valid UTF-8: multi-byte UTF-8 sequences practically never occur in real Windows-1252 or Latin-1
 * text (they read as `Ã¤`), whereas a file re-saved as UTF-8 somewhere along the way would have every accent
 * garbled (and, in a fixed-width file, every later field shifted) without a word.
 *
 * A sample that mixes UTF-8 with other bytes (isMixedUtf8Sample) is read as UTF-8 with no fallback, so the
 * transcoder refuses it at its first foreign byte, as it does when that byte comes after the sample: no single
 * encoding reads such a file right, whichever part of it comes first.
 */
export function chooseEncoding(sample: Uint8Array, declared: 'auto' | TextEncoding): { encoding: TextEncoding; fallback?: SingleByteEncoding } {
  const fallback = declared === 'auto' ? 'windows-1252' : declared === 'windows-1252' || declared === 'iso-8859-1' ? declared : undefined;
  const mixed = fallback !== undefined && isMixedUtf8Sample(sample);
  const encoding = bomEncoding(sample) ?? (declared === 'auto' ? detectEncoding(sample) : fallback && (mixed || isUtf8Sample(sample)) ? 'utf-8' : declared);
  return encoding === 'utf-8' && fallback && !mixed ? { encoding, fallback } : { encoding };
}

/** Our single-byte encoding that `name` (any name iconv-lite knows: `cp1252`, `Latin1`, ...) stands for, if any. */
export function singleByteEncodingNamed(name: string): SingleByteEncoding | undefined {
  // iconv-lite resolves every alias to one cached codec: identity is the only name-independent test it offers.
  const codec = iconv.getCodec(name);
  return (['windows-1252', 'iso-8859-1'] as const).find((encoding) => iconv.getCodec(encoding) === codec);
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
  bad?: BadInput;
}

/** Input a Utf8Transcoder refused. */
export interface BadInput {
  /** The offending input bytes in hex (`"E9 20"`), when the encoding lets us point at them. */
  hex?: string;
  /**
   * Set when the input is a well-formed UTF-8 character (this one) in a file read in a single-byte encoding: the
   * file mixes the two, so whichever encoding it is read in, one part of it comes out garbled.
   */
  utf8?: string;
}

/**
 * What to tell the customer about input a Utf8Transcoder refused (the reader adds the place): `encoding` is the one
 * the file was being read in, `declared` the mapping's.
 */
export function badInputMessage(bad: BadInput, encoding: TextEncoding, declared: 'auto' | TextEncoding): string {
  const mixed = ' (the file mixes UTF-8 with another encoding; save it as UTF-8)';
  if (bad.utf8 !== undefined) return `bytes ${bad.hex} are UTF-8 (${JSON.stringify(bad.utf8)}) in a file read as ${encoding}${mixed}`;
  const what = bad.hex ? `bytes ${bad.hex} are not` : 'this line is not';
  const hint =
    encoding === 'utf-8' && declared !== 'utf-8'
      ? mixed
      : declared === encoding
        ? ` (the mapping declares encoding ${encoding}; is that the file's encoding?)`
        : '';
  return `${what} valid ${encoding}${hint}`;
}

/**
 * Transcodes a byte stream to UTF-8 chunk by chunk, carrying characters that a chunk boundary splits.
 *
 * UTF-8 input is validated, not copied: the common case costs one native `isUtf8` pass per chunk.
 * `fallback` (a single-byte encoding) is for UTF-8 that was guessed: the guess sees only the first bytes, and a
 * file that is ASCII for 60 KB and has its first `é` (0xE9) on line 5,000 is a Windows-1252 file; as long as
 * every byte so far was ASCII (identical in all of them), switching is lossless.
 *
 * A single-byte encoding refuses well-formed multi-byte UTF-8 (`bad.utf8`): such sequences practically never occur
 * in real Windows-1252 or Latin-1 text (they read as `Ã©`), so one there means a file that mixes UTF-8 with a
 * single-byte encoding, the case chooseEncoding refuses when both show in the sample: without this, such a file
 * would be refused or garbled depending on whether its UTF-8 part starts before or after the sample's end.
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
      case 'windows-1252':
        return this.decodeSingleByte(buf, final);
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

  private decodeSingleByte(buf: Buffer, final: boolean): Utf8Chunk {
    // A UTF-8 character cut by the chunk's end waits for the next chunk, so it is found however the file is chunked.
    const tail = final ? 0 : incompleteUtf8Tail(buf);
    if (tail > 0) this.carry = Buffer.from(buf.subarray(buf.length - tail));
    const whole = buf.subarray(0, buf.length - tail);
    const utf8At = isAscii(whole) ? -1 : firstMultiByteUtf8(whole);
    const body = utf8At === -1 ? whole : whole.subarray(0, utf8At);
    let chunk: Utf8Chunk;
    if (this.current === 'iso-8859-1') chunk = { bytes: Buffer.from(body.toString('latin1'), 'utf8') };
    else chunk = fromText(this.win1252!.write(body) + (final ? (this.win1252!.end() ?? '') : ''), (index) => hex(body, index, 1));
    if (chunk.bad || utf8At === -1) return chunk;
    const end = utf8At + utf8SequenceLength(whole, utf8At, whole.length);
    return { bytes: chunk.bytes, bad: { hex: hex(whole, utf8At, end - utf8At), utf8: whole.toString('utf8', utf8At, end) } };
  }
}

/**
 * Raw bytes the encoding is guessed from, exactly: never more, however large the chunks the stream delivers, so a
 * preview (one big chunk) and the pipeline (small ones) read a file alike.
 */
const ENCODING_SAMPLE_BYTES = 64 * 1024;

/**
 * A Utf8Transcoder for a file whose encoding is to be chosen from its first ENCODING_SAMPLE_BYTES (chooseEncoding):
 * it holds them until they are in (or the file ends), then transcodes the held bytes and everything after.
 */
export class SampledUtf8Transcoder {
  private held: Buffer[] | undefined = [];
  private heldBytes = 0;
  private transcoder: Utf8Transcoder | undefined;

  /** `onChosen` sees the sample and the encoding chosen before any byte is transcoded; it may throw to refuse the file. */
  constructor(
    private readonly declared: 'auto' | TextEncoding,
    private readonly onChosen?: (sample: Buffer, encoding: TextEncoding) => void,
  ) {}

  /** The encoding in effect; undefined while the sample is still being held. */
  get encoding(): TextEncoding | undefined {
    return this.transcoder?.encoding;
  }

  write(chunk: Uint8Array): Utf8Chunk {
    if (this.transcoder) return this.transcoder.write(chunk);
    this.held!.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    this.heldBytes += chunk.length;
    return this.heldBytes >= ENCODING_SAMPLE_BYTES ? this.start() : { bytes: Buffer.alloc(0) };
  }

  end(): Utf8Chunk {
    if (this.transcoder) return this.transcoder.end();
    const first = this.start();
    if (first.bad) return first;
    const last = this.transcoder!.end();
    return { ...last, bytes: Buffer.concat([first.bytes, last.bytes]) };
  }

  private start(): Utf8Chunk {
    const held = Buffer.concat(this.held!);
    this.held = undefined;
    const sample = held.subarray(0, ENCODING_SAMPLE_BYTES);
    const { encoding, fallback } = chooseEncoding(sample, this.declared);
    this.onChosen?.(sample, encoding);
    this.transcoder = new Utf8Transcoder(encoding, fallback);
    return this.transcoder.write(held);
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
