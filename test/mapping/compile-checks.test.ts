import { describe, expect, it } from 'vitest';
import { FORMAT_OPTION_SCHEMAS } from '../../src/formats/read-records.ts';
import { compileMapping, type CompileOptions } from '../../src/mapping/compile-mapping.ts';
import { formatConfigError } from '../../src/mapping/parse-yaml-config.ts';

/** Mistakes the compiler can see without a file: a field the mapping's own layout lacks, a date for a moment. */

const customer = { business: 'acme', facility: 'sf', direction: 'OUTBOUND' as const, timeZone: 'Europe/Berlin' };
const options: CompileOptions = { file: 'mappings/acme/orders.yaml', customer, formatOptions: FORMAT_OPTION_SCHEMAS };

/** "line:column" of the first occurrence of `needle` (after `after`, when given) in the YAML text. */
function at(yaml: string, needle: string, after = ''): string {
  const index = yaml.indexOf(needle, after ? yaml.indexOf(after) : 0);
  if (index < 0) throw new Error(`${needle} is not in the YAML`);
  const before = yaml.slice(0, index).split('\n');
  return `${before.length}:${before[before.length - 1]!.length + 1}`;
}

function compile(yaml: string) {
  return compileMapping(yaml, options);
}

function errorsOf(yaml: string): string[] {
  const result = compile(yaml);
  if (result.ok) throw new Error('expected the mapping to fail');
  return result.errors.map(formatConfigError);
}

function codesOf(yaml: string): string[] {
  const result = compile(yaml);
  if (result.ok) throw new Error('expected the mapping to fail');
  return result.errors.map((e) => e.code);
}

// The layout of the meridian demo: an order header (prefix "order."), detail lines, a counting trailer.
const layout = `format:
  type: fixed-width
  tag: { start: 1, length: 2 }
  shortLines: pad
  records:
    - name: order
      tag: HD
      role: header
      fields:
        - { name: orderNumber, start: 3, length: 10 }
        - { name: purchaseOrder, start: 13, length: 12 }
    - name: line
      tag: DT
      fields:
        - { name: lpn, start: 3, length: 18 }
        - { name: sku, start: 21, length: 15 }
        - { name: quantity, start: 36, length: 9, decimals: 3 }
        - { name: description, start: 47, length: 30, optional: true }
    - name: trailer
      tag: TR
      role: trailer
      count: { field: lineCount }
      fields:
        - { name: lineCount, start: 3, length: 6 }
`;
const items = `items:
  lpn: lpn
  sku: sku
  quantity: quantity | number
  quantityUnit: { const: EA }
`;

