import { CSV_DELIMITERS, type CsvDelimiter } from './csv-options.ts';

/** Rows looked at: enough to outvote a header that differs, few enough to stay cheap. */
const SNIFF_ROWS = 20;

/**
 * Picks the delimiter from the first rows of a file. Delimiters inside quotes do not count (csv-parse's own
 * `delimiter_auto` counts them, and throws on quoted fields). The winner is the candidate whose count per row is
 * the most consistent; ties go to the higher count, then to the order `,` `;` tab `|`. A file with one column
 * (no candidate anywhere) reads as `,`.
 *
 * Consistency, not frequency, is what tells `;` files with decimal commas (`qty;price` / `2;3,50`) from `,`
 * files: the comma count varies from row to row, the semicolon count does not.
 */
export function sniffDelimiter(sample: string): ',' | ';' | '\t' | '|' {
  const rows = countOutsideQuotes(sample);
  if (rows.length === 0) return ',';
  let best: CsvDelimiter = ',';
  let bestConsistency = 0;
  let bestMode = 0;
  CSV_DELIMITERS.forEach((delimiter, d) => {
    const counts = rows.map((row) => row[d]!);
    const mode = modeOf(counts);
    if (mode === 0) return;
    const consistency = counts.filter((c) => c === mode).length / counts.length;
    if (consistency > bestConsistency || (consistency === bestConsistency && mode > bestMode)) {
      best = delimiter;
      bestConsistency = consistency;
      bestMode = mode;
    }
  });
  return best;
}

/** Per logical row (a quoted newline does not end a row), the count of each candidate outside quotes. */
function countOutsideQuotes(sample: string): number[][] {
  const rows: number[][] = [];
  let counts = [0, 0, 0, 0];
  let quoted = false;
  let blank = true;
  let i = 0;
  for (; i < sample.length && rows.length < SNIFF_ROWS; i++) {
    const ch = sample[i];
    // `""` inside quotes toggles twice, so a plain toggle tracks RFC 4180 quoting exactly.
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === '\n' || ch === '\r')) {
      if (!blank) rows.push(counts);
      counts = [0, 0, 0, 0];
      blank = true;
      continue;
    } else if (!quoted) {
      const d = CSV_DELIMITERS.indexOf(ch as CsvDelimiter);
      if (d !== -1) counts[d]!++;
    }
    blank = false;
  }
  // The last row is kept only when the sample holds nothing else: it may be cut off mid-row.
  if (!blank && i === sample.length && rows.length === 0) rows.push(counts);
  return rows;
}

/** Bytes a `sep=X` line can take with its line break: `sep=`, X (a character, up to 4 bytes), CR LF. */
export const SEP_LINE_MAX_BYTES = 10;

/**
 * Excel's delimiter line: a file whose first line is exactly `sep=X` (X one character) is read by Excel with X
 * as the delimiter, and that line is not data. Returns X and the line's length in bytes with its line break, or
 * undefined. `head` is the file's first decoded bytes (SEP_LINE_MAX_BYTES of them, unless the file is shorter);
 * `wholeFile` says the file ends there, so a line break is not needed.
 */
export function readSepLine(head: Buffer, wholeFile: boolean): { delimiter: string; bytes: number } | undefined {
  const match = (wholeFile ? /^sep=([^\r\n])(?:\r\n|\n|\r|$)/u : /^sep=([^\r\n])(?:\r\n|\n|\r)/u).exec(head.toString('utf8'));
  return match ? { delimiter: match[1]!, bytes: Buffer.byteLength(match[0]) } : undefined;
}

function modeOf(values: number[]): number {
  const freq = new Map<number, number>();
  let mode = 0;
  let top = 0;
  for (const v of values) {
    const f = (freq.get(v) ?? 0) + 1;
    freq.set(v, f);
    if (f > top || (f === top && v > mode)) {
      mode = v;
      top = f;
    }
  }
  return mode;
}
