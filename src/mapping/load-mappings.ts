import { readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { isAbsolute, join, normalize, sep } from 'node:path';
import type { IntakeErrorValue } from '../errors/intake-error.ts';
import { compileMapping, type CompiledMapping, type CompileOptions } from './compile-mapping.ts';
import { loadCustomer, type LoadedCustomer } from './load-customer.ts';
import { parseLookupTable, type LookupTable } from './lookup-table.ts';
import { ConfigProblem } from './transforms/transform-definition.ts';

export type MappingsLoad =
  | { ok: true; customer: LoadedCustomer; mappings: CompiledMapping[] }
  | { ok: false; errors: IntakeErrorValue[] };

/**
 * Loads customer.yaml and compiles every other `*.yaml`/`*.yml` of the folder. All or nothing: one broken mapping
 * fails the load with every error of every file, so a typo never quietly routes files to a fallback mapping.
 */
export async function loadMappings(
  customerDir: string,
  options: { formatOptions?: CompileOptions['formatOptions'] } = {},
): Promise<MappingsLoad> {
  const loaded = await loadCustomer(customerDir);
  if (!loaded.ok) return loaded;
  const names = (await readdir(customerDir))
    .filter((n) => /\.ya?ml$/i.test(n) && !/^customer\.ya?ml$/i.test(n))
    .sort();
  const tables = new Map<string, LookupTable | ConfigProblem | undefined>();
  const readTable = (name: string): LookupTable | undefined => {
    // Tables live in the customer's folder; a name reaching outside it is treated as missing.
    const relative = normalize(name);
    if (isAbsolute(relative) || relative.startsWith('..' + sep) || relative === '..') return undefined;
    if (!tables.has(relative)) tables.set(relative, loadTable(customerDir, relative, name));
    const table = tables.get(relative);
    if (table instanceof ConfigProblem) throw table;
    return table;
  };
  const mappings: CompiledMapping[] = [];
  const errors: IntakeErrorValue[] = [];
  for (const name of names) {
    const file = join(customerDir, name);
    const text = await readFile(file, 'utf8');
    const result = compileMapping(text, {
      file,
      customer: loaded.customer.customer,
      readTable,
      ...(options.formatOptions ? { formatOptions: options.formatOptions } : {}),
    });
    if (result.ok) mappings.push(result.mapping);
    else errors.push(...result.errors);
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, customer: loaded.customer, mappings };
}

/** A lookup table of the customer's folder; undefined when there is no such file, a ConfigProblem when it does not parse. */
function loadTable(customerDir: string, relative: string, name: string): LookupTable | ConfigProblem | undefined {
  let text: string;
  try {
    text = readFileSync(join(customerDir, relative), 'utf8');
  } catch {
    return undefined;
  }
  try {
    return parseLookupTable(name, text);
  } catch (e) {
    return new ConfigProblem('MAPPING_TABLE_INVALID', `lookup table ${JSON.stringify(name)} is not a readable CSV: ${(e as Error).message}`, ['table']);
  }
}
