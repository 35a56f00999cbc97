import { describe, expect, it } from 'vitest';
import { describePlace } from '../../src/errors/intake-error.ts';
import { FORMAT_OPTION_SCHEMAS } from '../../src/formats/read-records.ts';
import { compileMapping, type CompileOptions } from '../../src/mapping/compile-mapping.ts';
import { mapRecords, type MappingOutput } from '../../src/mapping/map-records.ts';
import { formatConfigError } from '../../src/mapping/parse-yaml-config.ts';
import { collect, csvRecords, x12Records } from './source-records.ts';

/** Mistakes an onboarding engineer makes, each caught with file, line and a fix instead of wrong documents. */

const customer = { business: 'acme', facility: 'sf', direction: 'OUTBOUND' as const };
const options: CompileOptions = { file: 'mappings/acme/orders.yaml', customer };
const items = `items:
  lpn: Pallet
  sku: Item
  quantity: Qty | number
  quantityUnit: { const: EA }
`;

function errorsOf(yaml: string): string[] {
  const result = compileMapping(yaml, options);
  if (result.ok) throw new Error('expected the mapping to fail');
  return result.errors.map(formatConfigError);
}

function compiled(yaml: string) {
  const result = compileMapping(yaml, options);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.mapping;
}

describe('date formats that mean something else in luxon', () => {
  it('dd/mm/yyyy (mm is minutes) is refused with the month format suggested, not read as 3 January 00:04', () => {
    const yaml = `format: { type: csv }\ndocument:\n  orderNumber: PO\n${items}  expirationDate: Exp | date(dd/mm/yyyy)\n`;
    expect(errorsOf(yaml)).toEqual([
      'mappings/acme/orders.yaml:9:25 items.expirationDate: date format "dd/mm/yyyy" does not mean what it looks like in luxon: "mm" is minutes (the format has no hour), not the month; did you mean "dd/MM/yyyy"?',
    ]);
  });
  it('moment-style DD.MM.YYYY is refused with dd.MM.yyyy suggested; HH:mm with an hour stays valid', () => {
    const yaml = `format: { type: csv }\ndocument:\n  orderNumber: PO\n  expectedArrivalAt: { column: D, transforms: [{ date: { format: [DD.MM.YYYY, "MM/dd/yyyy HH:mm"], output: datetime } }] }\n`;
    const errors = errorsOf(yaml);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^mappings\/acme\/orders\.yaml:4:\d+ document\.expectedArrivalAt: date format "DD\.MM\.YYYY" .*did you mean "dd\.MM\.yyyy"\?$/);
    expect(compileMapping(`format: { type: csv }\ndocument:\n  orderNumber: PO\n  expectedArrivalAt: D | date(yyyyMMdd HHmm)\n`, options).ok).toBe(true);
  });
});

describe('a condition on a column the file does not have', () => {
  const yaml = `format: { type: csv }\nwhen: { not: { column: Statsu, equals: X } }\ndocument:\n  orderNumber: Order\n${items}`;
  const records = csvRecords('orders.csv', ['Order', 'Pallet', 'Item', 'Qty', 'Status'], [
    ['O1', 'P1', 'S1', '1', ''],
    ['O1', 'P2', 'S2', '2', 'X'],
  ]);
  it('rejects a CSV file once, naming the column and suggesting the real one, instead of keeping the cancelled lines', async () => {
    await expect(collect(mapRecords(compiled(yaml), records, { file: 'orders.csv', customer: 'acme' }))).rejects.toMatchObject({
      value: {
        code: 'MAPPING_UNKNOWN_COLUMN',
        message: 'when.not tests column "Statsu", which this file does not have (it has Order, Pallet, Item, Qty, Status) (did you mean "Status"?)',
        place: { file: 'orders.csv', line: 2, field: 'when' },
      },
    });
  });
  it('the same in items.when', async () => {
    const itemsWhen = `format: { type: csv }\ndocument:\n  orderNumber: Order\n${items}  when: { column: Typ, equals: D }\n`;
    await expect(collect(mapRecords(compiled(itemsWhen), records, { file: 'orders.csv', customer: 'acme' }))).rejects.toMatchObject({
      value: { code: 'MAPPING_UNKNOWN_COLUMN', place: { field: 'items.when' } },
    });
  });
  it('a positional column (col5: no header of its own) is absent where its value is empty, and tested as empty', async () => {
    const positional = `format: { type: csv }\nwhen: { not: { column: col5, equals: X } }\ndocument:\n  orderNumber: Order\n${items}`;
    const [plain, marked] = csvRecords('orders.csv', ['Order', 'Pallet', 'Item', 'Qty', 'col5'], [
      ['O1', 'P1', 'S1', '1'],
      ['O2', 'P2', 'S2', '1', 'X'],
    ]);
    delete plain!.fields.col5;
    const sparse = [plain!, marked!];
    const out = await collect(mapRecords(compiled(positional), sparse, { file: 'orders.csv', customer: 'acme' }));
    expect(out.filter((o) => o.kind === 'document')).toHaveLength(1);
  });
  it('still treats an absent X12 element as empty (X12 records are sparse)', async () => {
    const x12 = `format: { type: x12 }\nwhen: { not: { field: I.SN108, equals: X } }\ndocument:\n  orderNumber: O.PRF01\n${items.replace('Pallet', 'P.MAN02').replace('Item', 'I.LIN03').replace('Qty', 'I.SN102')}`;
    const out = await collect(mapRecords(compiled(x12), x12Records('asn.edi', [{ 'O.PRF01': 'PO1', 'P.MAN02': 'P1', 'I.LIN03': 'S1', 'I.SN102': '2' }]), { file: 'asn.edi', customer: 'acme' }));
    expect(out.map((o) => o.kind)).toEqual(['document']);
  });
});

