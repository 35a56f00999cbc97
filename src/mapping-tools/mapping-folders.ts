import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';

/**
 * Where an onboarding engineer's work lives: `mappings/<customer>/` (customer.yaml, mappings, lookup tables) and
 * `samples/<customer>/` (example files with their golden `<sample>.documents.json`). Both default to the folders
 * of the current directory, which is the project root when run through `npm run intake`; the mappings folder
 * defaults to MAPPINGS_DIR when set, so the tools check the mappings the gateway runs.
 */
export interface MappingFolders {
  mappingsDir: string;
  samplesDir: string;
}

export function defaultFolders(overrides: Partial<MappingFolders> = {}, env: NodeJS.ProcessEnv = process.env): MappingFolders {
  return { mappingsDir: overrides.mappingsDir ?? (env.MAPPINGS_DIR || 'mappings'), samplesDir: overrides.samplesDir ?? 'samples' };
}

/** Customer folders: those holding a customer.yaml, sorted. */
export function listCustomers(mappingsDir: string): string[] {
  if (!existsSync(mappingsDir)) return [];
  return readdirSync(mappingsDir)
    .filter((name) => existsSync(join(mappingsDir, name, 'customer.yaml')))
    .sort();
}

/** The golden file of a sample: `samples/acme/orders.csv` → `samples/acme/orders.documents.json` (ARCHITECTURE.md). */
export function goldenPathOf(samplePath: string): string {
  return samplePath.replace(/\.[^./\\]+$/, '') + '.documents.json';
}

/**
 * A customer's samples: every file of `samples/<customer>/` that is not a golden file, a generator script or a
 * note. Sorted, so test order and output are stable.
 */
export function listSamples(samplesDir: string, customer: string): string[] {
  const dir = join(samplesDir, customer);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => !name.startsWith('.') && !/\.documents\.json$|\.(ts|md)$/i.test(name))
    .filter((name) => statSync(join(dir, name)).isFile())
    .sort()
    .map((name) => join(dir, name));
}

/**
 * The customer a file belongs to when its path says so: `samples/<customer>/x.csv` or `mappings/<customer>/x.csv`
 * (relative to either folder, wherever the command runs).
 */
export function inferCustomer(filePath: string, folders: MappingFolders): string | undefined {
  const absolute = resolve(filePath);
  for (const base of [folders.samplesDir, folders.mappingsDir]) {
    const rel = relative(resolve(base), absolute);
    if (rel.startsWith('..') || rel === '') continue;
    const parts = rel.split(sep);
    if (parts.length >= 2 && parts[0]) return parts[0];
  }
  return undefined;
}
