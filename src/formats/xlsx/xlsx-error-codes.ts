/** Every error code the .xlsx reader raises, with what it means for the customer (docs are generated from it). */
export const XLSX_ERROR_CODES = {
  XLSX_INVALID_OPTIONS: 'The spreadsheet options in the mapping are not valid.',
  XLSX_EMPTY_FILE: 'The file is empty (0 bytes).',
  XLSX_OLD_XLS_FORMAT: 'An Excel 97-2003 .xls file (or a password-protected workbook): save it as .xlsx.',
  XLSX_NOT_A_WORKBOOK: 'The file is not an .xlsx workbook (a CSV, an HTML page, an OpenDocument file, another zip).',
  XLSX_DAMAGED_WORKBOOK: 'The file starts like an .xlsx workbook but cannot be read to the end (truncated or damaged).',
  XLSX_NO_SHEET_LIST: 'A workbook without its list of sheets (xl/workbook.xml): damaged, or not written by a spreadsheet program; saving it again in Excel fixes it.',
  XLSX_TOO_MANY_STRINGS: "The workbook's table of texts needs more memory than a file may take (a few MB can hold millions of empty texts): split it, or send CSV.",
  XLSX_TOO_LARGE: 'The sheet goes beyond what Excel allows or this reader holds: a row past 1,048,576, a column past XFD, a cell of more than 1 Mi characters, XML nested too deep, a part of the zip unpacking to more than 200 times its size (a zip bomb) or all of them to more than 4 GiB.',
  XLSX_SHEET_NOT_FOUND: 'The sheet named in the mapping is not in the workbook.',
  XLSX_MISSING_HEADER: 'The header row named in the mapping is empty or missing.',
  XLSX_DUPLICATE_COLUMN: 'Two columns of the header row have the same name.',
  XLSX_FORMULA_NOT_CALCULATED:
    'A cell read holds a formula without its calculated value (a workbook written by a program, never opened in a spreadsheet): its value is unknown, not empty. Opening it in Excel or LibreOffice and saving it again stores the values.',
} as const;

export type XlsxErrorCode = keyof typeof XLSX_ERROR_CODES;
