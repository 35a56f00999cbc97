/**
 * Every error code the fixed-width reader raises, with what it means for the customer. One table so the
 * docs can be generated from it and a test can check that no code is raised without being listed here.
 */
export const FIXED_WIDTH_ERROR_CODES = {
  FW_INVALID_OPTIONS: 'The layout or options in the mapping are not valid.',
  FW_EMPTY_FILE: 'The file is empty: no bytes, or only blank lines.',
  FW_BINARY_CONTENT: 'The file contains control bytes (NUL, ...): it is not a text file.',
  FW_INVALID_ENCODING: 'The bytes are not valid in the declared encoding (a Windows file read as UTF-8, for example).',
  FW_LINE_TOO_LONG: 'A line is longer than maxLineLength (often: a file without line breaks).',
  FW_UNKNOWN_RECORD_TYPE: 'A line carries a record type tag the layout does not declare.',
  FW_SHORT_LINE:
    'A line ends before a field that is not optional, or (even with shortLines: pad) inside a right-aligned field (implied decimals, trim: left) holding characters: the line was cut.',
  FW_SPLIT_CHARACTER: 'With positions: bytes, a field starts or ends inside a multi-byte character: the byte positions do not fit the file.',
  FW_INVALID_NUMBER: 'A field with implied decimals (or a trailer count) holds something other than digits.',
  FW_DETAIL_WITHOUT_HEADER: 'A detail record comes before the header record it belongs to.',
  FW_ORPHAN_CONTINUATION: 'A continuation record comes with no header or detail record before it.',
  FW_REPEATED_CONTINUATION: 'The same continuation record type appears twice for one header or detail record.',
  FW_MISSING_TRAILER: 'A group ends (next header, or end of file) without the trailer record the layout declares for it: a cut transfer.',
  FW_TRAILER_COUNT_MISMATCH: "A trailer's count differs from the records actually in its group.",
} as const;

export type FixedWidthErrorCode = keyof typeof FIXED_WIDTH_ERROR_CODES;
