import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FORMAT_OPTION_SCHEMAS, openRecords } from '../../src/formats/read-records.ts';
import { compileMapping } from '../../src/mapping/compile-mapping.ts';
import { mapRecords } from '../../src/mapping/map-records.ts';
import { collect } from './source-records.ts';

/** The mapping of the README's "Writing a mapping", as written: what an onboarding engineer copies first. */
function readmeMapping() {
  const readme = readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8');
  const yaml = /```yaml\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf('## Writing a mapping')))![1]!;
  const result = compileMapping(yaml, {
    file: 'mappings/acme/orders.yaml',
    customer: { business: 'acme', facility: 'sf', direction: 'INBOUND' },
    formatOptions: FORMAT_OPTION_SCHEMAS,
  });
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.mapping;
}

describe("the README's mapping example", () => {
  it('makes one document of an order whose PO# has a trailing space on one line (as Excel exports leave it)', async () => {
    const mapping = readmeMapping();
    const file = ['PO#;Load;Ship Date;Pallet;Item;Qty;UOM', 'RX-1;L7;04.03.2025;P1;a;1,5;', 'RX-1 ;L7;04.03.2025;P2;b;2;', 'RX-1;L7;04.03.2025;P3;c;3;KG', ''].join('\r\n');
    const stream = openRecords(mapping.format, Buffer.from(file, 'latin1'), 'orders_20250304.csv');
    const outputs = await collect(mapRecords(mapping, stream.records, { file: 'orders_20250304.csv', customer: 'acme' }));
    expect(outputs.map((o) => (o.kind === 'document' ? [o.document.orderNumber, o.document.items?.map((i) => i.lpn)] : o))).toEqual([['RX-1', ['P1', 'P2', 'P3']]]);
  });
});
