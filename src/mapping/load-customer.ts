import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { IntakeErrorValue } from '../errors/intake-error.ts';
import { CustomerSchema, type Customer } from './customer-schema.ts';
import { parseYamlConfig } from './parse-yaml-config.ts';

export interface LoadedCustomer {
  /** The folder name: the customer's slug in paths, logs and ledgers. */
  slug: string;
  dir: string;
  customer: Customer;
}

export type CustomerLoad = { ok: true; customer: LoadedCustomer } | { ok: false; errors: IntakeErrorValue[] };

/** Reads and validates `<dir>/customer.yaml`. */
export async function loadCustomer(dir: string): Promise<CustomerLoad> {
  const file = join(dir, 'customer.yaml');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    return { ok: false, errors: [{ code: 'CUSTOMER_INVALID_CONFIG', message: `cannot read customer.yaml: ${(e as Error).message}`, place: { file } }] };
  }
  const parsed = parseYamlConfig(text, file, CustomerSchema, { code: 'CUSTOMER_INVALID_CONFIG' });
  if (!parsed.ok) return parsed;
  return { ok: true, customer: { slug: basename(dir), dir, customer: parsed.config.value } };
}
