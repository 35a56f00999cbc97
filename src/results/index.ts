export * from './file-outcome.ts';
export { renderResultCsv, csvCell, fileLevelError, RESULT_CSV_COLUMNS, type ResultCsvOptions } from './result-csv.ts';
export { renderResultJson, RESULT_JSON_VERSION } from './result-json.ts';
export { resultFileNames, type ResultFileNames } from './result-file-names.ts';
export * from './ack-997.ts';
