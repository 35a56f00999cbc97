import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/env.ts';
import { listCustomers } from '../../src/gateway/customers.ts';

let dir: string;
beforeEach(() => void (dir = mkdtempSync(join(tmpdir(), 'intake-customers-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('the customers of the mappings folder', () => {
  it('are the folders holding a customer.yaml, sorted', () => {
    for (const name of ['zeta', 'acme', 'drafts']) mkdirSync(join(dir, name));
    writeFileSync(join(dir, 'zeta', 'customer.yaml'), 'business: b\n');
    writeFileSync(join(dir, 'acme', 'customer.yaml'), 'business: b\n');
    expect(listCustomers(dir)).toEqual(['acme', 'zeta']);
  });

  it('a mappings folder that does not exist is a ConfigError naming MAPPINGS_DIR and the path, not "no customers"', () => {
    const missing = join(dir, 'nope');
    expect(() => listCustomers(missing)).toThrow(ConfigError);
    expect(() => listCustomers(missing)).toThrow(`MAPPINGS_DIR=${JSON.stringify(missing)}: no such folder`);
  });

  it('a file where the mappings folder should be is a ConfigError too', () => {
    const file = join(dir, 'mappings.txt');
    writeFileSync(file, '');
    expect(() => listCustomers(file)).toThrow(`MAPPINGS_DIR=${JSON.stringify(file)}: is a file, not a folder`);
  });
});
