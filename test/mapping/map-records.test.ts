import { describe, expect, it } from 'vitest';
import { describePlace, IntakeError, type IntakeErrorValue } from '../../src/errors/intake-error.ts';
import { mapRecords, type MappingOutput } from '../../src/mapping/map-records.ts';
import { fixtureMapping } from './fixture-mappings.ts';
import { collect, csvRecords, x12Records } from './source-records.ts';

const HEADER = ['PO#', 'Status', 'Load', 'Ship To', 'Ship Date', 'Type', 'Door', 'Pallet', 'Item', 'Qty', 'UOM', 'Description', 'Hazmat', 'Lot', 'Expiry', 'Serials'];

/** One CSV row with sensible values; `over` changes what a test is about. */
function row(po: string, pallet: string, item: string, over: Partial<Record<(typeof HEADER)[number], string>> = {}): string[] {
  const base: Record<string, string> = {
    'PO#': po,
    Status: 'OPEN',
    Load: 'L7',
    'Ship To': 'ACME STORE #12',
    'Ship Date': '03/01/2024 08:30',
    Type: 's',
    Door: ' D4 ',
    Pallet: pallet,
    Item: item,
    Qty: '10',
    UOM: 'cs',
    Description: ' Widget ',
    Hazmat: 'N',
    Lot: '',
    Expiry: '',
    Serials: '',
    ...over,
  };
  return HEADER.map((h) => base[h]!);
}

const say = (e: IntakeErrorValue) => `${describePlace(e.place)}: ${e.message}`;

async function run(rows: string[][], edit?: (yaml: string) => string): Promise<MappingOutput[]> {
  const mapping = fixtureMapping('acme', 'orders', edit);
  return collect(mapRecords(mapping, csvRecords('orders_1.csv', HEADER, rows), { file: 'orders_1.csv', customer: 'acme' }));
}

function documents(outputs: MappingOutput[]) {
  return outputs.flatMap((o) => (o.kind === 'document' ? [o] : []));
}
function rejected(outputs: MappingOutput[]) {
  return outputs.flatMap((o) => (o.kind === 'rejected-document' ? [o] : []));
}
function skipped(outputs: MappingOutput[]) {
  return outputs.flatMap((o) => (o.kind === 'skipped-row' ? [o] : []));
}

