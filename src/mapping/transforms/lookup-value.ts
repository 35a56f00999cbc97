import { z } from 'zod';
import { ConfigProblem, type TransformDefinition } from './transform-definition.ts';
import { MissPolicyShape, translateThrough } from './translate-value.ts';

export const LookupOptionsSchema = z.strictObject({
  /** CSV file in the customer's folder (with a header row), e.g. `skus.csv`. */
  table: z.string().min(1).describe("CSV file in the customer's folder, with a header row (e.g. skus.csv)."),
  /** Column of the table the value is looked up in. */
  key: z.string().min(1).describe('Column of the table the value is looked up in.'),
  /** Column of the table whose value replaces it. */
  value: z.string().min(1).describe('Column of the table whose value replaces it.'),
  ...MissPolicyShape,
});
export type LookupOptions = z.infer<typeof LookupOptionsSchema>;

export const lookupValue: TransformDefinition<LookupOptions> = {
  name: 'lookup',
  summary: "Replaces the value by a column of a CSV table in the customer's folder, found by a key column.",
  options: LookupOptionsSchema,
  bare: false,
  elementwise: true,
  compile(options, context) {
    const o = options!;
    const table = context.readTable(o.table);
    if (!table) {
      throw new ConfigProblem('MAPPING_TABLE_NOT_FOUND', `lookup table ${JSON.stringify(o.table)} is not in the customer folder`, ['table']);
    }
    for (const which of ['key', 'value'] as const) {
      if (!table.columns.includes(o[which])) {
        throw new ConfigProblem(
          'MAPPING_TABLE_COLUMN',
          `${o.table} has no column ${JSON.stringify(o[which])} (its columns: ${table.columns.join(', ')})`,
          [which],
        );
      }
    }
    const ignoreCase = o.ignoreCase ?? false;
    // Built once per compile: the first row wins when a key repeats, as a person reading the table top-down expects.
    const index = new Map<string, string>();
    for (const row of table.rows) {
      const k = row[o.key] ?? '';
      const normal = ignoreCase ? k.toLowerCase() : k;
      if (!index.has(normal)) index.set(normal, row[o.value] ?? '');
    }
    return translateThrough(index, o, 'MAPPING_LOOKUP_MISS', (text) => `${JSON.stringify(text)} is not in ${o.table} (column ${o.key})`);
  },
};
