import { z } from 'zod';
import { asText, ConfigProblem, type TransformDefinition } from './transform-definition.ts';

export const SubstringOptionsSchema = z.strictObject({
  /** First character, 0-based; negative counts from the end. Default 0. */
  start: z.number().int().optional().describe('First character, 0-based; negative counts from the end. Default 0.'),
  /** Character after the last one (exclusive); negative counts from the end. Default: to the end. */
  end: z.number().int().optional().describe('End (exclusive); negative counts from the end. Default: to the end.'),
  /** Number of characters, instead of `end`. */
  length: z.number().int().nonnegative().optional().describe('Number of characters, instead of end.'),
});
export type SubstringOptions = z.infer<typeof SubstringOptionsSchema>;

export const substring: TransformDefinition<SubstringOptions> = {
  name: 'substring',
  summary: 'Part of the text: `start` (0-based, negative from the end) and `end` (exclusive) or `length`.',
  options: SubstringOptionsSchema,
  bare: false,
  elementwise: true,
  compile(options) {
    const o = options!;
    if (o.end !== undefined && o.length !== undefined) {
      throw new ConfigProblem('MAPPING_INVALID_CONFIG', 'substring takes `end` or `length`, not both');
    }
    const start = o.start ?? 0;
    if (o.length !== undefined) {
      const length = o.length;
      return (value) => {
        const text = asText(value);
        const from = start < 0 ? Math.max(0, text.length + start) : start;
        return text.slice(from, from + length);
      };
    }
    const end = o.end;
    return (value) => asText(value).slice(start, end);
  },
};
