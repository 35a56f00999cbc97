import { isUtf8 } from 'node:buffer';
import { IntakeError, type IntakeErrorValue } from '../../errors/intake-error.ts';
import { firstInvalidUtf8, incompleteUtf8Tail, Utf8OrWindows1252Decoder } from '../text-encoding.ts';
import { TA1 } from './x12-error-codes.ts';

/**
 * Why our own tokenizer and not node-x12's (the customer's choice, still used as the benchmark baseline):
 * its non-strict `X12Parser` Transform stream cannot be trusted with arbitrary chunking (node-x12 1.7.1,
 * `_consumeChunk`): `_parsedISA` is never set on the streaming path, so every chunk is re-validated as if it
 * started with an ISA; a chunk shorter than 113 characters after concatenation is silently DROPPED (fed 64
 * bytes at a time it yields zero segments); a chunk ending exactly on a terminator leaves the stale tail in
 * `_dataCache`, which is prepended again (duplicated/garbled segments); the final unterminated segment (e.g.
 * `IEA` without a newline) is lost. It also rewrites ISA13 and IEA02 through parseInt (000003438 → 3438),
 * reads delimiters at fixed offsets from the very first character (a BOM or indentation breaks it), does not
 * re-read delimiters per ISA, and allocates Range/Position objects per element (the ~50× memory of
 * `parse()`). Its strict mode throws on the same per-chunk checks. None of its pieces are exported in a
 * form that streams, so this file is a small string tokenizer: decode incrementally (UTF-8, and bytes that
 * are not UTF-8 as Windows-1252: Utf8OrWindows1252Decoder), find the terminator with indexOf, split elements
 * with String.split.
 */

/** Delimiters of one interchange, read from its ISA. `segment` is '\n' when segments end with line breaks. */
export interface X12Delimiters {
  element: string;
  component: string;
  /** ISA11 from version 00402 on; undefined before (ISA11 is then the standards id 'U'). Never split on. */
  repetition: string | undefined;
  segment: string;
  /** true when CR/LF end segments (no terminator character). */
  newlineTerminated: boolean;
}

export interface X12Segment {
  /** Segment id (elements[0]). */
  id: string;
  /** elements[0] is the id, elements[n] the n-th element as read (components and repeats not split). */
  elements: string[];
  /** 1-based position in the file, counting every segment of every interchange. */
  index: number;
  /** 1-based line the segment starts on, counting LF line breaks (what an editor shows; a CR-only file is one line). */
  line: number;
  /**
   * Some character of the segment (or of its terminator) was a byte that is not UTF-8, read as Windows-1252: the
   * sender writes a single-byte encoding, and what we answer it must be in the same bytes.
   */
  windows1252: boolean;
  delimiters: X12Delimiters;
}

export interface TokenizerOptions {
  file: string;
  maxSegmentLength: number;
}

const ISA_MAX_SCAN = 400;

/**
 * The ISA elements that address the interchange, with their fixed widths. A 997 answers to them in an ISA of its
 * own, where they must fit those widths again.
 */
const ISA_ADDRESSES = [
  { element: 5, name: 'interchange sender id qualifier', width: 2, ta1: TA1.invalidSenderQualifier },
  { element: 6, name: 'interchange sender id', width: 15, ta1: TA1.invalidSenderId },
  { element: 7, name: 'interchange receiver id qualifier', width: 2, ta1: TA1.invalidReceiverQualifier },
  { element: 8, name: 'interchange receiver id', width: 15, ta1: TA1.invalidReceiverId },
] as const;

function isAsciiAlnum(c: string): boolean {
  return /^[A-Za-z0-9]$/.test(c);
}

function isBlank(code: number): boolean {
  // Space, tab, CR, LF, and the other C0 controls: none can start a segment id.
  return code <= 32 || code === 0xfeff;
}

/**
 * An element separator no X12 data can be told from: a letter or digit, a space (padding), CR/LF (line breaks are
 * the terminator of newline-terminated files and wrapping elsewhere), a BOM or a replacement character. Any other
 * punctuation or control character is one: GS (0x1D) between elements, FS (0x1C) after segments and US (0x1F)
 * between components is an old convention (ASCII's own separators), and TAB or BEL are seen too.
 */
function isUnusableSeparator(c: string): boolean {
  return isAsciiAlnum(c) || c === ' ' || c === '\r' || c === '\n' || c === '\uFEFF' || c === '\uFFFD';
}

/**
 * Stream-free core: `push(bytes)` returns the segments completed so far, `end()` the rest. Throws IntakeError
 * for problems that make the rest of the file unreadable (no ISA, unusable delimiters, runaway segment).
 */
