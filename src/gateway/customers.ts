import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { configErrorOf } from '../config/env.ts';

/**
 * The customers set up in the mappings folder: every folder with a customer.yaml. A missing folder is a
 * ConfigError naming MAPPINGS_DIR, not "no customers": the gateway would start and then refuse every file.
 */
export function listCustomers(mappingsDir: string): string[] {
  if (!statSync(mappingsDir, { throwIfNoEntry: false })?.isDirectory()) {
    const problem = existsSync(mappingsDir) ? 'is a file, not a folder' : 'no such folder';
    throw configErrorOf([{ variable: 'MAPPINGS_DIR', message: `${problem}: the customers and their mappings are read from there` }], { MAPPINGS_DIR: mappingsDir });
  }
  return readdirSync(mappingsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(mappingsDir, entry.name, 'customer.yaml')))
    .map((entry) => entry.name)
    .sort();
}
