import { z } from 'zod';

/**
 * Options of the .xlsx reader, as a customer's mapping declares them. Strict: a misspelt key (`headerline`) would
 * otherwise be dropped silently and the title row read as the header.
 */
export const XlsxOptionsSchema = z.strictObject({
  /**
   * The worksheet to read: its name (as on the tab) or its 1-based position among the tabs. Default: the
   * first visible tab, which is what the customer sees when they open the file. An unknown name is
   * XLSX_SHEET_NOT_FOUND, listing the sheets the workbook has.
   */
  sheet: z.union([z.string().min(1), z.number().int().min(1)]).optional(),
  /**
   * Row (1-based) holding the column names; rows above it are skipped (titles, logos, notes). Default 1.
   * 0: no header row, columns are named `col1`, `col2`, ... as for CSV files without a header.
   */
  headerLine: z.number().int().min(0).default(1),
  /** Skip rows whose cells are all empty (default true); false gives them as records of empty strings. */
  skipEmptyRows: z.boolean().default(true),
});

/** Options as written in a mapping (defaults may be left out). */
export type XlsxOptionsInput = z.input<typeof XlsxOptionsSchema>;
/** Options after validation, every default filled in. */
export type XlsxOptions = z.output<typeof XlsxOptionsSchema>;