describe('YAML slips', () => {
  it('an unquoted template is explained with the quoted form, not "unknown key { Load }"', () => {
    expect(errorsOf(`format: { type: csv }\ndocument:\n  orderNumber: PO\n  shipmentNumber: {{Load}}\n`)).toEqual([
      'mappings/acme/orders.yaml:4:19: a template must be quoted, else YAML reads {{ as a map: write "{{Load}}"',
    ]);
    expect(errorsOf(`format: { type: csv }\ndocument:\n  orderNumber: PO\n  shipmentNumber: {{Load}}-{{Stop}}\n`)).toEqual([
      'mappings/acme/orders.yaml:4:19: a template must be quoted, else YAML reads {{ as a map: write "{{Load}}-{{Stop}}"',
    ]);
  });
  it('brackets inside { ... } give one error with the quoting hint, not a cascade', () => {
    const errors = errorsOf(`format: { type: x12 }\ndocument:\n  orderNumber: W0502\n  consigneeName: { field: N1[ST].N102, transforms: [trim] }\n  carrier: W6605\n`);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^mappings\/acme\/orders\.yaml:4:\d+: .*\(inside \{ \.\.\. \}, quote a field name with brackets: \{ field: "N1\[ST\]\.N102" \}\)$/);
  });
  it('a duplicate key names the key', () => {
    expect(errorsOf(`format: { type: csv }\ndocument:\n  orderNumber: PO\n  orderNumber: PO2\n`)).toEqual([
      'mappings/acme/orders.yaml:4:3: Map keys must be unique ("orderNumber" is given twice in the same block; keep one)',
    ]);
  });
});

describe('schema mistakes name what is wrong', () => {
  it('a transform missing an option names the option', () => {
    expect(errorsOf(`format: { type: csv }\ndocument:\n  orderNumber: { column: PO, transforms: [{ lookup: { table: t.csv, value: ours } }] }\n`)).toEqual([
      'mappings/acme/orders.yaml:3:53 document.orderNumber: transform "lookup" needs key',
    ]);
  });
  it('a misspelt date output is named with the allowed values, not "expected a string or a list"', () => {
    expect(errorsOf(`format: { type: csv }\ndocument:\n  orderNumber: { column: PO, transforms: [{ date: { format: yyyyMMdd, output: datetim } }] }\n`)).toEqual([
      'mappings/acme/orders.yaml:3:79 document.orderNumber: expected one of "auto", "date", "datetime", got "datetim" (did you mean "datetime"?)',
    ]);
  });
  it('bounds read as sentences, and errors come in file order', () => {
    expect(errorsOf(`format: { type: csv }\nmatch: { priority: high }\nstrategy: merge\ngroupBy: { key: PO, maxOpenGroups: -1 }\ndocument:\n  orderNumber: PO\n`)).toEqual([
      'mappings/acme/orders.yaml:2:20 match.priority: expected a number, got "high"',
      'mappings/acme/orders.yaml:3:11 strategy: expected one of "APPEND", "MERGE", "DELETE", "OVERWRITE", got "merge" (did you mean "MERGE"?)',
      'mappings/acme/orders.yaml:4:36 groupBy.maxOpenGroups: must be more than 0, got -1',
    ]);
  });
  it('a constant the document schema refuses is caught when compiling, not on every document', () => {
    expect(errorsOf(`format: { type: csv }\ndocument:\n  orderNumber: PO\n  direction: { const: outbound }\n${items}  isDangerousGood: 1\n`)).toEqual([
      'mappings/acme/orders.yaml:4:23 document.direction.const: the constant "outbound" cannot go into the document: expected one of "INBOUND", "OUTBOUND", got "outbound" (did you mean "OUTBOUND"?)',
      'mappings/acme/orders.yaml:10:20 items.isDangerousGood: the constant 1 cannot go into the document: expected a boolean, got 1',
    ]);
  });
});