export class SegmentTokenizer {
  private readonly decoder = new Utf8OrWindows1252Decoder();
  private pending = '';
  private pos = 0;
  private state: 'seek' | 'body' = 'seek';
  private delimiters: X12Delimiters | undefined;
  private segmentCount = 0;
  private interchanges = 0;
  private bytesSeen = 0;
  private firstBytes: number[] = [];
  private readonly newline = /[\r\n]/g;
  /** Line of the next character at `pos`. */
  private line = 1;
  /**
   * Offsets in `pending` (from `windows1252Head` on, ascending) of the characters decoded from a byte that is not
   * UTF-8. The decoder does not say which these are, so the bytes are checked here the way it checks them,
   * holding back the same cut-off UTF-8 tail (`byteCarry`); valid UTF-8 (nearly every chunk) costs one native check.
   */
  private windows1252At: number[] = [];
  private windows1252Head = 0;
  private byteCarry: Buffer | undefined;

  constructor(private readonly options: TokenizerOptions) {}

  /** Number of segments emitted so far (the last one's index). */
  get segmentsRead(): number {
    return this.segmentCount;
  }

  get lastDelimiters(): X12Delimiters | undefined {
    return this.delimiters;
  }

  /** Set when the rest of the input cannot be read; push/end then return what was complete before it. */
  failure: IntakeErrorValue | undefined;

  push(bytes: Uint8Array): X12Segment[] {
    if (this.failure) return [];
    if (this.firstBytes.length < 4) {
      for (let i = 0; i < bytes.length && this.firstBytes.length < 4; i++) this.firstBytes.push(bytes[i]!);
    }
    this.bytesSeen += bytes.length;
    this.append(this.decoder.decode(bytes, false), this.windows1252Chars(bytes, false));
    return this.drain(false);
  }

  end(): X12Segment[] {
    if (this.failure) return [];
    this.append(this.decoder.decode(new Uint8Array(0), true), this.windows1252Chars(new Uint8Array(0), true));
    if (this.interchanges === 0 && this.pending.slice(this.pos).replace(/[\s\uFEFF]/g, '') === '') {
      const message = this.bytesSeen === 0 ? 'the file is empty (0 bytes)' : 'the file holds only whitespace';
      this.failure = IntakeError.of('X12_EMPTY_FILE', message, { file: this.options.file }).value;
      return [];
    }
    return this.drain(true);
  }

  private append(text: string, windows1252: number[]): void {
    if (text === '') return;
    const kept = this.windows1252At.slice(this.windows1252Head).map((at) => at - this.pos);
    const textStart = this.pending.length - this.pos;
    for (const at of windows1252) kept.push(textStart + at);
    this.windows1252At = kept;
    this.windows1252Head = 0;
    this.pending = this.pos > 0 ? this.pending.slice(this.pos) + text : this.pending + text;
    this.pos = 0;
  }

  /** Offsets, in the text `bytes` decode to, of the characters that were a byte that is not UTF-8. */
  private windows1252Chars(bytes: Uint8Array, final: boolean): number[] {
    let buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (this.byteCarry) buf = Buffer.concat([this.byteCarry, buf]);
    const tail = final ? 0 : incompleteUtf8Tail(buf);
    this.byteCarry = tail > 0 ? Buffer.from(buf.subarray(buf.length - tail)) : undefined;
    const end = buf.length - tail;
    if (isUtf8(buf.subarray(0, end))) return [];
    const at: number[] = [];
    let chars = 0;
    for (let i = 0; i < end; ) {
      const bad = firstInvalidUtf8(buf.subarray(i, end));
      if (bad < 0) break;
      chars += buf.toString('utf8', i, i + bad).length;
      at.push(chars++);
      i += bad + 1;
    }
    return at;
  }

  /** Whether a character before `end` in `pending` was a Windows-1252 byte; forgets those characters. */
  private takeWindows1252(end: number): boolean {
    const start = this.windows1252Head;
    while (this.windows1252Head < this.windows1252At.length && this.windows1252At[this.windows1252Head]! < end) this.windows1252Head++;
    return this.windows1252Head > start;
  }

  private drain(final: boolean): X12Segment[] {
    const out: X12Segment[] = [];
    try {
      this.drainInto(out, final);
    } catch (e) {
      if (!(e instanceof IntakeError)) throw e;
      this.failure = e.value;
    }
    return out;
  }

