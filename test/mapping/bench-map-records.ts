/**
 * mapRecords alone on synthetic records: `npx tsx test/mapping/bench-map-records.ts [records]`.
 * Records are built first, so only filtering, grouping, evaluation and validation are timed; 10 items per document.
 */
import { parse } from 'csv-parse';
import { Readable } from 'node:stream';
import type { SourceRecord } from '../../src/formats/record.ts';
import { mapRecords } from '../../src/mapping/map-records.ts';
import { fixtureMapping } from './fixture-mappings.ts';

const total = Number(process.argv[2] ?? 1_000_000);

function recordAt(i: number): SourceRecord {
  const order = Math.floor(i / 10);
  return {
    fields: {
      'PO#': `PO-${order}`,
      Status: 'OPEN',
      Load: `L${order % 97}`,
      'Ship To': 'ACME STORE #12',
      // Dates vary, so memoised zone conversions do not flatter the figure.
      'Ship Date': `${String((order % 12) + 1).padStart(2, '0')}/${String((order % 28) + 1).padStart(2, '0')}/2024 ${String(order % 24).padStart(2, '0')}:${String(order % 60).padStart(2, '0')}`,
      Type: 'S',
      Door: 'D4',
      Pallet: `LPN${String(order).padStart(8, '0')}`,
      Item: i % 10 === 0 ? 'W-100' : `ITEM-${i % 10}`,
      Qty: String((i % 50) + 1),
      UOM: 'CS',
      Description: 'Widget',
      Hazmat: 'N',
      Lot: `LOT${i % 7}`,
      Expiry: `${String((i % 28) + 1).padStart(2, '0')}.${String((i % 12) + 1).padStart(2, '0')}.${2025 + (i % 5)}`,
      Serials: '',
    },
    provenance: { file: 'bench.csv', line: i + 2 },
  };
}

// Records are made as they are consumed, like a reader's: holding a million in memory would make every garbage
// collection walk them and measure the heap rather than the mapping.
async function* stream(): AsyncGenerator<SourceRecord> {
  for (let i = 0; i < total; i++) yield recordAt(i);
}

/** Time to make and iterate the records alone, subtracted from the mapping's time. */
async function generationSeconds(): Promise<number> {
  const started = process.hrtime.bigint();
  let n = 0;
  for await (const r of stream()) n += r.provenance.line! > 0 ? 1 : 0;
  return Number(process.hrtime.bigint() - started) / 1e9;
}

async function measure(label: string, mappingEdit: (yaml: string) => string): Promise<void> {
  const mapping = fixtureMapping('acme', 'orders', mappingEdit);
  const overhead = await generationSeconds();
  const started = process.hrtime.bigint();
  let documents = 0;
  let other = 0;
  for await (const output of mapRecords(mapping, stream(), { file: 'bench.csv', customer: 'acme' })) {
    if (output.kind === 'document') documents++;
    else other++;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9 - overhead;
  const heap = Math.round(process.memoryUsage().heapUsed / 1e6);
  console.log(
    `${label}: ${total} records → ${documents} documents (${other} other) in ${seconds.toFixed(2)} s (+${overhead.toFixed(2)} s making records) = ${Math.round(total / seconds).toLocaleString('en')} records/s, heap after ${heap} MB`,
  );
}

/** The yardstick of the later end-to-end benchmark: raw csv-parse of the same rows as text. */
async function csvParseBaseline(): Promise<void> {
  const header = Object.keys(recordAt(0).fields);
  const lines = [header.join(';')];
  for (let i = 0; i < total; i++) {
    const fields = recordAt(i).fields;
    lines.push(header.map((h) => fields[h]).join(';'));
  }
  const text = lines.join('\n');
  const started = process.hrtime.bigint();
  let rows = 0;
  for await (const _ of Readable.from([text]).pipe(parse({ delimiter: ';', columns: true }))) rows++;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(`csv-parse alone (columns: true): ${rows} rows in ${seconds.toFixed(2)} s = ${Math.round(rows / seconds).toLocaleString('en')} rows/s`);
}

await csvParseBaseline();
await measure('acme orders.yaml (14 fields, lookup, dates, map, consistent)', (y) => y);
await measure('same, sorted: true', (y) => y.replace('sorted: auto', 'sorted: true'));
await measure('minimal (orderNumber + 4 item columns)', () =>
  [
    'format: { type: csv }',
    'document:',
    '  orderNumber: PO#',
    'items:',
    '  lpn: Pallet',
    '  sku: Item',
    '  quantity: Qty | number',
    '  quantityUnit: UOM',
  ].join('\n'),
);