describe('an order split over two groups (a grouping key that differs where orderNumber does not)', () => {
  // The README's example as it was: groupBy: PO#, orderNumber: PO# | trim. Excel exports leave a trailing space.
  const split = (head: string) => `format: { type: csv }\n${head}document:\n  orderNumber: PO# | trim\n${items}`;
  const records = csvRecords('rx.csv', ['PO#', 'Pallet', 'Item', 'Qty'], [
    ['RX-1', 'P1', 'A', '1'],
    ['RX-1 ', 'P2', 'B', '2'],
    ['RX-1', 'P3', 'C', '3'],
    ['RX-2', 'P4', 'D', '4'],
  ]);
  const map = (yaml: string, rows = records) => collect(mapRecords(compiled(yaml), rows, { file: 'rx.csv', customer: 'acme' }));
  const kinds = (outputs: MappingOutput[]) => outputs.map((o) => (o.kind === 'document' ? `document ${o.document.orderNumber}` : o.kind));

  it('rejects every document of the order, naming each group and its lines, instead of the second replacing the first', async () => {
    const outputs = await map(split('groupBy: PO#\n'));
    expect(kinds(outputs)).toEqual(['rejected-document', 'rejected-document', 'document RX-2']);
    const message =
      'order "RX-1" comes from 2 groups of this file, PO# "RX-1" (lines 2, 4) and PO# "RX-1 " (line 3), and each would replace the items of the one before (OVERWRITE): ' +
      'no document of this order is applied; the grouping key must give one group per order: group by the value mapped to orderNumber, with the same transforms (groupBy: PO# | trim)';
    const rejected = outputs.flatMap((o) => (o.kind === 'rejected-document' ? [o] : []));
    expect(rejected.map((o) => o.errors.map((e) => `${e.code} ${describePlace(e.place)}: ${e.message}`))).toEqual([
      [`MAPPING_ORDER_SPLIT rx.csv line 2, field groupBy: ${message}`],
      [`MAPPING_ORDER_SPLIT rx.csv line 3, field groupBy: ${message}`],
    ]);
    expect(rejected.map((o) => [o.index, o.sources.lines, (o.partial as { items: unknown[] }).items.length])).toEqual([
      [0, [[2, 2], [4, 4]], 2],
      [1, [[3, 3]], 1],
    ]);
  });

  it('grouping by the same value as orderNumber makes one document of all three lines', async () => {
    const outputs = await map(split('groupBy: PO# | trim\n'));
    expect(kinds(outputs)).toEqual(['document RX-1', 'document RX-2']);
    expect(outputs[0]!.kind === 'document' && outputs[0]!.document.items).toHaveLength(3);
  });

  it('is normal under MERGE, APPEND and DELETE, where each document adds to (or takes from) the order', async () => {
    for (const strategy of ['MERGE', 'APPEND', 'DELETE']) {
      expect(kinds(await map(split(`groupBy: PO#\nstrategy: ${strategy}\n`)))).toEqual(['document RX-1', 'document RX-1', 'document RX-2']);
    }
  });

  it('refuses the whole file when a document of the order already went out (groups streamed: sorted: true)', async () => {
    const sorted = [records[0]!, records[1]!, records[3]!];
    await expect(map(split('groupBy: { key: PO#, sorted: true }\n'), sorted)).rejects.toMatchObject({
      value: { code: 'MAPPING_ORDER_SPLIT', message: expect.stringMatching(/^order "RX-1" comes from 2 groups of this file, PO# "RX-1" \(line 2\) and PO# "RX-1 " \(line 3\), and each would replace the items of the one before \(OVERWRITE\): the file is mapped as it is read .*: none of the file is applied/), place: { file: 'rx.csv', line: 3 } },
    });
  });

  it('under onError: rejectFile refuses the file', async () => {
    await expect(map(split('groupBy: PO#\nonError: rejectFile\n'))).rejects.toMatchObject({ value: { code: 'MAPPING_REJECT_FILE', details: { errors: [{ code: 'MAPPING_ORDER_SPLIT' }] } } });
  });
});

describe('a value read from a column the file does not have (CSV, xlsx)', () => {
  const mapping = (unit: string) => `format: { type: csv }\ngroupBy: Order | trim\ndocument:\n  orderNumber: Order | trim\nitems:\n  lpn: Pallet\n  sku: Item\n  quantity: Qty | number\n  quantityUnit: ${unit}\n`;
  const map = (yaml: string, header: string[]) =>
    collect(mapRecords(compiled(yaml), csvRecords('orders.csv', header, [['O1', 'P1', 'S1', '1', 'PL']]), { file: 'orders.csv', customer: 'acme' }));

  it('rejects the file once, naming the column and the file\'s columns, instead of the default on every row (a default is for empty cells)', async () => {
    // The export renamed UOM to Unit: every row would have been sent as CS instead of PL.
    await expect(map(mapping('{ column: UOM, transforms: [{ default: CS }] }'), ['Order', 'Pallet', 'Item', 'Qty', 'Unit'])).rejects.toMatchObject({
      value: {
        code: 'MAPPING_UNKNOWN_COLUMN',
        message: 'the mapping reads column "UOM" (items.quantityUnit), which this file does not have (it has Order, Pallet, Item, Qty, Unit): every row would read it as empty',
        place: { file: 'orders.csv', field: 'items.quantityUnit' },
      },
    });
  });

  it('says when a header differs only in case, and names every missing column with its suggestion', async () => {
    await expect(map(mapping('UOM'), ['order', 'Pallet', 'Itme', 'Qty', 'Uom'])).rejects.toMatchObject({
      value: {
        code: 'MAPPING_UNKNOWN_COLUMN',
        message:
          'the mapping reads columns "Order" (groupBy, document.orderNumber; the file has "order"), "Item" (items.sku; did you mean "Itme"?) and "UOM" (items.quantityUnit; the file has "Uom"), ' +
          'which this file does not have (it has order, Pallet, Itme, Qty, Uom): every row would read them as empty; column names are case-sensitive',
        place: { field: 'groupBy' },
      },
    });
  });

  it('a list of columns needs one of them; a positional column (col5) may be absent', async () => {
    const outputs = await map(mapping('{ column: [Unit, UOM] }').replace('items:', 'items:\n  lot: col9'), ['Order', 'Pallet', 'Item', 'Qty', 'UOM']);
    expect(outputs.map((o) => o.kind === 'document' && o.document.items)).toEqual([[{ lpn: 'P1', sku: 'S1', quantity: 1, quantityUnit: 'PL' }]]);
  });
});

describe('a misspelt reader option', () => {
  const errorsWithReaders = (yaml: string) => {
    const result = compileMapping(yaml, { ...options, formatOptions: FORMAT_OPTION_SCHEMAS });
    return result.ok ? [] : result.errors.map(formatConfigError);
  };
  const document = 'document:\n  orderNumber: PO\n';

  it('is refused with the option suggested, not dropped for its default (decimal: 3 read 12.500 as 12500)', () => {
    const fixedWidth = `format:
  type: fixed-width
  shortLine: pad
  records:
    - name: line
      fields:
        - { name: PO, start: 1, length: 5 }
        - { name: qty, start: 6, length: 9, decimal: 3 }
${document}`;
    expect(errorsWithReaders(fixedWidth)).toEqual([
      'mappings/acme/orders.yaml:3:3 format.shortLine: unknown key "shortLine" (did you mean "shortLines"?)',
      'mappings/acme/orders.yaml:8:45 format.records[0].fields[1].decimal: unknown key "decimal" (did you mean "decimals"?)',
    ]);
  });

  it.each([
    ['xlsx', 'headerline: 3', 'headerline', 'headerLine'],
    ['json', 'recordsAT: orders', 'recordsAT', 'recordsAt'],
    ['x12', 'transactionSet: ["856"]', 'transactionSet', 'transactionSets'],
  ])('%s: %s', (type, option, key, meant) => {
    expect(errorsWithReaders(`format: { type: ${type}, ${option} }\n${document}`)).toEqual([
      expect.stringMatching(new RegExp(`^mappings/acme/orders\\.yaml:1:\\d+ format\\.${key}: unknown key "${key}" \\(did you mean "${meant}"\\?\\)$`)),
    ]);
  });
});
