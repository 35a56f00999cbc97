/**
 * Every code the CSV reader throws, with what it means for the customer. One registry, so docs can be generated
 * from it and a test can prove each code is reachable.
 */
export const CSV_ERROR_CODES = {
  CSV_INVALID_OPTIONS: 'The mapping\'s CSV options are invalid (place.field names the option).',
  CSV_EMPTY_FILE: 'The file has no rows: 0 bytes, only a BOM, only blank lines, or only lines skipped by skipLines.',
  CSV_BINARY_CONTENT: 'The file is not text (NUL bytes, many control characters, or a ZIP/Excel/PDF/gzip signature).',
  CSV_BAD_ENCODING: 'Bytes the file\'s encoding cannot decode; place.line is where the first one is.',
  CSV_UNCLOSED_QUOTE: 'A quoted field is never closed; place.line is the line where its opening quote is.',
  CSV_INVALID_CLOSING_QUOTE: 'A closing quote is followed by something other than a delimiter or the end of the line.',
  CSV_INVALID_OPENING_QUOTE: 'A quote inside an unquoted field (quote the whole field and double the quote).',
  CSV_RECORD_TOO_LARGE: 'A record is larger than maxRecordBytes (often an unclosed quote swallowing the file).',
  CSV_DELIMITER_CONFLICT:
    "The file's first line `sep=X` (Excel's delimiter line) names a delimiter other than the one the mapping declares, or one the reader does not support.",
  CSV_RAGGED_ROW: 'A row has a different number of columns than the header (or than the first row without header).',
  CSV_DUPLICATE_HEADER: 'Two header columns have the same name (duplicateHeaders: suffix renames them).',
  CSV_UNKNOWN_COLUMN: 'A skipWhen rule names a column the header does not have.',
  CSV_PARSE_ERROR: 'Any other parse failure reported by csv-parse (its own code is in details.cause).',
} as const;

export type CsvErrorCode = keyof typeof CSV_ERROR_CODES;
