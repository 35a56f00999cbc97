import { z } from 'zod';
import { IntakeError } from '../../errors/intake-error.ts';
import { TEXT_ENCODINGS, TEXT_ENCODING_ALIASES } from '../text-encoding.ts';

export const CSV_DELIMITERS = [',', ';', '\t', '|'] as const;
export type CsvDelimiter = (typeof CSV_DELIMITERS)[number];

/** Spelled-out names, because a literal tab is easy to lose in a YAML mapping. */
const DELIMITER_ALIASES: Readonly<Record<string, CsvDelimiter>> = {
  comma: ',',
  semicolon: ';',
  tab: '\t',
  '\\t': '\t',
  pipe: '|',
};

const EncodingSchema = z.preprocess(
  (value) => (typeof value === 'string' ? (TEXT_ENCODING_ALIASES[value.trim().toLowerCase()] ?? value) : value),
  z.enum(['auto', ...TEXT_ENCODINGS]),
);

const DelimiterSchema = z.preprocess(
  (value) => (typeof value === 'string' ? (DELIMITER_ALIASES[value.toLowerCase()] ?? value) : value),
  z.enum(['auto', ...CSV_DELIMITERS]),
);

const PatternSchema = z.string().superRefine((source, ctx) => {
  try {
    new RegExp(source);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: `not a valid regular expression: ${(error as Error).message}` });
  }
});

/**
 * A rule that drops a data row before it becomes a record: trailer rows (`TOTAL,1234`), page footers, comment
 * lines. It is checked before the column count, because trailers rarely have as many columns as the data.
 */
export const CsvSkipRuleSchema = z.strictObject({
  /**
   * The column to test: a header name, or a 0-based position. Default 0, the raw first field (which is where
   * trailer markers live, and which exists even in rows too short to be data).
   */
  column: z.union([z.number().int().min(0), z.string().min(1)]).default(0).describe('Header name or 0-based position; default 0'),
  /** A JavaScript regular expression tested against the field's value as read (not trimmed), e.g. `"^TOTAL"`. */
  matches: PatternSchema.describe('Regular expression the value must match for the row to be skipped'),
});

const CsvOptionsObject = z.strictObject({
  /**
   * Encoding of the file's bytes. Default `auto`: a BOM decides (UTF-8, UTF-16 LE/BE), else valid UTF-8 is
   * UTF-8 and anything else Windows-1252; an auto-detected UTF-8 file whose first non-ASCII byte is not UTF-8
   * switches to Windows-1252.
   *
   * A declared encoding is a default, not an order, in two cases. A UTF-8 or UTF-16 BOM decides whatever is
   * declared. A declared single-byte encoding (`windows-1252`, `iso-8859-1`) applies only when the bytes are
   * not valid UTF-8: valid multi-byte UTF-8 practically never occurs in real Windows-1252 text, so a file
   * re-saved as UTF-8 is read as UTF-8 (instead of `Empfänger` turning into `EmpfÃ¤nger`), and a file whose
   * first non-ASCII byte is not UTF-8 switches to the declared encoding. Otherwise bytes the encoding cannot
   * decode are `CSV_BAD_ENCODING`.
   *
   * A file that mixes UTF-8 with a single-byte encoding is `CSV_BAD_ENCODING` wherever its two parts are: read
   * as UTF-8, at its first byte that is not UTF-8; read as Windows-1252 or ISO-8859-1, at its first multi-byte
   * UTF-8 character.
   */
  encoding: EncodingSchema.default('auto').describe('auto | utf-8 | utf-16le | utf-16be | windows-1252 | iso-8859-1'),
  /**
   * Field delimiter. Default `auto`: sniffed from the first 64 KB (after `skipLines`), counting only
   * delimiters outside quotes; one of `,` `;` tab `|` (or `comma`, `semicolon`, `tab`, `pipe`).
   *
   * A file whose first line is exactly `sep=X` (Excel writes and reads it) is read with X as the delimiter, and
   * that line is not data (whether or not `skipLines` covers it; line numbers stay the file's). A declared
   * delimiter other than X, or an X that is not one of the four, is `CSV_DELIMITER_CONFLICT`.
   */
  delimiter: DelimiterSchema.default('auto').describe('auto | , | ; | tab | |'),
  /**
   * Whether the first row (after `skipLines` and blank lines) names the columns. Default true. Without a header,
   * fields are named `col1`, `col2`, ... and the first row fixes the column count.
   */
  header: z.boolean().default(true).describe('First row names the columns; default true'),
  /**
   * 1-based physical line of the header row; the lines before it are skipped unread (report titles, export
   * banners: they may hold stray quotes, so they are not parsed). Same as `skipLines: headerLine - 1`.
   * Default 1. Only with `header: true`.
   */
  headerLine: z.number().int().min(1).optional().describe('1-based line of the header row; default 1'),
  /**
   * Physical lines skipped unread before the first row (the header, or data with `header: false`). Default 0,
   * or `headerLine - 1`.
   */
  skipLines: z.number().int().min(0).optional().describe('Lines skipped before the first row; default 0'),
  /** Rows dropped by rule (trailers, footers): one rule or a list, any match drops the row. Default none. */
  skipWhen: z.union([CsvSkipRuleSchema, z.array(CsvSkipRuleSchema)]).optional().describe('Rules dropping data rows'),
  /**
   * What to do when two header names are the same after trimming. Default `error` (`CSV_DUPLICATE_HEADER`):
   * a mapping that reads `Qty` cannot know which one it got. `suffix` renames the later ones `Qty_2`, `Qty_3`.
   * Empty header names are never an error: they become `colN` (N the 1-based position).
   */
  duplicateHeaders: z.enum(['error', 'suffix']).default('error').describe('error | suffix; default error'),
  /**
   * Accept rows whose column count differs from the header's. Default false (`CSV_RAGGED_ROW`). When true,
   * missing fields read as `""` and extra fields are kept as `colN` (N the 1-based position), never dropped:
   * when the header already names a column `colN`, the extra field is `colN_2` (or `_3`, ... as for
   * `duplicateHeaders: suffix`).
   */
  relaxColumnCount: z.boolean().default(false).describe('Accept rows with too few or too many columns; default false'),
  /**
   * Accept quotes csv-parse would reject: a quote inside an unquoted field (`5" bolt`) is kept as a character,
   * and a closing quote followed by text is kept too. Default false (`CSV_INVALID_OPENING_QUOTE`,
   * `CSV_INVALID_CLOSING_QUOTE`), because guessing hides real damage such as a field that lost its comma.
   */
  relaxQuotes: z.boolean().default(false).describe('Keep stray quotes as text; default false'),
  /**
   * Largest record in bytes (UTF-8). Default 1 MiB. Bounds memory: a quote that is never closed would
   * otherwise make the rest of the file one field.
   */
  maxRecordBytes: z.number().int().min(1024).default(1 << 20).describe('Largest record in bytes; default 1048576'),
});

