import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { IntakeErrorValue } from '../errors/intake-error.ts';
import { FORMAT_OPTION_SCHEMAS } from '../formats/read-records.ts';
import { SftpAccountSchema, sharedUsernameMessage, withoutSharedUsernames } from '../channels/sftp-server/index.ts';
import { loadCustomer } from '../mapping/load-customer.ts';
import { loadMappings } from '../mapping/load-mappings.ts';
import { findAmbiguousMappings } from '../mapping/select-mapping.ts';
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
    const result: CustomerValidation = loaded.ok ? { customer, mappings: loaded.mappings.map((m) => m.name), errors: [] } : { customer, mappings: [], errors: loaded.errors };
    if (loaded.ok) {
      result.errors.push(...findAmbiguousMappings(loaded.mappings));
      result.errors.push(...sftpAccountErrors(loaded.customer.customer.channels?.sftp, join(dir, 'customer.yaml')));
    }
    if (result.errors.length > 0) result.mappings = [];
    results.push(result);
  }
  await checkSftpUsernames(options.mappingsDir, results);
  return results;
}

/** `channels.sftp` as the SFTP server will read it (its secrets are resolved only where the gateway runs). */
function sftpAccountErrors(sftp: unknown, file: string): IntakeErrorValue[] {
  if (sftp === undefined) return [];
  const parsed = SftpAccountSchema.safeParse(sftp);
  if (parsed.success) return [];
  return parsed.error.issues.map((issue) => {
    const field = ['channels', 'sftp', ...issue.path.map(String)].join('.');
    return { code: 'SFTP_ACCOUNT_INVALID', message: issue.message, place: { file, field } };
  });
}

/** A username claimed by two customers (anywhere in the folder) is an error for each of the customers checked. */
async function checkSftpUsernames(mappingsDir: string, results: CustomerValidation[]): Promise<void> {
  const claims: { customer: string; username: string }[] = [];
  for (const customer of listCustomers(mappingsDir)) {
    const loaded = await loadCustomer(join(mappingsDir, customer));
    const parsed = loaded.ok ? SftpAccountSchema.safeParse(loaded.customer.customer.channels?.sftp) : undefined;
    if (parsed?.success) claims.push({ customer, username: parsed.data.username });
  }
  for (const [username, claimants] of withoutSharedUsernames(claims).shared) {
    for (const result of results.filter((r) => claimants.includes(r.customer))) {
      const file = join(mappingsDir, result.customer, 'customer.yaml');
      result.errors.push({ code: 'SFTP_ACCOUNT_DUPLICATE_USERNAME', message: sharedUsernameMessage(username, claimants), place: { file, field: 'channels.sftp.username' } });
      result.mappings = [];
    }
  }
}
