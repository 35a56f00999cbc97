/**
 * A cell's value as the string a record carries. Records hold strings only (typing is the mapping's job), so
 * this is where a spreadsheet's types become text, once and the same way for every customer:
 * - numbers: plain decimal text without exponent, rounded to 15 significant digits (what Excel itself shows),
 *   so binary float noise like 0.30000000000000004 reads `0.3`; safe integers stay exact;
 * - dates: ISO 8601, `2026-03-05` for whole days, `2026-03-05T14:30:00` otherwise, `14:30:00` for a time
 *   alone. Excel stores wall-clock time with no zone, so no zone is added; seconds are rounded, because a
 *   float day fraction rarely lands on an exact second;
 * - booleans `true`/`false`; rich text and hyperlinks as their text; formulas as their cached result;
 *   error cells as the error text (`#N/A`), so a mapping that needs a number says what it got.
 * The display format is not applied: a cell formatted as `0.0%` holding 0.15 reads `0.15`.
 */

/** Serial day 0 of the 1900 date system is 1899-12-30 (Excel's 1900 leap-year bug is built into the epoch). */
const EPOCH_1900_MS = Date.UTC(1899, 11, 30);
const EPOCH_1904_MS = Date.UTC(1904, 0, 1);
const DAY_MS = 86_400_000;

export interface CellContext {
  /** The cell's number format (`mm-dd-yy`, `0.00`, ...), to tell a date from a number in formula results. */
  numFmt?: string | undefined;
  /** The workbook uses the 1904 date system (old Mac workbooks). */
  date1904?: boolean | undefined;
}

export function cellText(value: unknown, context: CellContext = {}): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return isDateFormat(context.numFmt) ? serialText(value, context.date1904) : numberText(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value instanceof Date) return dateText(value);
  if (typeof value === 'object') {
    const object = value as Record<string, unknown>;
    if (Array.isArray(object.richText)) return object.richText.map((run: { text?: unknown }) => (typeof run.text === 'string' ? run.text : '')).join('');
    if ('formula' in object || 'sharedFormula' in object) return formulaText(object.result, context);
    if ('hyperlink' in object || 'text' in object) return cellText(object.text, context);
    if (typeof object.error === 'string') return object.error;
  }
  return String(value);
}

function formulaText(result: unknown, context: CellContext): string {
  // exceljs's streaming reader parses every non-string formula result with parseFloat, so an error result
  // (#DIV/0!) arrives as NaN; an empty string is the honest rendering of "no value".
  if (typeof result === 'number' && Number.isNaN(result)) return '';
  return cellText(result, context);
}

/** Plain decimal text, at most 15 significant digits, no exponent. */
export function numberText(value: number): string {
  if (!Number.isFinite(value)) return '';
  if (Object.is(value, -0)) return '0';
  if (Number.isSafeInteger(value)) return String(value);
  const [mantissa = '0', exponentText = '0'] = value.toExponential(14).split('e');
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace(/^-/, '').replace('.', '');
  const point = Number(exponentText) + 1;
  let text: string;
  if (point <= 0) text = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) text = digits + '0'.repeat(point - digits.length);
  else text = `${digits.slice(0, point)}.${digits.slice(point)}`;
  if (text.includes('.')) text = text.replace(/0+$/, '').replace(/\.$/, '');
  return text === '0' || !negative ? text : `-${text}`;
}

/** exceljs gives dates as Date objects whose UTC fields are Excel's wall-clock fields. */
export function dateText(date: Date): string {
  if (Number.isNaN(date.getTime())) return '';
  const ms = Math.round(date.getTime() / 1000) * 1000;
  const rounded = new Date(ms);
  const iso = rounded.toISOString(); // 2026-03-05T14:30:00.000Z
  const day = iso.slice(0, 10);
  const time = iso.slice(11, 19);
  const sinceEpoch = ms - EPOCH_1900_MS;
  // Serial 0 (1899-12-30): a time of day with no date part.
  if (sinceEpoch >= 0 && sinceEpoch < DAY_MS) return time;
  return time === '00:00:00' ? day : `${day}T${time}`;
}

function serialText(serial: number, date1904: boolean | undefined): string {
  const epoch = date1904 ? EPOCH_1904_MS : EPOCH_1900_MS;
  const ms = Math.round(serial * DAY_MS);
  if (!date1904 && ms >= 0 && ms < DAY_MS) return dateText(new Date(EPOCH_1900_MS + ms));
  return dateText(new Date(epoch + ms));
}

/**
 * Excel's rule, as exceljs applies it to plain cells: a format is a date format when, outside quoted text
 * and [bracketed] parts (colours, locales, elapsed-time markers aside), it holds y, m, d, h or s.
 */
export function isDateFormat(format: string | undefined): boolean {
  if (!format) return false;
  if (/\[(h+|m+|s+)\]/i.test(format)) return true;
  const bare = format.replace(/\[[^\]]*]/g, '').replace(/"[^"]*"/g, '').replace(/\\./g, '');
  return /[ymdhs]/i.test(bare) && !/^general$/i.test(bare.trim());
}
