import { z } from 'zod';
import type { TransformDefinition } from './transform-definition.ts';

export const DefaultOptionsSchema = z
  .union([z.string(), z.number(), z.boolean()])
  .describe('The value used when the value is empty (missing or "").');

export const defaultValue: TransformDefinition<z.infer<typeof DefaultOptionsSchema>> = {
  name: 'default',
  summary: 'The given value when the value is empty; the only transform that acts on empty values.',
  options: DefaultOptionsSchema,
  bare: false,
  acceptsEmpty: true,
  elementwise: false,
  compile(options) {
    return (value) => (value === undefined || value === null || value === '' ? options : value);
  },
};