describe('a fixed-width mapping naming a field its layout does not declare is refused when compiling', () => {
  it('accepts the fields as the reader names them: detail fields bare, header fields under their prefix', () => {
    expect(compile(`${layout}document:\n  orderNumber: order.orderNumber\n  purchaseOrder: order.purchaseOrder\n${items}  description: description\n`).ok).toBe(true);
  });

  it('a misspelt detail field, with the field it resembles, instead of an empty description on every item', () => {
    const yaml = `${layout}document:\n  orderNumber: order.orderNumber\n${items}  description: descripton\n`;
    expect(errorsOf(yaml)).toEqual([
      `mappings/acme/orders.yaml:${at(yaml, 'descripton')} items.description: no record of the fixed-width layout has a field "descripton" (the records have order.orderNumber, order.purchaseOrder, lpn, sku, quantity, description) (did you mean "description"?)`,
    ]);
    expect(codesOf(yaml)).toEqual(['MAPPING_UNKNOWN_FIELD']);
  });

  it('a header field in the wrong case, instead of "orderNumber: is required" on every document', () => {
    const yaml = `${layout}document:\n  orderNumber: order.ordernumber\n${items}`;
    expect(errorsOf(yaml)).toEqual([expect.stringMatching(new RegExp(`^mappings/acme/orders\\.yaml:${at(yaml, 'order.ordernumber')} document\\.orderNumber: .*"order\\.ordernumber".*\\(did you mean "order\\.orderNumber"\\?\\)$`))]);
  });

  it('a header field without its prefix is pointed to its prefixed name', () => {
    const yaml = `${layout}document:\n  orderNumber: order.orderNumber\n  purchaseOrder: purchaseOrder\n${items}`;
    expect(errorsOf(yaml)).toEqual([expect.stringContaining('document.purchaseOrder: no record of the fixed-width layout has a field "purchaseOrder"')]);
    expect(errorsOf(yaml)[0]).toMatch(/\(did you mean "order\.purchaseOrder"\?\)$/);
  });

  it('a made-up name lists the fields there are', () => {
    const yaml = `${layout}document:\n  orderNumber: order.orderNumber\n  purchaseOrder: order.po\n${items}`;
    expect(errorsOf(yaml)).toEqual([
      `mappings/acme/orders.yaml:${at(yaml, 'order.po')} document.purchaseOrder: no record of the fixed-width layout has a field "order.po" (the records have order.orderNumber, order.purchaseOrder, lpn, sku, quantity, description)`,
    ]);
  });

  it('a trailer field is refused: trailers close a group and never become records', () => {
    const yaml = `${layout}document:\n  orderNumber: order.orderNumber\n  expectedQuantity: trailer.lineCount | number\n${items}`;
    expect(codesOf(yaml)).toEqual(['MAPPING_UNKNOWN_FIELD']);
  });

  it('checks every place a field is named: long form, lists, templates, groupBy, when, items.when and nested conditions', () => {
    const yaml = `${layout}when: { not: { field: line.sku, empty: true } }
groupBy: { key: [order.orderNumbr, "{{order.purchaseOrder}}"], sorted: true }
document:
  orderNumber: { field: order.orderNumber, required: true }
  purchaseOrder: { field: [order.purchaseOrder, order.purchase] }
  consigneeName: { template: "{{order.orderNumber}} / {{ lpm }}" }
  bolNumber: "{{order.orderNumber}}-{{qty}} | upper"
items:
  lpn: lpn
  sku: sku
  quantity: quantity | number
  quantityUnit: { const: EA }
  when: { any: [{ field: quantity, equals: "0" }, { column: descriptoin, empty: false }] }
`;
    expect(errorsOf(yaml)).toEqual([
      expect.stringMatching(new RegExp(`^mappings/acme/orders\\.yaml:${at(yaml, 'line.sku')} when\\.not\\.field: .*"line\\.sku".*\\(did you mean "sku"\\?\\)$`)),
      expect.stringMatching(new RegExp(`^mappings/acme/orders\\.yaml:${at(yaml, 'order.orderNumbr')} groupBy\\.key\\[0\\]: .*"order\\.orderNumbr".*\\(did you mean "order\\.orderNumber"\\?\\)$`)),
      expect.stringMatching(new RegExp(`^mappings/acme/orders\\.yaml:${at(yaml, 'order.purchase]')} document\\.purchaseOrder\\.field\\[1\\]: .*"order\\.purchase"`)),
      expect.stringMatching(new RegExp(`^mappings/acme/orders\\.yaml:${at(yaml, 'lpm')} document\\.consigneeName\\.template: .*"lpm".*\\(did you mean "lpn"\\?\\)$`)),
      expect.stringMatching(new RegExp(`^mappings/acme/orders\\.yaml:${at(yaml, 'qty')} document\\.bolNumber: .*"qty"`)),
      expect.stringMatching(new RegExp(`^mappings/acme/orders\\.yaml:${at(yaml, 'descriptoin')} items\\.when\\.any\\[1\\]\\.column: .*"descriptoin".*\\(did you mean "description"\\?\\)$`)),
    ]);
  });

  it('knows custom prefixes, continuation records and recordTypeField', () => {
    const yaml = `format:
  type: fixed-width
  tag: { start: 1, length: 2 }
  recordTypeField: recordType
  records:
    - { name: H, tag: HD, role: header, prefix: "", fields: [{ name: orderNumber, start: 3, length: 10 }] }
    - { name: A, tag: AD, role: continuation, level: 2, prefix: "addr_", fields: [{ name: city, start: 3, length: 10 }] }
    - { name: D, tag: DT, fields: [{ name: lpn, start: 3, length: 18 }, { name: sku, start: 21, length: 15 }] }
    - { name: N, tag: NT, role: continuation, fields: [{ name: text, start: 3, length: 40 }] }
document:
  orderNumber: orderNumber
  destination: addr_city
  additionalFields: { kind: recordType, note: N.text }
items:
  lpn: lpn
  sku: sku
  quantity: 1
  quantityUnit: { const: EA }
`;
    expect(compile(yaml).ok).toBe(true);
    expect(errorsOf(yaml.replace('destination: addr_city', 'destination: A.city'))).toEqual([expect.stringMatching(/document\.destination: .*"A\.city".*\(did you mean "addr_city"\?\)$/)]);
  });

  it('leaves CSV (its columns come from the file, checked when it is read) and X12 (its own grammar) alone', () => {
    expect(compile(`format: { type: csv }\ndocument:\n  orderNumber: Whatever\n${items}`).ok).toBe(true);
    expect(compile(`format: { type: x12 }\ndocument:\n  orderNumber: BSN02\n${items}`).ok).toBe(true);
  });
});

