export { readCsv, readCsvSync } from './read-csv.ts';
export { CsvReader } from './csv-reader.ts';
export { sniffDelimiter } from './sniff-delimiter.ts';
export { detectEncoding } from '../text-encoding.ts';
export { CsvOptionsSchema, CsvSkipRuleSchema, resolveCsvOptions, CSV_DELIMITERS } from './csv-options.ts';
export type { CsvOptions, ResolvedCsvOptions, CsvDelimiter } from './csv-options.ts';
export { CSV_ERROR_CODES } from './csv-error-codes.ts';
export type { CsvErrorCode } from './csv-error-codes.ts';
