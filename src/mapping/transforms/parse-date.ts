import { DateTime, IANAZone } from 'luxon';
import { z } from 'zod';
import { asText, ConfigProblem, TransformError, type DateOutput, type TransformDefinition } from './transform-definition.ts';

const formats = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

export const DateOptionsSchema = z.union([
  formats.describe('Input format(s), luxon tokens: "dd.MM.yyyy", "MM/dd/yy HH:mm", "yyyyMMdd" (X12 CCYYMMDD).'),
  z.strictObject({
    /** Input format(s), tried in order (luxon tokens). Default: ISO 8601. */
    format: formats.optional().describe('Input format(s), tried in order (luxon tokens). Default: ISO 8601.'),
    /** IANA zone the file's times are in. Default: the customer\'s timeZone, else UTC. */
    zone: z.string().optional().describe("IANA zone the file's times are in. Default: the customer's timeZone, else UTC."),
    /**
     * `date` gives yyyy-MM-dd, `datetime` gives ISO 8601 in UTC; `auto` (default) gives a date when the format has
     * no time of day.
     */
    output: z
      .enum(['auto', 'date', 'datetime'])
      .optional()
      .describe('date → yyyy-MM-dd; datetime → ISO 8601 UTC; auto (default): date when the format has no time of day.'),
  }),
]);
export type DateOptions = z.infer<typeof DateOptionsSchema>;

// Luxon tokens for a time of day; quoted literals ('T') are removed before looking.
const TIME_TOKENS = /[HhmsSaTtk]/;

function hasTimeOfDay(format: string): boolean {
  return TIME_TOKENS.test(format.replace(/'[^']*'/g, ''));
}

interface Parser {
  format: string;
  parse(text: string, zone: string): DateTime;
  withTime: boolean;
  /**
   * Same result as parse + output without luxon, for all-numeric formats (the common case): the text, null when
   * the value is not a valid date, undefined when luxon must decide (hour 24, which luxon rolls to the next day).
   */
  fast?: (text: string, asDate: boolean, zone: string) => string | null | undefined;
}

function parserFor(format: string | undefined): Parser {
  if (format === undefined) {
    return {
      format: 'ISO 8601',
      withTime: true,
      parse: (text, zone) => DateTime.fromISO(text, { zone }),
    };
  }
  // A TokenParser is built once per format: luxon's fromFormat re-tokenises the format on every call.
  const tokens = DateTime.buildFormatParser(format, { locale: 'en-US' });
  const fast = numericParser(format);
  return {
    format,
    withTime: hasTimeOfDay(format),
    parse: (text, zone) => DateTime.fromFormatParser(text, tokens, { locale: 'en-US', zone }),
    ...(fast ? { fast } : {}),
  };
}

const NUMERIC_TOKENS: Record<string, [pattern: string, unit: 'year' | 'year2' | 'month' | 'day' | 'hour' | 'minute' | 'second']> = {
  yyyy: ['(\\d{4})', 'year'],
  yy: ['(\\d{2})', 'year2'],
  MM: ['(\\d{2})', 'month'],
  M: ['(\\d{1,2})', 'month'],
  dd: ['(\\d{2})', 'day'],
  d: ['(\\d{1,2})', 'day'],
  HH: ['(\\d{2})', 'hour'],
  H: ['(\\d{1,2})', 'hour'],
  mm: ['(\\d{2})', 'minute'],
  ss: ['(\\d{2})', 'second'],
};
// A luxon token is a run of one letter, and its length matters: MM is a month number, MMM a month name.
const TOKEN = /([A-Za-z])\1*/y;

const DAYS_IN_MONTH = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));

/**
 * Luxon spends ~25 µs per parse, which alone would cap a mapping at ~40k dated records per second; formats made
 * only of numeric tokens and separators (dd.MM.yyyy, yyyyMMdd, MM/dd/yy HH:mm) are read by one regex instead,
 * with luxon's rules (two-digit years 00-60 are 20xx, as luxon's twoDigitCutoffYear) and luxon only for the
 * zone conversion of date-times outside UTC (memoised: files repeat their timestamps).
 */
