import { z } from 'zod';
import { asText, type TransformDefinition } from './transform-definition.ts';

export const SplitOptionsSchema = z.union([
  z.string().min(1).describe('Separator; the result is the list of parts.'),
  z.strictObject({
    /** Separator. Default ",". */
    separator: z.string().min(1).optional().describe('Separator. Default ",".'),
    /** Take one part (0-based, negative from the end) instead of the list; a missing part is empty. */
    index: z.number().int().optional().describe('Take one part (0-based, negative from the end) instead of the list.'),
    /** Trim each part. Default true. */
    trim: z.boolean().optional().describe('Trim each part. Default true.'),
    /** Leave out empty parts of the list. Default true. */
    dropEmpty: z.boolean().optional().describe('Leave out empty parts of the list. Default true.'),
  }),
]);
export type SplitOptions = z.infer<typeof SplitOptionsSchema>;

export const splitText: TransformDefinition<SplitOptions> = {
  name: 'split',
  summary: 'Splits text at a separator (default ",") into a list (e.g. caseSerials), or takes one part with `index`.',
  options: SplitOptionsSchema,
  bare: true,
  elementwise: false,
  compile(options) {
    const o = typeof options === 'string' ? { separator: options } : (options ?? {});
    const separator = o.separator ?? ',';
    const trim = o.trim ?? true;
    const dropEmpty = o.dropEmpty ?? true;
    const parts = (value: unknown): string[] => {
      const all = asText(value).split(separator);
      return trim ? all.map((p) => p.trim()) : all;
    };
    if (o.index !== undefined) {
      const index = o.index;
      return (value) => parts(value).at(index) ?? '';
    }
    return dropEmpty ? (value) => parts(value).filter((p) => p !== '') : parts;
  },
};
