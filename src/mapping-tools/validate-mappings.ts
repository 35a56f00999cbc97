import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { IntakeErrorValue } from '../errors/intake-error.ts';
import { FORMAT_OPTION_SCHEMAS } from '../formats/read-records.ts';
import { loadMappings } from '../mapping/load-mappings.ts';
import { listCustomers } from './mapping-folders.ts';

export interface CustomerValidation {
  customer: string;
  /** Names of the mappings that compiled (empty when any error: loading is all or nothing). */
  mappings: string[];
  errors: IntakeErrorValue[];
}

/**
 * Loads each customer's folder the way the gateway does (customer.yaml, every mapping, lookup tables, the readers'
 * option schemas), so what passes here is what the gateway will accept on the next file.
 */
export async function validateCustomers(options: { mappingsDir: string; customers?: string[] }): Promise<CustomerValidation[]> {
  const customers = options.customers && options.customers.length > 0 ? options.customers : listCustomers(options.mappingsDir);
  const results: CustomerValidation[] = [];
  for (const customer of customers) {
    const dir = join(options.mappingsDir, customer);
    if (!existsSync(join(dir, 'customer.yaml'))) {
      results.push({ customer, mappings: [], errors: [{ code: 'UNKNOWN_CUSTOMER', message: `no customer "${customer}": ${join(dir, 'customer.yaml')} does not exist`, place: { file: dir } }] });
      continue;
    }
    const loaded = await loadMappings(dir, { formatOptions: FORMAT_OPTION_SCHEMAS });
    results.push(loaded.ok ? { customer, mappings: loaded.mappings.map((m) => m.name), errors: [] } : { customer, mappings: [], errors: loaded.errors });
  }
  return results;
}
