import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { CompiledMapping } from '../../src/mapping/compile-mapping.ts';
import { compileMapping } from '../../src/mapping/compile-mapping.ts';
import { CustomerSchema } from '../../src/mapping/customer-schema.ts';
import { parseLookupTable } from '../../src/mapping/lookup-table.ts';

export const FIXTURES = join(import.meta.dirname, 'fixtures');

/** A fixture mapping compiled as load-mappings would, optionally edited first (to try onError, groupBy, ...). */
export function fixtureMapping(customer: string, name: string, edit: (yaml: string) => string = (y) => y): CompiledMapping {
  const dir = join(FIXTURES, customer);
  const text = edit(readFileSync(join(dir, `${name}.yaml`), 'utf8'));
  const result = compileMapping(text, {
    file: `mappings/${customer}/${name}.yaml`,
    customer: CustomerSchema.parse(parse(readFileSync(join(dir, 'customer.yaml'), 'utf8'))),
    readTable: (table) => parseLookupTable(table, readFileSync(join(dir, table), 'utf8')),
  });
  if (!result.ok) throw new Error(JSON.stringify(result.errors, null, 2));
  return result.mapping;
}