  private drainInto(out: X12Segment[], final: boolean): void {
    const text = this.pending;
    const len = text.length;
    for (;;) {
      if (this.state === 'seek') {
        let p = this.pos;
        while (p < len && isBlank(text.charCodeAt(p))) if (text.charCodeAt(p++) === 10) this.line++;
        this.pos = p;
        if (p >= len) break;
        if (len - p < 4 && !final) break;
        if (!text.startsWith('ISA', p)) this.failNoIsa();
        const isa = this.readIsa(final);
        if (isa === undefined) break;
        out.push(isa);
        this.state = 'body';
        continue;
      }
      const d = this.delimiters!;
      const start = this.pos;
      let end: number;
      if (d.newlineTerminated) {
        this.newline.lastIndex = start;
        const m = this.newline.exec(text);
        end = m === null ? -1 : m.index;
      } else {
        end = text.indexOf(d.segment, start);
      }
      if (end < 0) {
        if (len - start > this.options.maxSegmentLength) this.failTooLong();
        if (!final) break;
        end = len;
      } else if (end - start > this.options.maxSegmentLength) {
        this.failTooLong();
      }
      this.pos = end === len ? len : end + 1;
      // Indentation and the CR/LF people put after terminators are not data (skipped before slicing). A control
      // character that is the element separator is data: it ends an empty segment id.
      const separator = d.element.charCodeAt(0);
      let k = 0;
      for (let code = text.charCodeAt(start); start + k < end && isBlank(code) && code !== separator; code = text.charCodeAt(start + ++k)) {
        if (code === 10) this.line++;
      }
      let raw = text.slice(start + k, end);
      const line = this.line;
      if (end < len && text.charCodeAt(end) === 10) this.line++;
      if (raw === '') {
        if (end === len) break;
        continue;
      }
      // Line breaks inside a segment are never X12 data: 80-column mainframe wrapping puts them anywhere.
      if (!d.newlineTerminated && (raw.indexOf('\n') >= 0 || raw.indexOf('\r') >= 0)) {
        for (let at = raw.indexOf('\n'); at >= 0; at = raw.indexOf('\n', at + 1)) this.line++;
        raw = raw.replace(/[\r\n]/g, '');
      }
      const elements = raw.split(d.element);
      const id = elements[0]!;
      if (id === 'ISA') {
        // A new interchange without the IEA of the previous one: re-read its delimiters from its own ISA.
        this.line = line;
        this.pos = start + k;
        this.state = 'seek';
        continue;
      }
      this.segmentCount++;
      out.push({ id, elements, index: this.segmentCount, line, windows1252: this.takeWindows1252(this.pos), delimiters: d });
      if (id === 'IEA') this.state = 'seek';
      if (end === len) break;
    }
  }

  private failNoIsa(): never {
    const file = this.options.file;
    const b = this.firstBytes;
    const place = { file, line: this.line, segment: this.segmentCount + 1 };
    const rest = this.pending.slice(this.pos, this.pos + 200);
    // Segment ids are case-sensitive: "isa" is no ISA. Said outright, because a lowercased file (a translator
    // setting, an editor) is otherwise well-formed, and "does not start with an ISA" would read as plainly wrong.
    const head = rest.slice(0, 3);
    const lowercase = head !== 'ISA' && head.toUpperCase() === 'ISA'
      ? `starts with a lowercase ${JSON.stringify(head)}; X12 segment ids are upper case (ISA, GS, ST…): send the file with its segment ids in capitals`
      : undefined;
    if (this.interchanges === 0) {
      // 'ISA' in EBCDIC (CP037); worth its own message because the bytes look like garbage otherwise.
      if (b[0] === 0xc9 && b[1] === 0xe2 && b[2] === 0xc1) {
        throw IntakeError.of('X12_EBCDIC', 'the file is EBCDIC-encoded; send it as ASCII or UTF-8', { file, segment: 1 });
      }
      // UTF-16 (Windows tools' "Unicode"): a byte order mark, or 'I' and 'S' with a NUL byte between or before.
      if ((b[0] === 0xff && b[1] === 0xfe) || (b[0] === 0xfe && b[1] === 0xff) || (b[0] === 0x49 && b[1] === 0 && b[2] === 0x53) || (b[0] === 0 && b[1] === 0x49 && b[2] === 0)) {
        throw IntakeError.of('X12_NOT_EDI', 'the file is UTF-16 encoded ("Unicode"); X12 must be sent as ASCII or UTF-8: save it again in that encoding', { file, segment: 1 });
      }
      throw IntakeError.of('X12_NOT_EDI', lowercase ? `the file ${lowercase}` : 'the file does not start with an ISA segment', place);
    }
    const shown = rest.split(/[\r\n]/)[0]!;
    throw IntakeError.of(
      'X12_DATA_AFTER_IEA',
      lowercase
        ? `the interchange after the IEA ${lowercase}`
        : `${JSON.stringify(shown.length > 40 ? `${shown.slice(0, 40)}…` : shown)} follows the IEA but is not an ISA: only another interchange may follow an IEA; remove the trailing text and send the file again`,
      place,
    );
  }

