import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileMapping, type CompiledMapping } from '../../src/mapping/compile-mapping.ts';
import { loadCustomer } from '../../src/mapping/load-customer.ts';
import { loadMappings } from '../../src/mapping/load-mappings.ts';
import { formatConfigError } from '../../src/mapping/parse-yaml-config.ts';
import { findAmbiguousMappings, selectMapping } from '../../src/mapping/select-mapping.ts';
import { FIXTURES } from './fixture-mappings.ts';

describe('loading a customer folder', () => {
  it('loads customer.yaml and compiles every mapping next to it', async () => {
    const loaded = await loadMappings(join(FIXTURES, 'acme'));
    if (!loaded.ok) throw new Error(loaded.errors.map(formatConfigError).join('\n'));
    expect(loaded.customer.slug).toBe('acme');
    expect(loaded.customer.customer.business).toBe('acme');
    expect(loaded.mappings.map((m) => m.name)).toEqual(['orders']);
    const bytes = await readFile(join(FIXTURES, 'acme', 'orders.yaml'));
    const { createHash } = await import('node:crypto');
    expect(loaded.mappings[0]!.hash).toBe(createHash('sha256').update(bytes).digest('hex'));
  });

  describe('with broken files', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'mapping-load-'));
      await mkdir(join(dir, 'bad'));
      await writeFile(join(dir, 'bad', 'customer.yaml'), 'business: b\nfacility: f\ndirection: SIDEWAYS\n');
      await mkdir(join(dir, 'two'));
      await writeFile(join(dir, 'two', 'customer.yaml'), 'business: b\nfacility: f\ndirection: INBOUND\n');
      await writeFile(join(dir, 'two', 'good.yaml'), 'format: { type: csv }\ndocument:\n  orderNumber: PO\n');
      await writeFile(join(dir, 'two', 'typo.yml'), 'format: { type: csv }\ndocument:\n  orderNumber: PO | nubmer\n');
      await mkdir(join(dir, 'table'));
      await writeFile(join(dir, 'table', 'customer.yaml'), 'business: b\nfacility: f\ndirection: INBOUND\n');
      await writeFile(join(dir, 'table', 'skus.csv'), 'customer_sku,sku\n"W-100,SKU-100\n');
      await writeFile(join(dir, 'table', 'orders.yaml'), 'format: { type: csv }\ndocument:\n  orderNumber: PO\nitems:\n  sku: { column: Item, transforms: [{ lookup: { table: skus.csv, key: customer_sku, value: sku } }] }\n');
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('rejects an invalid customer.yaml with the place', async () => {
      const loaded = await loadCustomer(join(dir, 'bad'));
      expect(!loaded.ok && loaded.errors.map(formatConfigError)).toEqual([
        `${join(dir, 'bad', 'customer.yaml')}:3:12 direction: expected one of "INBOUND", "OUTBOUND", got "SIDEWAYS"`,
      ]);
    });

    it('refuses a customer.yaml timeZone that is no IANA zone, even when no mapping uses a date yet', async () => {
      await mkdir(join(dir, 'zone'));
      await writeFile(join(dir, 'zone', 'customer.yaml'), 'business: b\nfacility: f\ntimeZone: Europe/Berln\n');
      const loaded = await loadCustomer(join(dir, 'zone'));
      expect(!loaded.ok && loaded.errors.map(formatConfigError)).toEqual([
        `${join(dir, 'zone', 'customer.yaml')}:3:11 timeZone: unknown time zone; use an IANA name such as "Europe/Berlin" or "America/Chicago"`,
      ]);
    });

    it('says a lookup table that does not parse cannot be read, rather than that it is missing', async () => {
      const loaded = await loadMappings(join(dir, 'table'));
      const errors = (loaded.ok ? [] : loaded.errors).filter((e) => e.code.startsWith('MAPPING_TABLE'));
      expect(errors.map((e) => e.code)).toEqual(['MAPPING_TABLE_INVALID']);
      expect(errors[0]!.message).toMatch(/^lookup table "skus\.csv" is not a readable CSV: /);
      expect(errors[0]!.place).toMatchObject({ file: join(dir, 'table', 'orders.yaml'), line: 5 });
    });

    it('fails the whole folder when one mapping is broken, so no file falls through to another mapping', async () => {
      const loaded = await loadMappings(join(dir, 'two'));
      expect(!loaded.ok && loaded.errors.map(formatConfigError)).toEqual([
        `${join(dir, 'two', 'typo.yml')}:3:21 document.orderNumber: unknown transform "nubmer" (did you mean "number"?)`,
      ]);
    });
  });
});

