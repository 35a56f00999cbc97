import { DateTime, IANAZone } from 'luxon';
import { z } from 'zod';
import { asText, ConfigProblem, TransformError, type TransformDefinition } from './transform-definition.ts';

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
  return {
    format,
    withTime: hasTimeOfDay(format),
    parse: (text, zone) => DateTime.fromFormatParser(text, tokens, { locale: 'en-US', zone }),
  };
}

export const parseDate: TransformDefinition<DateOptions> = {
  name: 'date',
  summary:
    'Text to a date (yyyy-MM-dd) or a date-time (ISO 8601 UTC), from one or more formats in a time zone; two-digit years 00–59 are 20xx.',
  options: DateOptionsSchema,
  bare: true,
  elementwise: true,
  compile(options, context) {
    const full = typeof options === 'string' || Array.isArray(options) ? { format: options } : (options ?? {});
    const zone = full.zone ?? context.timeZone;
    if (!IANAZone.isValidZone(zone)) {
      throw new ConfigProblem(
        'MAPPING_BAD_TIME_ZONE',
        `unknown time zone ${JSON.stringify(zone)}; use an IANA name such as "Europe/Berlin" or "America/Chicago"`,
        full.zone === undefined ? [] : typeof options === 'object' && !Array.isArray(options) ? ['zone'] : [],
      );
    }
    const list = full.format === undefined ? [undefined] : Array.isArray(full.format) ? full.format : [full.format];
    const parsers = list.map(parserFor);
    const output = full.output ?? 'auto';
    const expected = parsers.map((p) => p.format).join(' or ');
    return (value) => {
      const text = asText(value).trim();
      for (const parser of parsers) {
        const dt = parser.parse(text, zone);
        if (!dt.isValid) continue;
        const asDate = output === 'date' || (output === 'auto' && (parser.format === 'ISO 8601' ? text.length <= 10 : !parser.withTime));
        return asDate ? dt.toFormat('yyyy-MM-dd') : dt.toUTC().toISO({ suppressMilliseconds: true });
      }
      throw new TransformError('MAPPING_BAD_DATE', `expected a date like ${expected}, got ${JSON.stringify(text)}`);
    };
  },
};