function numericParser(format: string): Parser['fast'] {
  let regex = '^';
  const units: string[] = [];
  for (let i = 0; i < format.length; ) {
    TOKEN.lastIndex = i;
    const m = TOKEN.exec(format);
    if (m) {
      const token = NUMERIC_TOKENS[m[0]];
      if (!token) return undefined; // a name (MMM, EEE), a zone or another non-numeric token: leave it to luxon
      regex += token[0];
      units.push(token[1]);
      i += m[0].length;
      continue;
    }
    const c = format[i]!;
    if (c === "'") return undefined; // a quoted literal: leave it to luxon
    regex += c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
    i++;
  }
  if (!units.includes('year') && !units.includes('year2')) return undefined;
  const re = new RegExp(`${regex}$`);
  const zoned = new Map<string, string | null>();
  return (text, asDate, zone) => {
    const m = re.exec(text);
    if (!m) return null;
    let year = 0;
    let month = 1;
    let day = 1;
    let hour = 0;
    let minute = 0;
    let second = 0;
    for (let k = 0; k < units.length; k++) {
      const n = Number(m[k + 1]);
      switch (units[k]) {
        case 'year': year = n; break;
        case 'year2': year = n > 60 ? 1900 + n : 2000 + n; break;
        case 'month': month = n; break;
        case 'day': day = n; break;
        case 'hour': hour = n; break;
        case 'minute': minute = n; break;
        case 'second': second = n; break;
      }
    }
    const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
    const daysInMonth = month === 2 ? (leap ? 29 : 28) : DAYS_IN_MONTH[month] ?? 0;
    if (hour === 24) return undefined;
    if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 24 || minute > 59 || second > 59) return null;
    if (asDate) return `${year}-${pad2(month)}-${pad2(day)}`;
    if (zone === 'UTC') {
      return `${new Date(Date.UTC(year, month - 1, day, hour, minute, second)).toISOString().slice(0, 19)}Z`;
    }
    const cached = zoned.get(text);
    if (cached !== undefined) return cached;
    const dt = DateTime.fromObject({ year, month, day, hour, minute, second }, { zone });
    const iso = dt.isValid ? dt.toUTC().toISO({ suppressMilliseconds: true }) : null;
    if (zoned.size >= 10_000) zoned.clear();
    zoned.set(text, iso);
    return iso;
  };
}

/**
 * Tokens that look right but mean something else in luxon (moment.js and Java habits), found when compiling: `mm`
 * is minutes, so "dd/mm/yyyy" would read "03/04/2025" as 3 January, 00:04 — a wrong date, not an error.
 */
function misreadToken(format: string): string | undefined {
  const parts: { text: string; token: boolean }[] = [];
  for (let i = 0; i < format.length; ) {
    if (format[i] === "'") {
      const end = format.indexOf("'", i + 1);
      const next = end < 0 ? format.length : end + 1;
      parts.push({ text: format.slice(i, next), token: false });
      i = next;
      continue;
    }
    TOKEN.lastIndex = i;
    const m = TOKEN.exec(format);
    parts.push({ text: m ? m[0] : format[i]!, token: Boolean(m) });
    i += m ? m[0].length : 1;
  }
  const tokens = parts.filter((p) => p.token).map((p) => p.text);
  const hasHour = tokens.some((t) => /^[Hhk]/.test(t));
  const problems: string[] = [];
  const fixed = parts.map(({ text, token }) => {
    if (!token) return text;
    if (text[0] === 'Y') {
      problems.push(`"${text}" is not a year`);
      return text.replace(/Y/g, 'y');
    }
    if (text[0] === 'D' && text.length <= 2) {
      problems.push(`"${text}" is a localized date, not the day of the month`);
      return text.replace(/D/g, 'd');
    }
    if (text[0] === 'm' && !hasHour) {
      problems.push(`"${text}" is minutes (the format has no hour), not the month`);
      return text.replace(/m/g, 'M');
    }
    return text;
  });
  if (problems.length === 0) return undefined;
  return `${problems.join('; ')}; did you mean ${JSON.stringify(fixed.join(''))}?`;
}

