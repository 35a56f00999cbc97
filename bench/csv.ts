/**
 * Throughput of readCsv against raw csv-parse on a generated 1M-row (~80 MB) file, both through `for await`
 * over a file stream, the way the parse worker consumes them. Not a test: run `npx tsx bench/csv.ts [rows]`.
 * Prints records/s, MB/s and the peak heap seen while reading (bounded memory: it must not grow with the file).
 */
import { createReadStream, createWriteStream, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { parse } from 'csv-parse';
import { readCsv } from '../src/formats/csv/index.ts';

const rows = Number(process.argv[2] ?? 1_000_000);
const file = join(tmpdir(), `intake-bench-${rows}.csv`);

async function generate(): Promise<void> {
  if (existsSync(file)) return;
  const out = createWriteStream(file);
  out.write('order,date,sku,description,qty,price,customer,note\r\n');
  for (let i = 0; i < rows; i++) {
    const line = `ORD-${String(i).padStart(7, '0')},2024-01-${String((i % 28) + 1).padStart(2, '0')},SKU-${i % 99991},"Widget, size ""${i % 7}""",${i % 50},${(i % 1000) / 10},ACME Corp ${i % 13},n${i}\r\n`;
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

async function measure(name: string, records: () => AsyncIterable<unknown>): Promise<void> {
  globalThis.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  let peak = heapBefore;
  let count = 0;
  const started = performance.now();
  for await (const _ of records()) {
    if (++count % 50_000 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
  }
  const seconds = (performance.now() - started) / 1000;
  const mb = statSync(file).size / 1e6;
  console.log(
    `${name.padEnd(24)} ${count} records in ${seconds.toFixed(2)} s: ${Math.round(count / seconds).toLocaleString('en')} records/s, ` +
      `${(mb / seconds).toFixed(1)} MB/s, peak heap +${((peak - heapBefore) / 1e6).toFixed(1)} MB`,
  );
}

await generate();
console.log(`file: ${file} (${(statSync(file).size / 1e6).toFixed(1)} MB, ${rows} rows)`);
for (let round = 0; round < 2; round++) {
  // csv-parse as a Node stream, rows as objects (what readCsv yields) and as bare arrays (its floor).
  await measure('raw csv-parse columns', () => createReadStream(file).pipe(parse({ columns: true })));
  await measure('raw csv-parse arrays', () => createReadStream(file).pipe(parse()));
  await measure('readCsv', () => readCsv(createReadStream(file), {}, 'bench.csv'));
}