describe('a CSV mapping (PO#, Qty, Ship To)', () => {
  it('turns order lines into documents with every kind of value', async () => {
    const outputs = await run([
      row('PO-1', 'LPN000001', 'w-100', { Hazmat: 'Y', Lot: ' L-9 ', Expiry: '31.12.2025', Serials: 'S1 S2  S3' }),
      row('PO-1', 'LPN000001', 'X-9', { Qty: '1,250', UOM: '' }),
      row('PO-2', 'LPN000002', 'G-200', { 'Ship To': 'globex depot', Type: 'R', Load: '', 'Ship Date': '03/02/2024' }),
    ]);
    expect(outputs.map((o) => o.kind)).toEqual(['document', 'document']);
    const [first, second] = documents(outputs);
    expect(first!.index).toBe(0);
    expect(first!.document).toEqual({
      orderNumber: 'PO-1',
      business: 'acme',
      facility: 'sf',
      direction: 'OUTBOUND',
      shipmentNumber: 'LOAD-L7',
      expectedArrivalAt: '2024-03-01T16:30:00Z',
      additionalFields: { dockDoor: 'D4' },
      carrier: 'ACME FREIGHT',
      orderType: 'SALES',
      consigneeName: 'Acme Store #12',
      items: [
        {
          lpn: 'LPN000001',
          sku: 'SKU-WIDGET-100',
          quantity: 10,
          quantityUnit: 'CS',
          description: 'Widget',
          isDangerousGood: true,
          lot: 'L-9',
          expirationDate: '2025-12-31',
          caseSerials: ['S1', 'S2', 'S3'],
        },
        { lpn: 'LPN000001', sku: 'X-9', quantity: 1250, quantityUnit: 'CASE', description: 'Widget', isDangerousGood: false },
      ],
    });
    expect(first!.sources).toEqual({ file: 'orders_1.csv', lines: [[2, 3]] });
    expect(second!.index).toBe(1);
    expect(second!.document).toMatchObject({
      orderNumber: 'PO-2',
      consigneeName: 'Globex Depot',
      orderType: 'RETURN',
      expectedArrivalAt: '2024-03-02T08:00:00Z',
    });
    expect(second!.document.shipmentNumber).toBeUndefined();
  });

  it('carries the mapping hash on every document', async () => {
    const mapping = fixtureMapping('acme', 'orders');
    const outputs = await run([row('PO-1', 'LPN000001', 'A'), row('PO-2', 'LPN000002', 'B')]);
    expect(mapping.hash).toMatch(/^[0-9a-f]{64}$/);
    for (const o of outputs) expect(o.kind === 'document' && o.mappingHash).toBe(mapping.hash);
  });

  it('leaves out rows a `when` filter excludes, before grouping', async () => {
    const outputs = await run([row('PO-1', 'LPN000001', 'A'), row('PO-1', 'LPN000009', 'B', { Status: 'CANCELLED' }), row('PO-3', 'LPN000003', 'C', { Status: 'CANCELLED' })]);
    const docs = documents(outputs);
    expect(docs).toHaveLength(1);
    expect(docs[0]!.document.items).toHaveLength(1);
    expect(docs[0]!.sources.lines).toEqual([[2, 2]]);
  });

  it('emits documents in the order of their first record when the file is not sorted', async () => {
    const outputs = await run([row('PO-B', 'LPN00000B', 'A'), row('PO-A', 'LPN00000A', 'A'), row('PO-B', 'LPN00000B', 'C')]);
    const docs = documents(outputs);
    expect(docs.map((d) => [d.index, d.document.orderNumber, d.document.items?.length])).toEqual([
      [0, 'PO-B', 2],
      [1, 'PO-A', 1],
    ]);
    expect(docs[0]!.sources.lines).toEqual([[2, 2], [4, 4]]);
  });

  it('rejects the document of a bad row by default, naming line, column and field', async () => {
    const outputs = await run([row('PO-1', 'LPN000001', 'A'), row('PO-1', 'LPN000001', 'B', { Qty: 'ten' }), row('PO-2', 'LPN000002', 'A')]);
    expect(outputs.map((o) => o.kind)).toEqual(['rejected-document', 'document']);
    const [bad] = rejected(outputs);
    expect(bad!.index).toBe(0);
    expect(bad!.errors.map(say)).toEqual(['orders_1.csv line 3, column "Qty", field items.quantity: expected a number, got "ten"']);
    expect(bad!.errors[0]!.code).toBe('MAPPING_NOT_A_NUMBER');
    expect(bad!.partial).toMatchObject({ orderNumber: 'PO-1' });
    expect(bad!.sources.lines).toEqual([[2, 3]]);
    expect(documents(outputs)[0]!.index).toBe(1);
  });

  it('collects every error of a rejected document', async () => {
    const outputs = await run([row('PO-1', '', 'A', { Qty: 'x' }), row('PO-1', 'bad lpn', 'B', { Hazmat: 'maybe' })]);
    expect(rejected(outputs)[0]!.errors.map((e) => e.code)).toEqual([
      'MAPPING_REQUIRED_FIELD',
      'MAPPING_NOT_A_NUMBER',
      'MAPPING_PATTERN_MISMATCH',
      'MAPPING_BAD_BOOLEAN',
    ]);
  });

  it('required and pattern checks say what is wrong', async () => {
    const outputs = await run([row('PO-1', '', 'A'), row('PO-1', 'lpn 1', 'B')]);
    expect(rejected(outputs)[0]!.errors.map(say)).toEqual([
      'orders_1.csv line 2, column "Pallet", field items.lpn: lpn is required, but its value is empty',
      'orders_1.csv line 3, column "Pallet", field items.lpn: "lpn 1" does not match the pattern ^[A-Z0-9]{6,20}$',
    ]);
  });

  it('a field the strategy requires is checked per row', async () => {
    const outputs = await run([row('PO-1', 'LPN000001', 'A', { Qty: ' ' })], (y) => y.replace('quantity: Qty | number', 'quantity: Qty | trim | number'));
    expect(rejected(outputs)[0]!.errors.map(say)).toEqual([
      'orders_1.csv line 2, column "Qty", field items.quantity: quantity is required by strategy OVERWRITE, but its value is empty',
    ]);
  });


  it('onError: skipRow drops the bad row, reports it, and keeps the document', async () => {
    const outputs = await run([row('PO-1', 'LPN000001', 'A'), row('PO-1', 'LPN000001', 'B', { Qty: 'ten' }), row('PO-1', 'LPN000001', 'C')], (y) =>
      y.replace('groupBy:', 'onError: skipRow\ngroupBy:'),
    );
    expect(outputs.map((o) => o.kind)).toEqual(['skipped-row', 'document']);
    const [skip] = skipped(outputs);
    expect(say(skip!.error)).toBe('orders_1.csv line 3, column "Qty", field items.quantity: expected a number, got "ten"');
    expect(skip!.sources).toEqual({ file: 'orders_1.csv', lines: [[3, 3]] });
    const [doc] = documents(outputs);
    expect(doc!.document.items!.map((i) => i.sku)).toEqual(['A', 'C']);
    expect(doc!.sources.lines).toEqual([[2, 2], [4, 4]]);
  });

  it('onError: skipRow takes document fields from the first row that is kept', async () => {
    const outputs = await run([row('PO-1', 'LPN000001', 'A', { 'Ship Date': 'soon' }), row('PO-1', 'LPN000001', 'B', { 'Ship Date': '03/05/2024' })], (y) =>
      y.replace('groupBy:', 'onError: skipRow\ngroupBy:'),
    );
    expect(skipped(outputs)[0]!.error.code).toBe('MAPPING_BAD_DATE');
    expect(documents(outputs)[0]!.document.expectedArrivalAt).toBe('2024-03-05T08:00:00Z');
  });

  it('onError: rejectFile throws MAPPING_REJECT_FILE with every error of the row', async () => {
    const attempt = run([row('PO-1', 'LPN000001', 'A'), row('PO-2', '', 'B', { Qty: 'ten' })], (y) => y.replace('groupBy:', 'onError: rejectFile\ngroupBy:'));
    const error = await attempt.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(IntakeError);
    const value = (error as IntakeError).value;
    expect(value.code).toBe('MAPPING_REJECT_FILE');
    expect((error as IntakeError).message).toBe(
      'orders_1.csv line 3, column "Pallet", field items.lpn: the mapping rejects the whole file on a bad record (onError: rejectFile): lpn is required, but its value is empty',
    );
    expect((value.details!.errors as IntakeErrorValue[]).map((e) => e.code)).toEqual(['MAPPING_REQUIRED_FIELD', 'MAPPING_NOT_A_NUMBER']);
  });

  it('consistent: true rejects an order whose rows disagree', async () => {
    const outputs = await run([row('PO-1', 'LPN000001', 'A'), row('PO-1', 'LPN000001', 'B', { 'Ship To': 'Other Place' })]);
    expect(rejected(outputs)[0]!.errors.map(say)).toEqual([
      'orders_1.csv line 3, column "Ship To", field document.consigneeName: consigneeName is "Other Place" here but "Acme Store #12" on the first record of this order (line 2); consistent: true requires every record of an order to agree',
    ]);
  });

  it('document fields come from the first record when not marked consistent', async () => {
    const outputs = await run([row('PO-1', 'LPN000001', 'A', { Load: 'L1' }), row('PO-1', 'LPN000001', 'B', { Load: 'L2' })]);
    expect(documents(outputs)[0]!.document.shipmentNumber).toBe('LOAD-L1');
  });

  it('validates the assembled document and points at the row and column', async () => {
    const outputs = await run([row('PO-1', 'LPN000001', 'A', { Qty: '-5' })]);
    expect(rejected(outputs)[0]!.errors.map(say)).toEqual([
      'orders_1.csv line 2, column "Qty", field items.quantity: must not be negative, got -5',
    ]);
    expect(rejected(outputs)[0]!.errors[0]!.code).toBe('MAPPING_INVALID_DOCUMENT');
  });

  it('rejects duplicate lpn + sku, naming the earlier line', async () => {
    const outputs = await run([row('PO-1', 'LPN000001', 'A'), row('PO-1', 'LPN000002', 'A'), row('PO-1', 'LPN000001', 'a')]);
    expect(rejected(outputs)[0]!.errors.map(say)).toEqual([
      'orders_1.csv line 4, field items.lpn+sku: lpn "LPN000001" + sku "A" is already on line 2 of this order; the platform refuses duplicate lpn + sku',
    ]);
  });

  it('a row with an empty key belongs to no order: reported as skipped', async () => {
    const outputs = await run([row('PO-1', 'LPN000001', 'A'), row('  ', 'LPN000001', 'B')]);
    expect(outputs.map((o) => o.kind)).toEqual(['skipped-row', 'document']);
    expect(say(skipped(outputs)[0]!.error)).toBe(
      'orders_1.csv line 3, column "PO#", field groupBy: the grouping key (PO#) is empty, so this record belongs to no order',
    );
  });

  it('groupBy.emptyKey: previous joins a row without key to the order above it', async () => {
    const outputs = await run([row('PO-1', 'LPN000001', 'A'), row('', 'LPN000001', 'B')], (y) => y.replace('sorted: auto', 'sorted: auto\n  emptyKey: previous'));
    expect(documents(outputs)[0]!.document.items).toHaveLength(2);
  });
});

