import { describe, expect, it } from 'vitest';
import { describePlace } from '../../src/errors/intake-error.ts';
import type { SourceRecord } from '../../src/formats/record.ts';
import { compileMapping } from '../../src/mapping/compile-mapping.ts';
import { mapRecords, type MappingOutput } from '../../src/mapping/map-records.ts';
import { collect } from './source-records.ts';

const customer = { business: 'b', facility: 'f', direction: 'INBOUND' as const };

async function map(yaml: string, rows: Record<string, string>[]): Promise<MappingOutput[]> {
  const compiled = compileMapping(`format: { type: csv }\n${yaml}`, { file: 'm.yaml', customer });
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.errors, null, 2));
  const records: SourceRecord[] = rows.map((fields, i) => ({ fields, provenance: { file: 'in.csv', line: i + 2 } }));
  return collect(mapRecords(compiled.mapping, records, { file: 'in.csv', customer: 'c' }));
}

async function documentOf(yaml: string, rows: Record<string, string>[]): Promise<Record<string, unknown>> {
  const [first] = await map(yaml, rows);
  if (first?.kind !== 'document') throw new Error(JSON.stringify(first, null, 2));
  return first.document as Record<string, unknown>;
}

describe('value sources', () => {
  it('a field, a field with pipes and a shorthand argument', async () => {
    const doc = await documentOf('document:\n  orderNumber: PO | trim | upper\n  carrier: "Code | pad(6)"\n', [{ PO: ' po-1 ', Code: '42' }]);
    expect(doc).toMatchObject({ orderNumber: 'PO-1', carrier: '000042' });
  });

  it('the first non-empty of several fields', async () => {
    const doc = await documentOf('document:\n  orderNumber: { field: [A, B, C] }\n', [{ A: '', C: 'third' }]);
    expect(doc.orderNumber).toBe('third');
  });

  it('constants: plain numbers and booleans, and const for text', async () => {
    const doc = await documentOf(
      'document:\n  orderNumber: PO\n  expectedQuantity: 12\n  carrier: { const: UPS }\nitems:\n  lpn: L\n  sku: S\n  quantity: 1\n  quantityUnit: { const: EA }\n  isDangerousGood: false\n',
      [{ PO: '1', L: 'L1', S: 'S1' }],
    );
    expect(doc).toMatchObject({ expectedQuantity: 12, carrier: 'UPS', items: [{ lpn: 'L1', sku: 'S1', quantity: 1, quantityUnit: 'EA', isDangerousGood: false }] });
  });

  it('templates, empty when every placeholder is empty, with pipes', async () => {
    const yaml = 'document:\n  orderNumber: PO\n  shipmentNumber: "{{PO}}-{{Line}} | lower"\n  bolNumber: { template: "BOL {{Bol}}", transforms: [{ default: NONE }] }\n';
    expect(await documentOf(yaml, [{ PO: 'A', Line: '7', Bol: '' }])).toMatchObject({ shipmentNumber: 'a-7', bolNumber: 'NONE' });
    expect(await documentOf(yaml, [{ PO: 'A', Line: '', Bol: 'X' }])).toMatchObject({ shipmentNumber: 'a-', bolNumber: 'BOL X' });
  });

  it('a JSONata expr with transforms after it, and its failure placed at the record', async () => {
    const yaml = 'document:\n  orderNumber: PO\n  expectedQuantity: { expr: "$number(A) + $number(B)", transforms: [integer] }\n  carrier: { expr: "$provenance.file" }\n';
    expect(await documentOf(yaml, [{ PO: '1', A: '2', B: '3' }])).toMatchObject({ expectedQuantity: 5, carrier: 'in.csv' });
    const [rejected] = await map(yaml.replace('$provenance.file', '$number(A)'), [{ PO: '1', A: 'x', B: '1' }]);
    expect(rejected?.kind === 'rejected-document' && rejected.errors.map((e) => [e.code, describePlace(e.place)])).toEqual([
      ['MAPPING_EXPR_FAILED', 'in.csv line 2, field document.carrier'],
      ['MAPPING_EXPR_FAILED', 'in.csv line 2, field document.expectedQuantity'],
    ]);
  });

  it('a JSONata expr that never ends (recursion without a base case) fails its record, not the whole run', async () => {
    const yaml = 'document:\n  orderNumber: PO\n  carrier: { expr: "($f := function($x){ $f($x + 1) }; $f(0))" }\n';
    const [rejected] = await map(yaml, [{ PO: '1' }]);
    expect(rejected?.kind === 'rejected-document' && rejected.errors.map((e) => e.code)).toEqual(['MAPPING_EXPR_FAILED']);
    expect(rejected?.kind === 'rejected-document' && rejected.errors[0]!.message).toMatch(/timeout|too deep/i);
  });

  it('additionalFields take values of any kind', async () => {
    const doc = await documentOf('document:\n  orderNumber: PO\n  additionalFields:\n    door: Door\n    pallets: Pallets | integer\n    empty: Nothing\n', [
      { PO: '1', Door: 'D1', Pallets: '3', Nothing: '' },
    ]);
    expect(doc.additionalFields).toEqual({ door: 'D1', pallets: 3 });
  });

  it('split into caseSerials with a pattern checked on every element', async () => {
    const yaml =
      'document:\n  orderNumber: PO\nitems:\n  lpn: L\n  sku: S\n  quantity: 1\n  quantityUnit: { const: EA }\n  caseSerials: { column: Serials, transforms: [split, upper], pattern: "^SN\\\\d+$" }\n';
    expect(await documentOf(yaml, [{ PO: '1', L: 'L', S: 'S', Serials: 'sn1, sn2' }])).toMatchObject({ items: [{ caseSerials: ['SN1', 'SN2'] }] });
    const [bad] = await map(yaml, [{ PO: '1', L: 'L', S: 'S', Serials: 'sn1, x2' }]);
    expect(bad?.kind === 'rejected-document' && bad.errors[0]!.message).toBe('"X2" does not match the pattern ^SN\\d+$');
  });

  it('orderItemUpdateStrategy from the file, checked on the document', async () => {
    const yaml =
      'document:\n  orderNumber: PO\n  orderItemUpdateStrategy: { column: Purpose, transforms: [{ map: { values: { "00": OVERWRITE, "03": DELETE } } }] }\nitems:\n  lpn: L\n  sku: S\n  quantity: Q | number\n';
    expect(await documentOf(yaml, [{ PO: '1', Purpose: '03', L: 'L', S: 'S', Q: '' }])).toMatchObject({ orderItemUpdateStrategy: 'DELETE' });
    const [bad] = await map(yaml, [{ PO: '1', Purpose: '00', L: 'L', S: 'S', Q: '1' }]);
    expect(bad?.kind === 'rejected-document' && bad.errors.map((e) => `${describePlace(e.place)}: ${e.message}`)).toEqual([
      'in.csv line 2, field items.quantityUnit: quantityUnit is required for every item with strategy OVERWRITE, and this item has none',
    ]);
  });

  it('a required item field holding only blanks is missing, as the engine says (no trimming in the mapping)', async () => {
    const yaml = 'document:\n  orderNumber: PO\nitems:\n  lpn: L\n  sku: S\n  quantity: 1\n  quantityUnit: { const: EA }\n';
    const [bad] = await map(yaml, [{ PO: '1', L: '   ', S: 'S' }]);
    expect(bad?.kind === 'rejected-document' && bad.errors.map((e) => e.code)).toEqual(['MAPPING_MISSING_ITEM_FIELD']);
  });
});