describe('a date alone mapped to a field that holds a moment is refused when compiling', () => {
  const document = (value: string) => `format: { type: csv }\ndocument:\n  orderNumber: PO\n  expectedArrivalAt: ${value}\n${items}`;

  it('expectedArrivalAt through a date-only format, instead of every document rejected with "Invalid ISO datetime"', () => {
    const yaml = document('{ column: D, transforms: [{ date: { format: dd.MM.yyyy } }] }');
    expect(errorsOf(yaml)).toEqual([
      `mappings/acme/orders.yaml:${at(yaml, '{ date:')} document.expectedArrivalAt: expectedArrivalAt is a moment (a date and a time) and takes no date alone, but date format "dd.MM.yyyy" has no time of day, so every document would be rejected: add output: datetime, as in { date: { format: "dd.MM.yyyy", output: datetime } } (a time without a zone, and a date alone as its midnight, is read in customer.yaml's timeZone, Europe/Berlin)`,
    ]);
    expect(codesOf(yaml)).toEqual(['MAPPING_DATE_ONLY']);
  });

  it('the short form, pointing at the step', () => {
    const yaml = document('D | trim | date(yyyyMMdd)');
    expect(errorsOf(yaml)).toEqual([expect.stringMatching(new RegExp(`^mappings/acme/orders\\.yaml:${at(yaml, 'date(')} document\\.expectedArrivalAt: .*date format "yyyyMMdd" has no time of day.*\\{ date: \\{ format: "yyyyMMdd", output: datetime \\} \\}`))]);
  });

  it('output: date, and a list with one format without a time (its values would be refused)', () => {
    expect(codesOf(document('{ column: D, transforms: [{ date: { format: "yyyyMMdd HHmm", output: date } }] }'))).toEqual(['MAPPING_DATE_ONLY']);
    const list = document('{ column: D, transforms: [{ date: { format: ["yyyyMMdd HHmm", yyyyMMdd], zone: America/Chicago } }] }');
    expect(errorsOf(list)).toEqual([expect.stringMatching(/date format "yyyyMMdd" has no time of day.*\{ date: \{ format: \["yyyyMMdd HHmm","yyyyMMdd"\], zone: America\/Chicago, output: datetime \} \}.*is read in America\/Chicago, the step's zone\)$/)]);
  });

  it('accepts output: datetime, a format with a time, and ISO 8601 input (which decides per value)', () => {
    expect(compile(document('{ column: D, transforms: [{ date: { format: dd.MM.yyyy, output: datetime } }] }')).ok).toBe(true);
    expect(compile(document('D | date(yyyyMMdd HHmm)')).ok).toBe(true);
    expect(compile(document('D | date')).ok).toBe(true);
  });

  it('leaves fields that take a date alone: item dates and additional fields', () => {
    const yaml = `format: { type: csv }\ndocument:\n  orderNumber: PO\n  additionalFields: { shipped: Shipped | date(dd.MM.yyyy) }\n${items}  expirationDate: Exp | date(dd.MM.yyyy)\n  manufacturingDate: { column: Made, transforms: [{ date: { format: yyyyMMdd, output: date } }] }\n`;
    expect(compile(yaml).ok).toBe(true);
  });
});
