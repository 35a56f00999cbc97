import { z } from 'zod';
import { asText, type TransformDefinition } from './transform-definition.ts';

export const PadOptionsSchema = z.union([
  z.number().int().positive().describe('Width: pad on the left with "0" to this many characters.'),
  z.strictObject({
    /** Width to pad to; longer values are left as they are. */
    width: z.number().int().positive().describe('Width to pad to; longer values are left as they are.'),
    /** Pad character. Default "0". */
    char: z.string().length(1).optional().describe('Pad character. Default "0".'),
    /** Side to pad on. Default left. */
    side: z.enum(['left', 'right']).optional().describe('Side to pad on. Default left.'),
  }),
]);
export type PadOptions = z.infer<typeof PadOptionsSchema>;

export const pad: TransformDefinition<PadOptions> = {
  name: 'pad',
  summary: 'Pads to a width (default: left, with "0"); never truncates.',
  options: PadOptionsSchema,
  bare: false,
  elementwise: true,
  compile(options) {
    const o = typeof options === 'number' ? { width: options } : options!;
    const char = o.char ?? '0';
    const width = o.width;
    return o.side === 'right'
      ? (value) => asText(value).padEnd(width, char)
      : (value) => asText(value).padStart(width, char);
  },
};
