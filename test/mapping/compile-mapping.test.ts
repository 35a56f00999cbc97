import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { compileMapping, type CompileOptions } from '../../src/mapping/compile-mapping.ts';
import { parseLookupTable } from '../../src/mapping/lookup-table.ts';
import { formatConfigError } from '../../src/mapping/parse-yaml-config.ts';

const customer = { business: 'acme', facility: 'sf', direction: 'OUTBOUND' as const };
const options: CompileOptions = {
  file: 'mappings/acme/orders.yaml',
  customer,
  readTable: (name) => (name === 'skus.csv' ? parseLookupTable(name, 'customer_sku,sku\nW-100,SKU-100\n') : undefined),
};

/** "line:column" of the first occurrence of `needle` (after `after`, when given) in the YAML text. */
function at(yaml: string, needle: string, after = ''): string {
  const index = yaml.indexOf(needle, after ? yaml.indexOf(after) : 0);
  const before = yaml.slice(0, index).split('\n');
  return `${before.length}:${before[before.length - 1]!.length + 1}`;
}

function errorsOf(yaml: string, extra: Partial<CompileOptions> = {}): string[] {
  const result = compileMapping(yaml, { ...options, ...extra });
  if (result.ok) throw new Error('expected the mapping to fail');
  return result.errors.map(formatConfigError);
}

const head = `# yaml-language-server: $schema=../mapping.schema.json
format: { type: csv }
`;

