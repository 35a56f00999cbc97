import { z } from 'zod';
import type { TransformDefinition } from './transform-definition.ts';
import { MissPolicyShape, translateThrough } from './translate-value.ts';

const scalar = z.union([z.string(), z.number(), z.boolean()]);

export const MapOptionsSchema = z.strictObject({
  /** From → to. Keys are compared with the whole value (apply `trim` first for padded files). */
  values: z.record(z.string(), scalar).describe('From → to, compared with the whole value (trim first for padded files).'),
  ...MissPolicyShape,
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
    const known = Object.keys(o.values);
    const knownText = known.length > 10 ? `${known.slice(0, 10).join(', ')}, ...` : known.join(', ');
    return translateThrough(table, o, 'MAPPING_UNMAPPED_VALUE', (text) => `${JSON.stringify(text)} is not one of the mapped values (${knownText})`);
  },
};