describe('an X12 856 mapping (BSN02, P.MAN02, I.LIN[SK], I.SN102)', () => {
  const shipment = {
    BSN02: 'SHP-77',
    BSN03: '20240115',
    BSN04: '0930',
    'S.TD503': ' FEDX ',
    'S.TD303': 'TRL-9',
    'S.REF[BM]': 'BOL-123',
    'S.N1[ST]02': '  Globex West DC ',
  };
  const item = (po: string, lpn: string, sku: string, qty: string, extra: Record<string, string> = {}) => ({
    ...shipment,
    'O.PRF01': po,
    'P.MAN02': lpn,
    'I.LIN[SK]': sku,
    'I.SN102': qty,
    'I.SN103': 'CA',
    ...extra,
  });

  async function run856(items: Record<string, string>[], options: { test?: boolean } = {}) {
    const mapping = fixtureMapping('globex', 'asn-856');
    return collect(mapRecords(mapping, x12Records('ASN_0001.x12', items, options), { file: 'ASN_0001.x12', customer: 'globex' }));
  }

  it('maps a shipment with two orders into one document per order', async () => {
    const outputs = await run856([
      item('PO-9', '00012345670000000011', 'SKU-1', '5', { 'I.LIN[LT]': 'LOT1', 'I.DTM[036]': '20250630' }),
      item('PO-9', '00012345670000000011', '', '7', { 'I.LIN[VN]': 'VEND-2', 'I.LIN[UP]': '012345678905' }),
      item('PO-10', '00012345670000000028', 'SKU-1', '1', { 'I.SN103': 'EA' }),
    ]);
    const docs = documents(outputs);
    expect(docs.map((d) => d.document.orderNumber)).toEqual(['PO-9', 'PO-10']);
    expect(docs[0]!.document).toEqual({
      orderNumber: 'PO-9',
      business: 'globex',
      facility: 'chi',
      direction: 'INBOUND',
      orderItemUpdateStrategy: 'MERGE',
      shipmentNumber: 'SHP-77',
      expectedArrivalAt: '2024-01-15T15:30:00Z',
      trailerNumber: 'TRL-9',
      carrier: 'FEDX',
      purchaseOrder: 'PO-9',
      consigneeName: 'Globex West DC',
      bolNumber: 'BOL-123',
      items: [
        { lpn: '00012345670000000011', sku: 'SKU-1', quantity: 5, quantityUnit: 'CASE', lot: 'LOT1', expirationDate: '2025-06-30' },
        { lpn: '00012345670000000011', sku: 'VEND-2', upc: '012345678905', quantity: 7, quantityUnit: 'CASE' },
      ],
    });
    expect(docs[0]!.sources).toEqual({ file: 'ASN_0001.x12', segments: [[5, 12]] });
    expect(docs[1]!.document.items).toEqual([{ lpn: '00012345670000000028', sku: 'SKU-1', quantity: 1, quantityUnit: 'UNIT' }]);
  });

  it('places errors at the segment and element', async () => {
    const outputs = await run856([item('PO-9', 'L1', 'SKU-1', '2.5'), item('PO-9', 'L2', 'SKU-2', '1', { 'I.SN103': 'ZZ' })]);
    expect(rejected(outputs)[0]!.errors.map(say)).toEqual([
      'ASN_0001.x12 segment 5, element I.SN102, field items.quantity: expected a whole number, got "2.5"',
      'ASN_0001.x12 segment 9, element I.SN103, field items.quantityUnit: "ZZ" is not one of the mapped values (CA, EA, PL)',
    ]);
  });

  it('names an element the record does not have (X12 records are sparse: an absent element is no file error)', async () => {
    const { 'P.MAN02': _lpn, ...withoutLpn } = item('PO-9', 'L1', 'SKU-1', '1');
    const outputs = await run856([withoutLpn]);
    expect(rejected(outputs)[0]!.errors[0]!.message).toMatch(/^lpn is required by strategy MERGE, but this record has no element "P.MAN02" \(it has BSN02, BSN03/);
  });

  it('marks documents from test interchanges (ISA15 = T)', async () => {
    const outputs = await run856([item('PO-9', 'L1', 'SKU-1', '1')], { test: true });
    expect(documents(outputs)[0]!.test).toBe(true);
  });

  it('a JSONata expr sees the record fields', async () => {
    const outputs = await run856([item('PO-9', 'L1', 'SKU-1', '1', { 'S.N1[ST]02': ' A ' })]);
    expect(documents(outputs)[0]!.document.consigneeName).toBe('A');
  });
});
