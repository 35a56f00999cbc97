import { z } from 'zod';
import { asText, TransformError, type TransformDefinition } from './transform-definition.ts';

const scalar = z.union([z.string(), z.number(), z.boolean()]);

export const MapOptionsSchema = z.strictObject({
  /** From → to. Keys are compared with the whole value (apply `trim` first for padded files). */
  values: z.record(z.string(), scalar).describe('From → to, compared with the whole value (trim first for padded files).'),
  /** What a value not in `values` does: `error` (default), `default` (use `default`) or `keep` (pass it on). */
  onMiss: z
    .enum(['error', 'default', 'keep'])
    .optional()
    .describe('A value not in the table: error (default), default (use `default`) or keep (pass it on).'),
  /** Value for a miss when onMiss is `default`. Default: empty. */
  default: scalar.optional().describe('Value for a miss when onMiss is default. Default: empty.'),
  /** Compare without regard to case. Default false. */
  ignoreCase: z.boolean().optional().describe('Compare without regard to case. Default false.'),
});
export type MapOptions = z.infer<typeof MapOptionsSchema>;

export const mapValues: TransformDefinition<MapOptions> = {
  name: 'map',
  summary: 'Translates values with a table (`values`); a miss is an error, a default, or kept (`onMiss`).',
  options: MapOptionsSchema,
  bare: false,
  elementwise: true,
  compile(options) {
    const o = options!;
    const ignoreCase = o.ignoreCase ?? false;
    const table = new Map(Object.entries(o.values).map(([k, v]) => [ignoreCase ? k.toLowerCase() : k, v]));
    const onMiss = o.onMiss ?? 'error';
    const known = Object.keys(o.values);
    const knownText = known.length > 10 ? `${known.slice(0, 10).join(', ')}, ...` : known.join(', ');
    return (value) => {
      const text = asText(value);
      const hit = table.get(ignoreCase ? text.toLowerCase() : text);
      if (hit !== undefined) return hit;
      if (onMiss === 'keep') return value;
      if (onMiss === 'default') return o.default;
      throw new TransformError('MAPPING_UNMAPPED_VALUE', `${JSON.stringify(text)} is not one of the mapped values (${knownText})`);
    };
  },
};
