import { TextDecoder } from 'node:util';
import type { TextEncoding } from '../text-encoding.ts';

/** Bytes looked at: a text file shows what it is in its first KB. */
const PROBE_BYTES = 1024;
/** Share of control characters above which a "text" file is not one. Tabs, CR, LF and form feeds are text. */
const MAX_CONTROL_RATIO = 0.1;

/** What customers send by mistake, recognised so the message can say what to do instead. */
const SIGNATURES: ReadonlyArray<{ bytes: number[]; what: string }> = [
  { bytes: [0x50, 0x4b, 0x03, 0x04], what: 'a ZIP archive (an Excel .xlsx workbook is one): save it as CSV' },
  { bytes: [0xd0, 0xcf, 0x11, 0xe0], what: 'a legacy Excel .xls workbook: save it as CSV' },
  { bytes: [0x25, 0x50, 0x44, 0x46], what: 'a PDF document' },
  { bytes: [0x1f, 0x8b], what: 'gzip-compressed: send it uncompressed' },
];

/**
 * Why the start of a file is not text, or undefined when it is. Runs on decoded characters, because UTF-16 text
 * is full of NUL bytes that are not NUL characters.
 */
export function whyNotText(sample: Uint8Array, encoding: TextEncoding): string | undefined {
  for (const { bytes, what } of SIGNATURES) {
    if (bytes.every((b, i) => sample[i] === b)) return `the file is ${what}, not CSV text`;
  }
  const probe = sample.subarray(0, PROBE_BYTES);
  const text =
    encoding === 'utf-16le' || encoding === 'utf-16be'
      ? new TextDecoder(encoding).decode(probe)
      : // Control characters sit at the same byte values in UTF-8, Windows-1252 and Latin-1.
        Buffer.from(probe.buffer, probe.byteOffset, probe.byteLength).toString('latin1');
  if (text.length === 0) return undefined;
  let controls = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0) return `the file is binary, not CSV text (a NUL character at position ${i})`;
    // A Ctrl-Z ending a short file is the DOS end-of-file mark the reader drops, not content.
    if (c === 0x1a && i === text.length - 1) continue;
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d && c !== 0x0c) || c === 0x7f) controls++;
  }
  if (controls / text.length > MAX_CONTROL_RATIO) {
    return `the file is binary, not CSV text (${controls} control characters in its first ${text.length})`;
  }
  return undefined;
}