describe('when conditions', () => {
  const rows = [
    { PO: '1', Type: 'D ', Qty: '5', Note: '' },
    { PO: '2', Type: 'H', Qty: '0', Note: 'x' },
    { PO: '3', Type: 'D', Qty: '12', Note: 'gift' },
    { PO: '4', Type: 'T', Qty: '1', Note: '' },
  ];
  const kept = async (when: string) =>
    (await map(`when: ${when}\ndocument:\n  orderNumber: PO\n`, rows)).map((o) => (o.kind === 'document' ? o.document.orderNumber : o.kind));

  it('equals compares the trimmed value', async () => {
    expect(await kept('{ column: Type, equals: D }')).toEqual(['1', '3']);
  });
  it('in, matches and empty', async () => {
    expect(await kept('{ column: Type, in: [H, T] }')).toEqual(['2', '4']);
    expect(await kept('{ column: Qty, matches: "^\\\\d{2,}$" }')).toEqual(['3']);
    expect(await kept('{ column: Note, empty: false }')).toEqual(['2', '3']);
  });
  it('all, any, not and a list', async () => {
    expect(await kept('{ any: [{ column: Type, equals: H }, { column: Note, equals: gift }] }')).toEqual(['2', '3']);
    expect(await kept('{ not: { column: Type, in: [H, T] } }')).toEqual(['1', '3']);
    expect(await kept('[{ column: Type, equals: D }, { column: Note, empty: true }]')).toEqual(['1']);
    expect(await kept('{ all: [{ column: Type, equals: D }, { expr: "$number(Qty) > 10" }] }')).toEqual(['3']);
  });
  it('a JSONata expr', async () => {
    expect(await kept('{ expr: "$number(Qty) > 0 and Type != \'T\'" }')).toEqual(['1', '3']);
  });
  it('records left out are counted in what mapRecords returns, not reported as skipped rows', async () => {
    const compiled = compileMapping('format: { type: csv }\nwhen: { column: Type, equals: D }\ndocument:\n  orderNumber: PO\n', { file: 'm.yaml', customer });
    if (!compiled.ok) throw new Error(JSON.stringify(compiled.errors));
    const records: SourceRecord[] = rows.map((fields, i) => ({ fields, provenance: { file: 'in.csv', line: i + 2 } }));
    const mapped = mapRecords(compiled.mapping, records, { file: 'in.csv', customer: 'c' });
    const kinds: string[] = [];
    let step = await mapped.next();
    for (; !step.done; step = await mapped.next()) kinds.push(step.value.kind);
    expect(kinds).toEqual(['document', 'document']);
    expect(step.value).toEqual({ excludedRecords: 2 });
  });
  it('items.when: other records still give the document fields', async () => {
    const doc = await documentOf(
      'document:\n  orderNumber: PO\n  consigneeName: Name\nitems:\n  when: { column: Type, equals: D }\n  lpn: L\n  sku: S\n  quantity: Q | number\n  quantityUnit: { const: EA }\n',
      [
        { PO: '1', Type: 'H', Name: 'Header Name', L: '', S: '', Q: '' },
        { PO: '1', Type: 'D', Name: '', L: 'L1', S: 'S1', Q: '2' },
      ],
    );
    expect(doc).toMatchObject({ consigneeName: 'Header Name', items: [{ lpn: 'L1', sku: 'S1', quantity: 2, quantityUnit: 'EA' }] });
  });
});
