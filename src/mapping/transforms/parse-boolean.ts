import { z } from 'zod';
import { asText, TransformError, type TransformDefinition } from './transform-definition.ts';

export const BooleanOptionsSchema = z.strictObject({
  /** Words meaning true, case-insensitive. Default Y, YES, 1, TRUE, T. */
  true: z.array(z.string()).min(1).optional().describe('Words meaning true, case-insensitive. Default Y, YES, 1, TRUE, T.'),
  /** Words meaning false, case-insensitive. Default N, NO, 0, FALSE, F. */
  false: z.array(z.string()).min(1).optional().describe('Words meaning false, case-insensitive. Default N, NO, 0, FALSE, F.'),
});
export type BooleanOptions = z.infer<typeof BooleanOptionsSchema>;

const TRUE_WORDS = ['y', 'yes', '1', 'true', 't'];
const FALSE_WORDS = ['n', 'no', '0', 'false', 'f'];

export const parseBoolean: TransformDefinition<BooleanOptions> = {
  name: 'boolean',
  summary: 'Y/N, yes/no, 1/0, true/false, T/F (case-insensitive) to true/false; other words are an error.',
  options: BooleanOptionsSchema,
  bare: true,
  elementwise: true,
  compile(options) {
    const yes = new Set((options?.true ?? TRUE_WORDS).map((w) => w.toLowerCase()));
    const no = new Set((options?.false ?? FALSE_WORDS).map((w) => w.toLowerCase()));
    const accepted = [...yes, ...no].join(', ');
    return (value) => {
      if (typeof value === 'boolean') return value;
      const word = asText(value).trim().toLowerCase();
      if (yes.has(word)) return true;
      if (no.has(word)) return false;
      throw new TransformError('MAPPING_BAD_BOOLEAN', `expected one of ${accepted}, got ${JSON.stringify(asText(value))}`);
    };
  },
};
