import { describePlace, type IntakeErrorValue } from '../errors/intake-error.ts';
import { describeSource, FileOutcomeSchema, summariseEntities, type FileOutcome, type FileOutcomeInput } from './file-outcome.ts';

/**
 * The result CSV a customer opens in a spreadsheet.
 *
 * Decisions:
 * - RFC 4180: comma separated, CRLF line ends, a cell is quoted only when it holds a comma, a quote, CR or LF,
 *   and quotes inside are doubled.
 * - UTF-8 with a byte-order mark by default: without it Excel reads UTF-8 as the local ANSI code page and turns
 *   "Müller" into "MÃ¼ller". csv-parse (`bom: true`), pandas and most loaders skip it; `bom: false` drops it for
 *   a customer whose loader does not.
 * - Spreadsheet formula injection (OWASP "CSV Injection"): a cell that starts with `=`, `+`, `-`, `@`, TAB or CR
 *   gets a leading `'`, so a spreadsheet shows it as text instead of running it. Order numbers and engine
 *   messages echo customer data, so every text cell is treated this way, headers included. Their full-width forms
 *   `＝＋－＠` too: Excel in East Asian locales converts full-width input to half-width, so `＝１＋１` typed into a
 *   cell there becomes a formula; that a CSV cell goes the same way is not documented either way, and a needless
 *   `'` before a rare full-width sign costs far less than a formula that runs.
 * - Rows: a file-level row first when the file failed as a whole (it explains why documents below are SKIPPED),
 *   then one row per document in index order. On the file row `document_index` is empty and `outcome` holds the
 *   file's state.
 */
export interface ResultCsvOptions {
  /** Start with a UTF-8 byte-order mark. Default true. */
  bom?: boolean;
}

export const RESULT_CSV_COLUMNS = [
  'document_index',
  'source',
  'order_number',
  'outcome',
  'engine_status',
  'created',
  'updated',
  'removed',
  'error_code',
  'error_message',
] as const;

const BOM = '\uFEFF';
const CRLF = '\r\n';

export function renderResultCsv(input: FileOutcomeInput, options: ResultCsvOptions = {}): string {
  const outcome = FileOutcomeSchema.parse(input);
  const rows: string[][] = [[...RESULT_CSV_COLUMNS]];
  const fileError = fileLevelError(outcome);
  if (fileError) {
    rows.push(['', describePlace({ ...fileError.place, file: undefined }), '', outcome.state, '', '', '', '', fileError.code, fileError.message]);
  }
  for (const document of [...outcome.documents].sort((a, b) => a.index - b.index)) {
    rows.push([
      String(document.index),
      describeSource(document.source),
      document.orderNumber,
      document.outcome,
      document.engineStatus === undefined ? '' : String(document.engineStatus),
      summariseEntities(document.created),
      summariseEntities(document.updated),
      summariseEntities(document.removed),
      document.error?.code ?? '',
      document.error?.message ?? '',
    ]);
  }
  const text = rows.map((row) => row.map(csvCell).join(',')).join(CRLF) + CRLF;
  return (options.bom ?? true) ? BOM + text : text;
}

/** What became of the file a DUPLICATE has the same bytes as, when the DUPLICATE's result is written. */
export interface DuplicatedFile {
  state: string;
  final: boolean;
  testMode: boolean;
  /** Its documents, and how many of them the engine accepted. */
  documents: number;
  accepted: number;
}

/**
 * Why a DUPLICATE file was not processed, and what its sender can do about it. It says what became of the
 * original from `original` (its state and what of it was applied), never more: without it, nothing.
 */
export function duplicateFileError(duplicateOf: string, fileName?: string, original?: DuplicatedFile): IntakeErrorValue {
  return {
    code: 'DUPLICATE_FILE',
    message:
      `this file has the same content as file ${duplicateOf}, received earlier${original ? `, ${duplicatedOutcome(original)}` : ''}; this file was not processed again. ` +
      `If this file was meant to be different, correct its content and send it again; if the same content must be applied again, ask your onboarding contact to replay file ${duplicateOf}.`,
    place: fileName === undefined ? {} : { file: fileName },
  };
}

function duplicatedOutcome(original: DuplicatedFile): string {
  const sofar = original.final ? '' : ' so far';
  const applied =
    original.accepted > 0
      ? ` with ${original.accepted} of ${original.documents} document${original.documents === 1 ? '' : 's'} applied${sofar}`
      : `${original.testMode ? ', validated in test mode,' : ''} with nothing applied${sofar}`;
  return `${original.final ? `which ended ${original.state}` : `which is still being processed (${original.state})`}${applied}`;
}

/**
 * The file-level row: the recorded error, or for a file that ended REJECTED/FAILED/DUPLICATE without one, a
 * stated reason, so no customer ever receives a result that is only a header.
 */
export function fileLevelError(outcome: FileOutcome): IntakeErrorValue | undefined {
  if (outcome.error) return outcome.error;
  if (outcome.state === 'DUPLICATE') return { code: 'DUPLICATE_FILE', message: 'this file was received before; it was not processed again', place: {} };
  if (outcome.state === 'REJECTED' && outcome.documents.length === 0) return { code: 'FILE_REJECTED', message: 'the file was rejected', place: {} };
  if (outcome.state === 'FAILED' && outcome.documents.length === 0) return { code: 'FILE_FAILED', message: 'the file could not be processed', place: {} };
  return undefined;
}

const FORMULA_START = /^[=+\-@\t\r＝＋－＠]/;
const NEEDS_QUOTES = /[",\r\n]/;

/** One cell: formula-neutralised, then quoted per RFC 4180 when needed. */
export function csvCell(value: string): string {
  const neutral = FORMULA_START.test(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(neutral) ? `"${neutral.replace(/"/g, '""')}"` : neutral;
}
