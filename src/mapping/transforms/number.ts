import { z } from 'zod';
import { asText, TransformError, type TransformDefinition } from './transform-definition.ts';

export const NumberOptionsSchema = z.strictObject({
  /** `1.234,5` style: comma is the decimal mark, dot (or space, apostrophe) groups thousands. Default false. */
  decimalComma: z
    .boolean()
    .optional()
    .describe('Comma is the decimal mark and dot groups thousands ("1.234,5"). Default false.'),
});
export type NumberOptions = z.infer<typeof NumberOptionsSchema>;

// Thousands groups must be groups of three: "1,5" is refused rather than read as 15, because a file with
// decimal commas mapped without `decimalComma` must fail loudly, not multiply quantities by ten. For the same
// reason the first group never starts with 0: "0,250" is a quarter written with a decimal comma, not 250.
const PLAIN = /^[+-]?(\d+\.?\d*|\.\d+)$/;
const GROUPED_POINT = /^[+-]?[1-9]\d{0,2}([, '\u00a0]\d{3})+(\.\d*)?$/;
const GROUPED_COMMA = /^[+-]?[1-9]\d{0,2}([. '\u00a0]\d{3})+(,\d*)?$/;
const PLAIN_COMMA = /^[+-]?(\d+,?\d*|,\d+)$/;

/** Reads a decimal number from text; undefined when it is not one. Shared by `number` and `integer`. */
export function readNumber(text: string, decimalComma: boolean): number | undefined {
  const s = text.trim();
  let normal: string | undefined;
  if (decimalComma) {
    if (PLAIN_COMMA.test(s)) normal = s.replace(',', '.');
    else if (GROUPED_COMMA.test(s)) normal = s.replace(/[. '\u00a0]/g, '').replace(',', '.');
  } else if (PLAIN.test(s)) normal = s;
  else if (GROUPED_POINT.test(s)) normal = s.replace(/[, '\u00a0]/g, '');
  if (normal === undefined) return undefined;
  const n = Number(normal);
  return Number.isFinite(n) ? n : undefined;
}

export function notANumber(text: string, decimalComma: boolean): TransformError {
  // A value the other decimal mark reads is most likely a mapping set for the wrong one.
  const otherMark = readNumber(text, !decimalComma) !== undefined;
  const hint = !otherMark
    ? ''
    : decimalComma
      ? ' (if dot is the decimal mark, remove decimalComma: true)'
      : ' (if comma is the decimal mark, set number: { decimalComma: true })';
  return new TransformError('MAPPING_NOT_A_NUMBER', `expected a number, got ${JSON.stringify(text)}${hint}`);
}

export const number: TransformDefinition<NumberOptions> = {
  name: 'number',
  summary: 'Text to a number; thousands separators allowed in groups of three; `decimalComma: true` for "1.234,5".',
  options: NumberOptionsSchema,
  bare: true,
  elementwise: true,
  compile(options) {
    const decimalComma = options?.decimalComma ?? false;
    return (value) => {
      if (typeof value === 'number') return value;
      const text = asText(value);
      const n = readNumber(text, decimalComma);
      if (n === undefined) throw notANumber(text, decimalComma);
      return n;
    };
  },
};
