import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** The customers set up in the mappings folder: every folder with a customer.yaml. */
export function listCustomers(mappingsDir: string): string[] {
  if (!existsSync(mappingsDir)) return [];
  return readdirSync(mappingsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(mappingsDir, entry.name, 'customer.yaml')))
    .map((entry) => entry.name)
    .sort();
}
