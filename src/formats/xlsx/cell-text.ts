/**
 * A stored cell's value as the string a record carries. Records hold strings only (typing is the mapping's job),
 * so this is where a spreadsheet's types become text, once and the same way for every customer:
 * - numbers: plain decimal text without exponent. Integers keep every digit the file stores (an 18-digit SSCC
 *   stored as a number stays exact). Fractions are rounded to 15 significant digits (what Excel itself shows),
 *   so binary float noise like 0.30000000000000004 reads `0.3`, unless the file stores more digits than a double
 *   keeps (another program wrote them, not Excel): then they are given as stored, never altered;
 * - dates: ISO 8601, `2026-03-05` for whole days, `2026-03-05T14:30:00` otherwise, `14:30:00` for a time
 *   alone. Excel stores wall-clock time with no zone, so no zone is added; seconds are rounded, because a
 *   float day fraction rarely lands on an exact second. A number is a date when its format is a date format;
 *   a `t="d"` cell holds its ISO 8601 text, read the same way;
 * - booleans `true`/`false`; strings (rich text included) as their text; formulas as their cached result (the
 *   reader refuses a formula stored without one: its value is unknown, not empty); error cells and error
 *   results as the error text (`#N/A`), so a mapping that needs a number says what it got.
 * The display format is not applied: a cell formatted as `0.0%` holding 0.15 reads `0.15`.
 */

/** Serial day 0 of the 1900 date system is 1899-12-30 (Excel's 1900 leap-year bug is built into the epoch). */
const EPOCH_1900_MS = Date.UTC(1899, 11, 30);
const EPOCH_1904_MS = Date.UTC(1904, 0, 1);
const DAY_MS = 86_400_000;

export interface CellContext {
  /** The cell's number format (`mm-dd-yy`, `0.00`, ...), to tell a date from a number. */
  numFmt?: string | undefined;
  /** The workbook uses the 1904 date system (old Mac workbooks). */
  date1904?: boolean | undefined;
}

/**
 * The text of a cell of type `type` (ECMA-376 ST_CellType) storing `stored`; a shared-string cell's text is the
 * string itself, which the reader looks up.
 */
export function cellText(type: string, stored: string | undefined, context: CellContext = {}): string {
  if (stored === undefined) return '';
  switch (type) {
    case 'inlineStr':
    case 'str':
    case 'e':
      return stored;
    case 'b':
      return stored.trim() === '1' ? 'true' : stored.trim() === '0' ? 'false' : stored;
    case 'd':
      return isoDateText(stored);
    default:
      return isDateFormat(context.numFmt) && decimalOf(stored.trim()) ? serialText(Number(stored), context.date1904) : numberText(stored);
  }
}

/** A decimal as digits without leading or trailing zeros, and where its point goes (`12.5` is `125`, 2). */
interface Decimal {
  negative: boolean;
  digits: string;
  point: number;
}

function decimalOf(text: string): Decimal | undefined {
  const match = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!match) return undefined;
  const [, sign = '', whole = '', fraction = '', exponent = '0'] = match;
  if (whole === '' && fraction === '') return undefined;
  const all = whole + fraction;
  const leading = all.length - all.replace(/^0+/, '').length;
  const digits = all.slice(leading).replace(/0+$/, '');
  return { negative: sign === '-' && digits !== '', digits, point: whole.length + Number(exponent) - leading };
}

function plainText({ negative, digits, point }: Decimal): string {
  let text: string;
  if (digits === '') text = '0';
  else if (point <= 0) text = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) text = digits + '0'.repeat(point - digits.length);
  else text = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return negative ? `-${text}` : text;
}

/** A stored number as plain decimal text (see the rules above); text that is not a number is given as stored. */
export function numberText(stored: string): string {
  const text = stored.trim();
  const decimal = decimalOf(text);
  if (!decimal) return text;
  if (decimal.point >= decimal.digits.length || decimal.digits.length <= 15) return plainText(decimal);
  const value = Number(text);
  // toExponential() without a precision gives the fewest digits that identify the double: when the file stores
  // other digits than those, they are more than a double keeps, and rounding would alter them.
  if (decimalOf(value.toExponential())?.digits !== decimal.digits) return plainText(decimal);
  return plainText(decimalOf(value.toExponential(14)) ?? decimal);
}

/** A Date whose UTC fields are Excel's wall-clock fields. */
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

/** A `t="d"` cell's ISO 8601 text. One with a zone or in another shape is not Excel's: it is kept as stored. */
function isoDateText(stored: string): string {
  const text = stored.trim();
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) return dateText(new Date(`${text}T00:00:00Z`));
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text)) return dateText(new Date(`${text}Z`));
  return text;
}

function serialText(serial: number, date1904: boolean | undefined): string {
  const epoch = date1904 ? EPOCH_1904_MS : EPOCH_1900_MS;
  const ms = Math.round(serial * DAY_MS);
  if (!date1904 && ms >= 0 && ms < DAY_MS) return dateText(new Date(EPOCH_1900_MS + ms));
  return dateText(new Date(epoch + ms));
}

/**
 * Excel's rule (the one exceljs applies too): a format is a date format when, outside quoted text
 * and [bracketed] parts (colours, locales, elapsed-time markers aside), it holds y, m, d, h or s.
 */
export function isDateFormat(format: string | undefined): boolean {
  if (!format) return false;
  if (/\[(h+|m+|s+)\]/i.test(format)) return true;
  const bare = format.replace(/\[[^\]]*]/g, '').replace(/"[^"]*"/g, '').replace(/\\./g, '');
  return /[ymdhs]/i.test(bare) && !/^general$/i.test(bare.trim());
}
