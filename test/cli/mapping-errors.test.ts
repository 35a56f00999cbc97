import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderCsvMapping } from '../support/order-csv-mapping.ts';

const ROOT = join(import.meta.dirname, '..', '..');

/** `intake mapping …` as an onboarding engineer runs it, on mappings of a folder of the test's own. */
function intake(args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'mapping', ...args, '--mappings', join(dir, 'mappings')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

const dir = mkdtempSync(join(tmpdir(), 'intake-mapping-errors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('intake mapping init on a sample it cannot read: one line with the code, the place and what is wrong, exit 2', () => {
  it.each([
    ['an empty sample', 'empty.csv', '', 'intake: CSV_EMPTY_FILE: empty.csv: the file is empty (0 bytes)\n'],
    ['a binary sample', 'binary.csv', '\u0000\u0001garbage', 'intake: CSV_BINARY_CONTENT: binary.csv: the file is binary, not CSV text (a NUL character at position 0)\n'],
  ])('%s', (_what, name, content, line) => {
    writeFileSync(join(dir, name), content);
    const run = intake(['init', '--customer', 'acme', join(dir, name)]);
    expect(run.stderr).toBe(line);
    expect(run.status).toBe(2);
  });

  it('a sample that is not there', () => {
    const run = intake(['init', '--customer', 'acme', join(dir, 'nosuch.csv')]);
    expect(run.stderr).toBe(`intake: no such file or directory: ${join(dir, 'nosuch.csv')}\n`);
    expect(run.status).toBe(2);
  });
});

describe('intake mapping … with a customer name that is not a customer id: refused before any path is built from it', () => {
  it('init --customer ../evil writes nothing outside the mappings folder and exits 2', () => {
    writeFileSync(join(dir, 'orders.csv'), 'order,sku,qty\nA1,S1,3\n');
    const run = intake(['init', '--customer', '../evil', join(dir, 'orders.csv')]);
    expect(run.stderr).toMatch(/^intake: INVALID_CUSTOMER: "\.\.\/evil" is not a customer id/);
    expect(run.status).toBe(2);
    expect(existsSync(join(dir, 'evil'))).toBe(false);
  });
});

describe('intake exit codes: 2 for a bad call, so a script can tell it from an outcome that is not clean (1)', () => {
  beforeAll(() => {
    mkdirSync(join(dir, 'mappings', 'acme'), { recursive: true });
    writeFileSync(join(dir, 'mappings', 'acme', 'customer.yaml'), 'business: kargo\nfacility: sf\ndirection: INBOUND\n');
    writeFileSync(join(dir, 'mappings', 'acme', 'orders.yaml'), orderCsvMapping());
    writeFileSync(join(dir, 'acme-orders.csv'), 'order,shipment,lpn,sku,qty,unit\nA1,A1,L1,S1,3,CASE\n');
  });

  it('an unknown option: commander says so, exit 2', () => {
    const run = intake(['preview', '--no-such-option', join(dir, 'acme-orders.csv')]);
    expect(run.stderr).toMatch(/^error: unknown option '--no-such-option'/);
    expect(run.status).toBe(2);
  });

  it('preview with an unknown --mapping: exit 2 naming the mappings the customer has', () => {
    const run = intake(['preview', '--customer', 'acme', '--mapping', 'nosuch', join(dir, 'acme-orders.csv')]);
    expect(run.stderr).toMatch(/has no mapping "nosuch" \(it has orders\)/);
    expect(run.status).toBe(2);
  });

  it('preview of a file that maps cleanly: exit 0', () => {
    const run = intake(['preview', '--customer', 'acme', join(dir, 'acme-orders.csv')]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  it.each([['test'], ['validate'], ['preview']])('mapping %s of a customer that does not exist is UNKNOWN_CUSTOMER, exit 2 (a typo never passes CI)', (command) => {
    const run = intake(command === 'preview' ? ['preview', '--customer', 'nobody', join(dir, 'acme-orders.csv')] : [command, 'nobody']);
    expect(run.stderr).toBe('intake: UNKNOWN_CUSTOMER: no customer "nobody" in ' + join(dir, 'mappings') + '/ (customers: acme)\n');
    expect(run.status).toBe(2);
  });
});