describe('selecting the mapping for a file', () => {
  const compile = (name: string, yaml: string): CompiledMapping => {
    const result = compileMapping(`${yaml}document:\n  orderNumber: PO\n`, {
      file: `mappings/acme/${name}.yaml`,
      customer: { business: 'b', facility: 'f', direction: 'INBOUND' },
    });
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    return result.mapping;
  };
  const orders = compile('orders', 'format: { type: csv }\nmatch: { fileName: ["orders_*.csv", "ACME-{ORD,ORDER}-??.txt"] }\n');
  const asn = compile('asn', 'format: { type: x12 }\nmatch: { fileName: "*.edi", transactionSet: "856" }\n');
  const catchAll = compile('any-csv', 'format: { type: csv }\nmatch: { priority: -1 }\n');

  it('matches file-name globs case-insensitively, ignoring folders', () => {
    expect(selectMapping([orders, asn], 'inbound/ORDERS_2024-03.CSV')).toMatchObject({ ok: true, mapping: { name: 'orders' } });
    expect(selectMapping([orders, asn], 'ACME-order-07.txt')).toMatchObject({ ok: true, mapping: { name: 'orders' } });
    expect(selectMapping([orders, asn], 'x.EDI')).toMatchObject({ ok: true, mapping: { name: 'asn' } });
  });

  it('uses the sniffed format and transaction set', () => {
    expect(selectMapping([orders, asn], 'x.edi', { format: 'x12', transactionSet: '940' }).ok).toBe(false);
    expect(selectMapping([orders, asn, catchAll], 'data.txt', { format: 'csv' })).toMatchObject({ ok: true, mapping: { name: 'any-csv' } });
  });

  it('prefers the highest priority', () => {
    expect(selectMapping([catchAll, orders], 'orders_1.csv')).toMatchObject({ ok: true, mapping: { name: 'orders' } });
  });

  it('refuses to guess between mappings of equal priority', () => {
    const other = compile('other', 'format: { type: csv }\nmatch: { fileName: "*.csv" }\n');
    const result = selectMapping([orders, other], 'orders_1.csv');
    expect(!result.ok && result.error).toEqual({
      code: 'MAPPING_AMBIGUOUS',
      message: 'orders, other all match "orders_1.csv" with priority 0; narrow their match.fileName or set match.priority',
      place: { file: 'orders_1.csv' },
      details: { mappings: ['orders', 'other'], priority: 0 },
    });
    // Found before a file comes, from the mappings' own file names.
    expect(findAmbiguousMappings([orders, other]).map((e) => e.details)).toEqual([{ mappings: ['orders', 'other'], priority: 0 }]);
    expect(findAmbiguousMappings([orders, asn])).toEqual([]);
  });

  it('names the file and the patterns tried when nothing matches', () => {
    const result = selectMapping([orders, asn], 'in/invoice.pdf');
    expect(!result.ok && result.error).toEqual({
      code: 'NO_MAPPING',
      message:
        'no mapping matches "invoice.pdf"; tried orders (orders_*.csv, ACME-{ORD,ORDER}-??.txt; csv); asn (*.edi; x12, transaction set 856)',
      place: { file: 'in/invoice.pdf' },
    });
  });
});
