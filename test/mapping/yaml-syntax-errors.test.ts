import { describe, expect, it } from 'vitest';
import { compileMapping } from '../../src/mapping/compile-mapping.ts';
import { formatConfigError } from '../../src/mapping/parse-yaml-config.ts';

/**
 * YAML syntax slips in a mapping, each explained in plain words at the line the customer must change, with the
 * key path it is under, and the yaml library's own message kept at the end.
 */

const customer = { business: 'acme', facility: 'sf', direction: 'OUTBOUND' as const };
const file = 'mappings/acme/avis.yaml';
const avis = `format: { type: csv, delimiter: semicolon }
match:
  fileName: ["avis_*.csv"]

document:
  orderNumber: Auftragsnr | trim
  purchaseOrder: Bestellnr | trim

items:
  lpn: NVE | trim
  sku: Artikel | trim
  quantity: Menge | number
  quantityUnit: { const: EA }
`;

function errorsOf(yaml: string): string[] {
  const result = compileMapping(yaml, { file, customer });
  if (result.ok) throw new Error('expected the mapping to fail');
  return result.errors.map(formatConfigError);
}

function edited(from: string, to: string): string {
  if (!avis.includes(from)) throw new Error(`the mapping has no ${JSON.stringify(from)}`);
  return avis.replace(from, to);
}

describe('YAML syntax slips are explained at the line to change', () => {
  it('the unchanged mapping compiles', () => {
    expect(compileMapping(avis, { file, customer }).ok).toBe(true);
  });

  it('a key indented one space too many is named on its own line, not on the line above', () => {
    expect(errorsOf(edited('  sku:', '   sku:'))).toEqual([
      `${file}:11:4 items.sku: "sku" is indented by 3 spaces but "lpn" above it (line 10) by 2: keys of one block must start at the same column (yaml: Nested mappings are not allowed in compact mappings)`,
    ]);
  });

  it('a key indented one space too few is named with the sibling it should line up with', () => {
    expect(errorsOf(edited('  sku:', ' sku:'))).toEqual([
      `${file}:11:2 items.sku: "sku" is indented by 1 space but "lpn" above it (line 10) by 2: keys of one block must start at the same column (yaml: All mapping items must start at the same column)`,
    ]);
  });

  it('a first child moved to column 1 is named as outside its block, not its value as a compact mapping', () => {
    expect(errorsOf(edited('  lpn:', 'lpn:'))).toEqual([
      `${file}:10:1 items.lpn: "lpn" is indented by 0 spaces, level with "items" above it (line 9), so it is not inside "items": indent it by 2 spaces like "sku" below it (yaml: Nested mappings are not allowed in compact mappings)`,
    ]);
  });

  it('a missing space after a colon is named with the fixed line', () => {
    expect(errorsOf(edited('sku: Artikel', 'sku:Artikel'))).toEqual([
      `${file}:11:7 items.sku: a space is missing after the colon: write "sku: Artikel | trim" (yaml: Implicit keys need to be on a single line)`,
    ]);
  });

  it('a key without its colon is named with the fixed line', () => {
    expect(errorsOf(edited('items:', 'items'))).toEqual([
      `${file}:9:6 items: the colon after "items" is missing: write "items:" (yaml: Implicit keys need to be on a single line)`,
    ]);
    expect(errorsOf(edited('sku: Artikel', 'sku Artikel'))).toEqual([
      `${file}:11:6 items.sku: the colon after "sku" is missing: write "sku: Artikel | trim" (yaml: Implicit keys need to be on a single line)`,
    ]);
  });

  it('an unclosed { or [ is placed at the bracket that is not closed, not on the line after it', () => {
    expect(errorsOf(edited('semicolon }', 'semicolon'))).toEqual([
      `${file}:1:9 format: the { is not closed: end it with } on the same line (yaml: Flow map in block collection must be sufficiently indented and end with a })`,
    ]);
    expect(errorsOf(edited('"avis_*.csv"]', '"avis_*.csv"'))).toEqual([
      `${file}:3:13 match.fileName: the [ is not closed: end it with ] on the same line (yaml: Flow sequence in block collection must be sufficiently indented and end with a ])`,
    ]);
  });

  it('an unclosed quote is placed at the quote that opens it, not at the end of the file', () => {
    expect(errorsOf(edited('Bestellnr | trim', '"Bestellnr | trim'))).toEqual([
      `${file}:7:18 document.purchaseOrder: the " is not closed: end the value with " on the same line (yaml: Missing closing "quote)`,
    ]);
  });

  it('a tab used for indentation is named as such', () => {
    expect(errorsOf(edited('  sku:', '\tsku:'))).toEqual([
      `${file}:11:1 items.sku: the line is indented with a tab: YAML indents with spaces only (yaml: Tabs are not allowed as indentation)`,
    ]);
  });

  it('a value holding ": " is told to be quoted', () => {
    expect(errorsOf(edited('  purchaseOrder: Bestellnr | trim', '  purchaseOrder: { const: "x" }\n  description: Note: fragile'))).toEqual([
      `${file}:8:16 document.description: the value holds ": ", which YAML reads as a key: quote the value: description: "Note: fragile" (yaml: Nested mappings are not allowed in compact mappings)`,
    ]);
  });

  it('keeps the error shape: code, file, line, column and field', () => {
    const result = compileMapping(edited('  sku:', '   sku:'), { file, customer });
    expect(!result.ok && result.errors.map((e) => ({ code: e.code, place: e.place }))).toEqual([
      { code: 'MAPPING_YAML_SYNTAX', place: { file, line: 11, column: 4, field: 'items.sku' } },
    ]);
  });
});