describe('mapping errors name file:line:column, the field, and a fix', () => {
  it('unknown transform in the long form, with a suggestion', () => {
    const yaml = `${head}document:
  orderNumber: PO#
items:
  lpn: Pallet
  sku: SKU
  quantityUnit: { const: EA }
  quantity:
    column: Qty
    transforms:
      - trim
      - nubmer
`;
    expect(at(yaml, 'nubmer')).toBe('13:9');
    expect(errorsOf(yaml)).toEqual(['mappings/acme/orders.yaml:13:9 items.quantity: unknown transform "nubmer" (did you mean "number"?)']);
  });

  it('a file-name glob that makes no regular expression is placed, not a crash', () => {
    const yaml = `${head}match: { fileName: ["orders_*.csv", "NW-[z-a]*.csv"] }
document:
  orderNumber: PO#
`;
    const errors = errorsOf(yaml);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(new RegExp(`^mappings/acme/orders\\.yaml:${at(yaml, '"NW-')} match\\.fileName\\[1\\]: file-name pattern "NW-\\[z-a\\]\\*\\.csv" is not a valid glob`));
    expect(errorsOf(`${head}match: { fileName: "orders_{2025,2026.csv" }\ndocument:\n  orderNumber: PO#\n`)[0]).toMatch(/match\.fileName: file-name pattern "orders_\{2025,2026\.csv" is not a valid glob/);
  });

  it('unknown transform written with options points at its name', () => {
    const yaml = `${head}document:
  orderNumber: { column: PO#, transforms: [{ dat: yyyyMMdd }] }
`;
    expect(errorsOf(yaml)).toEqual([`mappings/acme/orders.yaml:${at(yaml, 'dat:')} document.orderNumber: unknown transform "dat" (did you mean "date"?)`]);
  });

  it('unknown transform in the short form points inside the string', () => {
    const yaml = `${head}document:
  orderNumber: "PO# | trim | uper"
`;
    expect(errorsOf(yaml)).toEqual([`mappings/acme/orders.yaml:${at(yaml, 'uper')} document.orderNumber: unknown transform "uper" (did you mean "upper"?)`]);
  });

  it('bad transform options name the option', () => {
    const yaml = `${head}document:
  orderNumber:
    column: PO#
    transforms:
      - pad: { width: 10, sid: left }
`;
    expect(errorsOf(yaml)).toEqual([`mappings/acme/orders.yaml:${at(yaml, 'sid:')} document.orderNumber: unknown key "sid" (did you mean "side"?)`]);
  });

  it('a transform that needs options, given none', () => {
    const yaml = `${head}document:
  orderNumber: { column: PO#, transforms: [map] }
`;
    expect(errorsOf(yaml)).toEqual([`mappings/acme/orders.yaml:${at(yaml, 'map]')} document.orderNumber: transform "map" needs options, e.g. { map: ... }`]);
  });

  it('unknown keys anywhere get a suggestion', () => {
    const yaml = `${head}document:
  orderNumber: PO#
  shipmentNumbr: Load
itmes:
  lpn: Pallet
`;
    expect(errorsOf(yaml)).toEqual([
      'mappings/acme/orders.yaml:5:3 document.shipmentNumbr: unknown key "shipmentNumbr" (did you mean "shipmentNumber"?)',
      'mappings/acme/orders.yaml:6:1 itmes: unknown key "itmes" (did you mean "items"?)',
    ]);
  });

  it('an unknown key inside a value spec', () => {
    const yaml = `${head}document:
  orderNumber: { colum: PO# }
`;
    expect(errorsOf(yaml)).toEqual(['mappings/acme/orders.yaml:4:18 document.orderNumber.colum: unknown key "colum" (did you mean "column"?)']);
  });

  it('a value spec with two sources, or none', () => {
    const yaml = `${head}document:
  orderNumber: { column: PO#, const: X }
  shipmentNumber: { required: true }
`;
    expect(errorsOf(yaml)).toEqual([
      'mappings/acme/orders.yaml:4:16 document.orderNumber: has column and const; give exactly one source',
      'mappings/acme/orders.yaml:5:19 document.shipmentNumber: needs a source: one of column, field, const, template, expr',
    ]);
  });

  it('enum values with a suggestion', () => {
    const yaml = `${head}onError: skipRows
document:
  orderNumber: PO#
`;
    expect(errorsOf(yaml)).toEqual([
      'mappings/acme/orders.yaml:3:10 onError: expected one of "rejectDocument", "rejectFile", "skipRow", got "skipRows" (did you mean "skipRow"?)',
    ]);
  });

  it('a missing format is named', () => {
    expect(errorsOf('document:\n  orderNumber: PO#\n')).toEqual(['mappings/acme/orders.yaml:1:1 format: is required']);
  });

  it('YAML syntax errors have their place', () => {
    const [error] = errorsOf(`${head}document:\n  orderNumber: [PO#\n`);
    expect(error).toMatch(/^mappings\/acme\/orders\.yaml:\d+:\d+ document\.orderNumber: the \[ is not closed/);
  });

  it('bad regular expressions, JSONata and time zones', () => {
    const yaml = `${head}when: { column: Type, matches: "([" }
document:
  orderNumber: { column: PO#, pattern: "*x" }
  carrier: { expr: "$trim(" }
  expectedArrivalAt: { column: D, transforms: [{ date: { format: yyyyMMdd, zone: Europe/Berlni } }] }
`;
    const errors = errorsOf(yaml);
    expect(errors).toHaveLength(4);
    expect(errors[0]).toContain(`mappings/acme/orders.yaml:${at(yaml, '"(["')} when.matches: invalid regular expression`);
    expect(errors[1]).toContain(`mappings/acme/orders.yaml:${at(yaml, '"*x"')} document.orderNumber.pattern: invalid regular expression`);
    expect(errors[2]).toContain(`mappings/acme/orders.yaml:6:`);
    expect(errors[2]).toContain(`document.carrier.expr: invalid JSONata expression`);
    expect(errors[3]).toBe(
      `mappings/acme/orders.yaml:${at(yaml, 'Europe/Berlni')} document.expectedArrivalAt: unknown time zone "Europe/Berlni"; use an IANA name such as "Europe/Berlin" or "America/Chicago"`,
    );
  });

  it('lookup tables that are missing or lack a column', () => {
    const yaml = `${head}document:
  orderNumber: PO#
  carrier: { column: C, transforms: [{ lookup: { table: carriers.csv, key: code, value: name } }] }
  orderType: { column: T, transforms: [{ lookup: { table: skus.csv, key: customer_sku, value: price } }] }
`;
    const errors = errorsOf(yaml);
    expect(errors[0]).toBe(`mappings/acme/orders.yaml:${at(yaml, 'carriers.csv')} document.carrier: lookup table "carriers.csv" is not in the customer folder`);
    expect(errors[1]).toBe(`mappings/acme/orders.yaml:${at(yaml, 'price')} document.orderType: skus.csv has no column "price" (its columns: customer_sku, sku)`);
  });

  it('business, facility and direction must come from the mapping or customer.yaml', () => {
    const errors = errorsOf(`${head}document:\n  orderNumber: PO#\n`, { customer: { business: 'acme' } });
    expect(errors).toEqual([
      'mappings/acme/orders.yaml:3:1 document: facility is not set: give document.facility here or facility in customer.yaml',
      'mappings/acme/orders.yaml:3:1 document: direction is not set: give document.direction here or direction in customer.yaml',
    ]);
  });

  it('item fields the strategy requires must be mapped', () => {
    const yaml = `${head}strategy: APPEND
document:
  orderNumber: PO#
items:
  lpn: Pallet
  sku: SKU
`;
    expect(errorsOf(yaml)).toEqual([
      'mappings/acme/orders.yaml:6:1 items: quantity is required by strategy APPEND but not mapped (for a constant: quantity: { const: ... })',
      'mappings/acme/orders.yaml:6:1 items: quantityUnit is required by strategy APPEND but not mapped (for a constant: quantityUnit: { const: ... })',
    ]);
  });

  it("format options are checked by the reader's schema when given", () => {
    const CsvOptions = z.strictObject({ delimiter: z.string().length(1).optional() });
    const yaml = `format: { type: csv, delimiter: ";;", quote: "'" }\ndocument:\n  orderNumber: PO#\n`;
    expect(errorsOf(yaml, { formatOptions: { csv: CsvOptions } })).toEqual([
      `mappings/acme/orders.yaml:${at(yaml, '";;"')} format.delimiter: must be exactly 1 character, got ";;"`,
      `mappings/acme/orders.yaml:${at(yaml, 'quote')} format.quote: unknown key "quote"`,
    ]);
    const ok = compileMapping(`format: { type: csv, delimiter: ";" }\ndocument:\n  orderNumber: PO#\n`, { ...options, formatOptions: { csv: CsvOptions } });
    expect(ok.ok && ok.mapping.format).toEqual({ type: 'csv', delimiter: ';' });
  });

  it('every problem of a file is reported at once', () => {
    const yaml = `${head}document:
  orderNumber: "PO# | nubmer"
  carrier: "C | uper"
`;
    expect(errorsOf(yaml)).toHaveLength(2);
  });
});

describe('a compiled mapping', () => {
  it('carries the sha256 of the file bytes', () => {
    const yaml = `${head}document:\n  orderNumber: PO#\n`;
    const result = compileMapping(yaml, options);
    expect(result.ok && result.mapping.hash).toBe(createHash('sha256').update(Buffer.from(yaml)).digest('hex'));
  });

  it('groups by document.orderNumber when groupBy is absent, with the default bounds', () => {
    const result = compileMapping(`${head}document:\n  orderNumber: PO# | trim\n`, options);
    expect(result.ok && result.mapping.grouping).toMatchObject({ label: 'PO#', sorted: 'auto', maxOpenGroups: 10_000, maxHeldRecords: 200_000 });
  });
});