type DateOptionsObject = Exclude<DateOptions, string | string[]>;

function longForm(options: DateOptions | undefined): DateOptionsObject {
  return typeof options === 'string' || Array.isArray(options) ? { format: options } : (options ?? {});
}

/**
 * ISO 8601 input (no format) with output auto decides per value ("2025-04-01" gives a date, "2025-04-01T08:00"
 * a date-time), so only a format without a time of day, or output: date, is known to give a date alone.
 */
function dateOutput(options: DateOptions | undefined): DateOutput {
  const full = longForm(options);
  const zone = full.zone === undefined ? {} : { zone: full.zone };
  const output = full.output ?? 'auto';
  if (output === 'datetime') return zone;
  const formats = full.format === undefined ? [] : [full.format].flat();
  const fixed = [
    ...(formats.length > 0 ? [`format: ${JSON.stringify(formats.length === 1 ? formats[0] : formats)}`] : []),
    ...(full.zone === undefined ? [] : [`zone: ${full.zone}`]),
    'output: datetime',
  ];
  const fix = `{ date: { ${fixed.join(', ')} } }`;
  if (output === 'date') return { ...zone, dateOnly: { why: 'output: date gives a date alone', fix } };
  const dateOnly = formats.find((format) => !hasTimeOfDay(format));
  return dateOnly === undefined ? zone : { ...zone, dateOnly: { why: `date format ${JSON.stringify(dateOnly)} has no time of day`, fix } };
}

export const parseDate: TransformDefinition<DateOptions> = {
  name: 'date',
  summary:
    'Text to a date (yyyy-MM-dd) or a date-time (ISO 8601 UTC), from one or more formats in a time zone; two-digit years 00–60 are 20xx.',
  options: DateOptionsSchema,
  bare: true,
  elementwise: true,
  compile(options, context) {
    const full = longForm(options);
    const zone = full.zone ?? context.timeZone;
    if (!IANAZone.isValidZone(zone)) {
      throw new ConfigProblem(
        'MAPPING_BAD_TIME_ZONE',
        `unknown time zone ${JSON.stringify(zone)}; use an IANA name such as "Europe/Berlin" or "America/Chicago"`,
        full.zone === undefined ? [] : typeof options === 'object' && !Array.isArray(options) ? ['zone'] : [],
      );
    }
    const list = full.format === undefined ? [undefined] : Array.isArray(full.format) ? full.format : [full.format];
    list.forEach((format, i) => {
      const problem = format === undefined ? undefined : misreadToken(format);
      if (!problem) return;
      const inObject = typeof options === 'object' && !Array.isArray(options);
      const at = Array.isArray(full.format) ? [i] : [];
      throw new ConfigProblem('MAPPING_BAD_DATE_FORMAT', `date format ${JSON.stringify(format)} does not mean what it looks like in luxon: ${problem}`, inObject ? ['format', ...at] : at);
    });
    const parsers = list.map(parserFor);
    const output = full.output ?? 'auto';
    const expected = parsers.map((p) => p.format).join(' or ');
    return (value) => {
      const text = asText(value).trim();
      for (const parser of parsers) {
        if (parser.fast) {
          const asDate = output === 'date' || (output === 'auto' && !parser.withTime);
          const result = parser.fast(text, asDate, zone);
          if (result === null) continue;
          if (result !== undefined) return result;
        }
        const dt = parser.parse(text, zone);
        if (!dt.isValid) continue;
        const asDate = output === 'date' || (output === 'auto' && (parser.format === 'ISO 8601' ? text.length <= 10 : !parser.withTime));
        return asDate ? dt.toFormat('yyyy-MM-dd') : dt.toUTC().toISO({ suppressMilliseconds: true });
      }
      throw new TransformError('MAPPING_BAD_DATE', `expected a date like ${expected}, got ${JSON.stringify(text)}`);
    };
  },
  dates: dateOutput,
};
