const QUOTE = 0x22;
const LF = 10;
const CR = 13;

/** A quoting mistake in one record: which kind, its byte offset from the record's start, and its 0-based field. */
export interface QuoteFault {
  kind: 'unclosed' | 'invalid-closing' | 'invalid-opening';
  offset: number;
  field: number;
}

/**
 * Re-reads one record's bytes to find the quote csv-parse stopped at. csv-parse says only that a quote is
 * unclosed, and at the line where it gave up (the end of the file), while the customer needs the line where
 * the quote opened. Runs only after an error, on at most `maxRecordBytes`; follows csv-parse's rules: a quote
 * opens a field only as its first character, `""` inside quotes is a quote, and a closing quote must be
 * followed by the delimiter, a line break or the end.
 */
export function findQuoteFault(record: Uint8Array, delimiter: number, relaxQuotes: boolean): QuoteFault | undefined {
  let field = 0;
  let fieldLength = 0;
  let quoted = false;
  let openedAt = -1;
  for (let i = 0; i < record.length; i++) {
    const b = record[i];
    if (quoted) {
      if (b !== QUOTE) continue;
      const next = record[i + 1];
      if (next === QUOTE) {
        i++;
      } else if (next === undefined || next === delimiter || next === LF || next === CR) {
        quoted = false;
        fieldLength = 1;
      } else if (!relaxQuotes) {
        return { kind: 'invalid-closing', offset: i, field };
      }
    } else if (b === delimiter) {
      field++;
      fieldLength = 0;
    } else if (b === LF || b === CR) {
      return undefined;
    } else if (b === QUOTE && fieldLength === 0) {
      quoted = true;
      openedAt = i;
    } else if (b === QUOTE && !relaxQuotes) {
      return { kind: 'invalid-opening', offset: i, field };
    } else {
      fieldLength++;
    }
  }
  return quoted ? { kind: 'unclosed', offset: openedAt, field } : undefined;
}