/** A skip rule, compiled. */
export interface ResolvedSkipRule {
  column: number | string;
  pattern: RegExp;
}

/**
 * The CSV reader's options: what a mapping's `format: csv` block may say. Parsed once by `resolveCsvOptions`
 * into a complete object, so the reader never looks at a default again.
 */
export const CsvOptionsSchema = CsvOptionsObject.superRefine((o, ctx) => {
  if (o.headerLine !== undefined && !o.header) {
    ctx.addIssue({ code: 'custom', path: ['headerLine'], message: 'headerLine needs header: true; use skipLines to skip lines before data' });
  }
  if (o.headerLine !== undefined && o.skipLines !== undefined && o.skipLines !== o.headerLine - 1) {
    ctx.addIssue({
      code: 'custom',
      path: ['skipLines'],
      message: `skipLines ${o.skipLines} contradicts headerLine ${o.headerLine}; give one of them`,
    });
  }
}).transform((o) => ({
  encoding: o.encoding,
  delimiter: o.delimiter,
  header: o.header,
  skipLines: o.skipLines ?? (o.headerLine !== undefined ? o.headerLine - 1 : 0),
  skipWhen: (o.skipWhen === undefined ? [] : Array.isArray(o.skipWhen) ? o.skipWhen : [o.skipWhen]).map(
    (rule): ResolvedSkipRule => ({ column: rule.column, pattern: new RegExp(rule.matches) }),
  ),
  duplicateHeaders: o.duplicateHeaders,
  relaxColumnCount: o.relaxColumnCount,
  relaxQuotes: o.relaxQuotes,
  maxRecordBytes: o.maxRecordBytes,
}));

export type CsvOptions = z.input<typeof CsvOptionsSchema>;
export type ResolvedCsvOptions = z.output<typeof CsvOptionsSchema>;

/** Validates and completes options; a mistake is `CSV_INVALID_OPTIONS` naming the option. */
export function resolveCsvOptions(options: CsvOptions): ResolvedCsvOptions {
  const parsed = CsvOptionsSchema.safeParse(options);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const path = issue.path.join('.');
  throw IntakeError.of(
    'CSV_INVALID_OPTIONS',
    `CSV option ${path || '(options)'}: ${issue.message}`,
    path ? { field: path } : {},
    { issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) },
  );
}