  private failTooLong(): never {
    throw IntakeError.of(
      'X12_SEGMENT_TOO_LONG',
      `segment ${this.segmentCount + 1} is longer than ${this.options.maxSegmentLength} characters: is the segment terminator ${JSON.stringify(this.delimiters?.segment)} right?`,
      { file: this.options.file, segment: this.segmentCount + 1 },
      { lastSegmentRead: this.segmentCount },
    );
  }

  /**
   * Reads the ISA by counting its 16 element separators instead of trusting fixed offsets: identical on a
   * standard 106-character ISA, and it also reads the short (unpadded) ISAs some senders produce. ISA16 is the
   * component separator and the character after it the segment terminator (CR/LF: newline-terminated).
   */
  private readIsa(final: boolean): X12Segment | undefined {
    const text = this.pending;
    const file = this.options.file;
    const index = this.segmentCount + 1;
    const place = { file, segment: index, element: 'ISA' };
    const start = this.pos;
    const sep = text[start + 3]!;
    if (isUnusableSeparator(sep)) {
      throw IntakeError.of(
        'X12_BAD_DELIMITERS',
        `the element separator (4th character of the ISA) is ${JSON.stringify(sep)}; it must be a punctuation or control character other than a space or a line break`,
        { ...place, element: 'ISA' },
        { ta1: '026' },
      );
    }
    let seps = 0;
    let i = start + 3;
    for (; i < text.length && i - start < ISA_MAX_SCAN; i++) {
      if (text[i] === sep && ++seps === 16) break;
    }
    if (seps < 16) {
      if (i - start >= ISA_MAX_SCAN || final) {
        throw IntakeError.of('X12_ISA_INVALID', `the ISA segment has ${seps} elements instead of 16`, place, {
          ta1: '024',
        });
      }
      return undefined;
    }
    let c = i + 1;
    while (c < text.length && (text[c] === '\r' || text[c] === '\n')) c++;
    const t = c + 1;
    if (t >= text.length) {
      if (!final) return undefined;
      throw IntakeError.of('X12_ISA_INVALID', 'the file ends inside the ISA segment', place, { ta1: '023' });
    }
    const component = text[c]!;
    const terminator = text[t]!;
    const newlineTerminated = terminator === '\r' || terminator === '\n';
    if (isAsciiAlnum(component) || component === ' ' || component === sep) {
      throw IntakeError.of('X12_BAD_DELIMITERS', `ISA16 (component separator) ${JSON.stringify(component)} is unusable`, { ...place, element: 'ISA16' }, { ta1: '027' });
    }
    if (isAsciiAlnum(terminator) || terminator === ' ' || terminator === sep || terminator === component) {
      throw IntakeError.of('X12_BAD_DELIMITERS', `the segment terminator ${JSON.stringify(terminator)} is unusable`, place, { ta1: '004' });
    }
    const elements = text.slice(start, t).replace(/[\r\n]/g, '').split(sep);
    for (let e = 1; e <= 16; e++) {
      // Fixed-length elements are space-padded, never empty: an empty one means a trimmed ISA.
      if (elements[e] === '') {
        throw IntakeError.of(
          'X12_ISA_INVALID',
          `ISA${String(e).padStart(2, '0')} is empty; ISA elements are fixed-length and space-padded`,
          { ...place, element: `ISA${String(e).padStart(2, '0')}` },
          { ta1: '024' },
        );
      }
    }
    // Refused rather than carried: a short (unpadded) id is only missing its padding and is padded back in our 997,
    // but a longer one fits no valid ISA, and the 997 cut to size would be addressed to another partner (VAN
    // mailboxes route by these 15 characters). Only the sender's translator profile can be corrected, so the
    // interchange is refused before any of its documents is read; no 997 or TA1 can be addressed to it.
    for (const { element, name, width, ta1 } of ISA_ADDRESSES) {
      const value = elements[element]!.trim();
      if (value.length > width) {
        const id = `ISA${String(element).padStart(2, '0')}`;
        throw IntakeError.of(
          'X12_ISA_INVALID',
          `${id} (${name}) ${JSON.stringify(value)} is ${value.length} characters; it is at most ${width}: correct it in your EDI translator's partner profile and send the file again`,
          { ...place, element: id },
          { ta1 },
        );
      }
    }
    const isa11 = elements[11]!;
    const version = elements[12]!;
    const repetition = version >= '00402' && !isAsciiAlnum(isa11) && isa11 !== ' ' && isa11.length === 1 ? isa11 : undefined;
    this.delimiters = { element: sep, component, repetition, segment: newlineTerminated ? '\n' : terminator, newlineTerminated };
    const line = this.line;
    for (let i = start; i <= t; i++) if (text.charCodeAt(i) === 10) this.line++;
    this.pos = t + 1;
    this.segmentCount++;
    this.interchanges++;
    return { id: 'ISA', elements, index, line, windows1252: this.takeWindows1252(this.pos), delimiters: this.delimiters };
  }
}
