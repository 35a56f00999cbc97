import { z } from 'zod';
import type { MappingErrorCode } from '../mapping-error-codes.ts';
import { asText, TransformError, type Value } from './transform-definition.ts';

const scalar = z.union([z.string(), z.number(), z.boolean()]);

/** What `map` and `lookup` do with a value their table does not have, and how they compare. */
export const MissPolicyShape = {
  /** A value not in the table: `error` (default), `default` (use `default`) or `keep` (pass it on). */
  onMiss: z
    .enum(['error', 'default', 'keep'])
    .optional()
    .describe('A value not in the table: error (default), default (use `default`) or keep (pass it on).'),
  /** Value for a miss when onMiss is `default`. Default: empty. */
  default: scalar.optional().describe('Value for a miss when onMiss is default. Default: empty.'),
  /** Compare without regard to case. Default false. */
  ignoreCase: z.boolean().optional().describe('Compare without regard to case. Default false.'),
};
export type MissPolicy = { onMiss?: 'error' | 'default' | 'keep' | undefined; default?: string | number | boolean | undefined; ignoreCase?: boolean | undefined };

/**
 * A compiled translation through a table (keys already lower-cased when `ignoreCase`): a hit, or the miss policy;
 * an error miss says what was not found with `missCode` and `describeMiss`.
 */
export function translateThrough<T>(table: ReadonlyMap<string, T>, policy: MissPolicy, missCode: MappingErrorCode, describeMiss: (text: string) => string): (value: Value) => Value {
  const ignoreCase = policy.ignoreCase ?? false;
  const onMiss = policy.onMiss ?? 'error';
  return (value) => {
    const text = asText(value);
    const hit = table.get(ignoreCase ? text.toLowerCase() : text);
    if (hit !== undefined) return hit as Value;
    if (onMiss === 'keep') return value;
    if (onMiss === 'default') return policy.default;
    throw new TransformError(missCode, describeMiss(text));
  };
}
