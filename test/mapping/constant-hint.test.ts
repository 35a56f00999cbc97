import { describe, expect, it } from 'vitest';
import { compileMapping } from '../../src/mapping/compile-mapping.ts';
import { mapRecords } from '../../src/mapping/map-records.ts';
import { collect, csvRecords } from './source-records.ts';

/**
 * A bare word in a CSV mapping is a column name. `quantityUnit: CASE` meant as the constant CASE makes the file
 * "lack column CASE": when the name is near no column of the file, the message says how a constant is written.
 */
const customer = { business: 'acme', facility: 'sf', direction: 'OUTBOUND' as const };
const header = ['Order', 'Pallet', 'Item', 'Qty'];

function rejection(unit: string, groupBy = 'Order') {
  const yaml = `format: { type: csv }\ngroupBy: ${groupBy}\ndocument:\n  orderNumber: Order\nitems:\n  lpn: Pallet\n  sku: Item\n  quantity: Qty | number\n  quantityUnit: ${unit}\n`;
  const compiled = compileMapping(yaml, { file: 'mappings/acme/orders.yaml', customer });
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.errors));
  return collect(mapRecords(compiled.mapping, csvRecords('orders.csv', header, [['O1', 'P1', 'S1', '1']]), { file: 'orders.csv', customer: 'acme' }));
}

describe('a bare word meant as a constant, read as a column the file lacks', () => {
  it('says how a constant is written when the word is near no column of the file', async () => {
    await expect(rejection('CASE')).rejects.toMatchObject({
      value: {
        code: 'MAPPING_UNKNOWN_COLUMN',
        message:
          'the mapping reads column "CASE" (items.quantityUnit; a constant is written { const: CASE }), which this file does not have (it has Order, Pallet, Item, Qty): every row would read it as empty',
        place: { file: 'orders.csv', field: 'items.quantityUnit' },
      },
    });
  });

  it('keeps its transforms out of the hint (CASE | upper)', async () => {
    await expect(rejection('CASE | upper')).rejects.toMatchObject({ value: { message: expect.stringContaining('(items.quantityUnit; a constant is written { const: CASE })') } });
  });

  it('does not suggest a constant for a near column name (a typo), an explicit column or a grouping key', async () => {
    await expect(rejection('Qtyy')).rejects.toMatchObject({ value: { message: expect.not.stringContaining('const') } });
    await expect(rejection('{ column: CASE }')).rejects.toMatchObject({ value: { message: expect.not.stringContaining('const') } });
    await expect(rejection('Qty', 'Shipment')).rejects.toMatchObject({ value: { message: expect.not.stringContaining('const') } });
  });
});
