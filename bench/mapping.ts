/**
 * Mapping benchmark (prints figures; not a test): generated, deterministic inputs, each case in a child process so
 * its peak RSS is its own, every case bounded in time.   Run: npm run bench:mapping [-- rows megabytes]
 *
 * - CSV: 1M rows sorted by order number (10 rows per order, 10 columns). Raw csv-parse (stream, columns: true)
 *   against ours: openRecords (readCsv) + mapRecords with a realistic mapping (trim, title, date, number, pattern,
 *   default) and validation of every document. Goals: ours ≥ 0.5× raw rows/s, peak RSS ≤ 200 MB.
 * - X12: a ~30 MB 856 (S-O-P-I, one pallet of three items per order). node-x12 `X12Parser(true).parse()` on the
 *   whole string against ours to documents: openRecords x12 + mapRecords. Goals: ≥ 5× faster, ≤ 1/10 of its RSS.
 *
 * The 856 generator is not bench/x12.ts's: that one is one huge shipment, and importing it runs its benchmark.
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, readFileSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse';
import { FORMAT_OPTION_SCHEMAS, openRecords } from '../src/formats/read-records.ts';
import { compileMapping } from '../src/mapping/compile-mapping.ts';
import { CustomerSchema } from '../src/mapping/customer-schema.ts';
import { mapRecords } from '../src/mapping/map-records.ts';

const self = fileURLToPath(import.meta.url);
/** Longest a case may run before it is killed and reported as such. */
const CASE_TIMEOUT_MS = 10 * 60_000;

const CSV_MAPPING = `
format: { type: csv, delimiter: comma }
groupBy: { key: order | trim, sorted: SORTED }
document:
  orderNumber: order | trim
  purchaseOrder: po | trim
  consigneeName: { column: ship_to, transforms: [trim, title] }
  expectedArrivalAt: { column: ship_date, transforms: [trim, { date: { format: "MM/dd/yyyy", output: datetime } }] }
  additionalFields: { note: note | trim }
items:
  lpn: { column: pallet, transforms: [trim], required: true, pattern: "^[0-9]{18}$" }
  sku: sku | trim | upper
  description: description | trim
  quantity: qty | number
  quantityUnit: { column: uom, transforms: [trim, upper, { default: CS }] }
  weightPerUnit: weight | number
`;

const X12_MAPPING = `
format: { type: x12, transactionSets: ["856"] }
groupBy: { key: O.PRF01 | trim, sorted: SORTED }
document:
  orderNumber: O.PRF01 | trim
  purchaseOrder: O.PRF01 | trim
  shipmentNumber: BSN02 | trim
  bolNumber: S.REF[BM] | trim
  carrier: S.TD503 | trim
  expectedArrivalAt: { template: "{{S.DTM[017]}} {{S.DTM[017].DTM03}}", transforms: [trim, { date: { format: ["yyyyMMdd HHmm", "yyyyMMdd"], output: datetime } }] }
items:
  lpn: { field: P.MAN02, transforms: [trim, { replace: { regex: "^00(\\\\d{18})$", with: "$1" } }], required: true }
  sku: I.LIN[SK] | trim
  upc: I.LIN[UP] | trim
  description: I.PID05 | trim
  quantity: I.SN102 | number
  quantityUnit: I.SN103 | trim | upper
  lot: I.REF[LT] | trim
`;

async function generateCsv(file: string, rows: number): Promise<void> {
  if (existsSync(file)) return;
  const out = createWriteStream(file);
  out.write('order,po,ship_to,ship_date,pallet,sku,description,qty,uom,weight,note\n');
  for (let i = 0; i < rows; i++) {
    const order = Math.floor(i / 10);
    const line = `NW-${String(order).padStart(7, '0')},PO-${order * 7 % 1_000_003},ACME GROCERY #${order % 97},${String((order % 12) + 1).padStart(2, '0')}/${String((order % 28) + 1).padStart(2, '0')}/2025,${String(3456789000000000 + i).padStart(18, '0')},sku-${i % 4999},"Olive oil, ${i % 7}L",${(i % 50) + 1},${i % 3 === 0 ? '' : 'CS'},${(i % 40) / 4},line ${i % 10}\n`;
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

async function generate856(file: string, megabytes: number): Promise<void> {
  if (existsSync(file)) return;
  const out = createWriteStream(file);
  const target = megabytes * 1024 * 1024;
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, 'drain');
  };
  await write('ISA*00*          *00*          *ZZ*BENCHSENDER    *ZZ*KARGOSF        *250303*1412*U*00401*000000001*0*P*>~\n');
  await write('GS*SH*BENCHSENDER*KARGOSF*20250303*1412*1*X*004010VICS~\nST*856*0001~\n');
  const header = ['BSN*00*ASN-BENCH*20250303*1410*0001', 'HL*1**S', 'TD1*PLT94*3****G*1480*LB', 'TD5*B*2*ODFL*M*OLD DOMINION', 'REF*BM*BOL99120034', 'DTM*017*20250305*0800', 'N1*ST*KARGO SF DC*92*SF01'];
  let segments = 1 + header.length;
  let size = 0;
  let hl = 1;
  await write(header.join('~\n') + '~\n');
  for (let order = 1; size < target; order++) {
    const o = ++hl;
    const p = ++hl;
    const block = [`HL*${o}*1*O`, `PRF*PO-${String(order).padStart(8, '0')}***20250301`, `HL*${p}*${o}*P`, `MAN*GM*00${String(12345670000000000 + order).padStart(18, '0')}`];
    for (let k = 1; k <= 3; k++) {
      block.push(`HL*${++hl}*${p}*I`, `LIN*${k}*SK*SKU-${order % 9973}-${k}*UP*0${12345678900 + k}`, `SN1**${k * 4}*CA`, `PID*F****ITEM ${k} OF ORDER ${order}`, `REF*LT*L${order}`);
    }
    segments += block.length;
    const text = block.join('~\n') + '~\n';
    size += text.length;
    await write(text);
  }
  await write(`CTT*${hl}~\nSE*${segments + 2}*0001~\nGE*1*1~\nIEA*1*000000001~\n`);
  out.end();
  await once(out, 'finish');
}

function compiled(text: string) {
  const result = compileMapping(text, {
    file: 'bench.yaml',
    customer: CustomerSchema.parse({ business: 'kargo', facility: 'sf', direction: 'OUTBOUND', timeZone: 'America/Los_Angeles' }),
    formatOptions: FORMAT_OPTION_SCHEMAS,
  });
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.mapping;
}

interface CaseResult {
  ms: number;
  rssMb: number;
  records: number;
  documents: number;
}

async function child(which: string, file: string): Promise<void> {
  const t0 = performance.now();
  let records = 0;
  let documents = 0;
  if (which === 'csv-parse') {
    for await (const _ of createReadStream(file).pipe(parse({ columns: true }))) records++;
  } else if (which === 'node-x12') {
    const { X12Parser } = createRequire(import.meta.url)('node-x12') as typeof import('node-x12');
    const interchange = new X12Parser(true).parse(readFileSync(file, 'utf8')) as import('node-x12').X12Interchange;
    records = interchange.functionalGroups[0]!.transactions[0]!.segments.length;
  } else {
    // `release: streaming` lets records out before their set's SE is checked (x12-options.ts); the gateway's
    // default, per-set, holds a set's records until its SE, so a one-set 30 MB 856 is held whole.
    const text = which === 'ours-csv' ? CSV_MAPPING : which === 'ours-x12-streaming' ? X12_MAPPING.replace('transactionSets: ["856"] }', 'transactionSets: ["856"], release: streaming }') : X12_MAPPING;
    // BENCH_SORTED=true: the engineer declares the file sorted (one group held); default auto holds up to 10 000
    // open groups before it streams, which is most of the peak RSS.
    const mapping = compiled(text.replace('SORTED', process.env.BENCH_SORTED ?? 'auto'));
    const stream = openRecords(mapping.format, createReadStream(file, { highWaterMark: 256 * 1024 }), 'bench');
    async function* counted() {
      for await (const record of stream.records) {
        records++;
        yield record;
      }
    }
    for await (const output of mapRecords(mapping, counted(), { file: 'bench', customer: 'bench' })) {
      if (output.kind === 'document') documents++;
      else throw new Error(`not a document: ${JSON.stringify(output).slice(0, 500)}`);
    }
    if (stream.rejections.length > 0) throw new Error(JSON.stringify(stream.rejections[0]));
  }
  const ms = performance.now() - t0;
  process.stdout.write(JSON.stringify({ ms, rssMb: process.resourceUsage().maxRSS / 1024, records, documents } satisfies CaseResult));
}

function run(which: string, file: string): CaseResult | string {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--max-old-space-size=8192', self, 'child', which, file], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
    timeout: CASE_TIMEOUT_MS,
  });
  if (r.error || r.status !== 0) return `failed (${r.error?.message ?? `exit ${r.status}`}): ${r.stderr.split('\n').slice(-5).join(' ')}`;
  return JSON.parse(r.stdout) as CaseResult;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en');

async function main(): Promise<void> {
  if (process.argv[2] === 'child') return child(process.argv[3]!, process.argv[4]!);
  const rows = Number(process.argv[2] ?? 1_000_000);
  const megabytes = Number(process.argv[3] ?? 30);
  const csvFile = join(tmpdir(), `intake-bench-mapping-${rows}.csv`);
  const x12File = join(tmpdir(), `intake-bench-mapping-856-${megabytes}mb.x12`);
  await generateCsv(csvFile, rows);
  await generate856(x12File, megabytes);
  console.log(`machine: ${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} (before the run)`);

  console.log(`\nCSV ${(statSync(csvFile).size / 1e6).toFixed(1)} MB, ${fmt(rows)} rows, sorted by order (${csvFile})`);
  const raw = run('csv-parse', csvFile);
  const ours = run('ours-csv', csvFile);
  const line = (name: string, r: CaseResult | string) =>
    console.log(typeof r === 'string' ? `  ${name.padEnd(46)} ${r}` : `  ${name.padEnd(46)} ${(r.ms / 1000).toFixed(2).padStart(7)} s  ${fmt((r.records / r.ms) * 1000).padStart(9)} rows/s  peak RSS ${r.rssMb.toFixed(0).padStart(5)} MB  ${fmt(r.records)} rows${r.documents ? `, ${fmt(r.documents)} documents` : ''}`);
  line('raw csv-parse (stream, columns: true)', raw);
  line('ours: openRecords csv + mapRecords + validation', ours);
  if (typeof raw !== 'string' && typeof ours !== 'string') {
    const ratio = (ours.records / ours.ms) / (raw.records / raw.ms);
    console.log(`  ratio ${ratio.toFixed(2)}× of raw csv-parse rows/s (goal ≥ 0.5×); our peak RSS ${ours.rssMb.toFixed(0)} MB (goal ≤ 200 MB)`);
  }

  console.log(`\nX12 856 ${(statSync(x12File).size / 1048576).toFixed(1)} MB (${x12File})`);
  const theirs = run('node-x12', x12File);
  const mine = run('ours-x12', x12File);
  const x12line = (name: string, r: CaseResult | string, what: string) =>
    console.log(typeof r === 'string' ? `  ${name.padEnd(46)} ${r}` : `  ${name.padEnd(46)} ${(r.ms / 1000).toFixed(2).padStart(7)} s  peak RSS ${r.rssMb.toFixed(0).padStart(5)} MB  ${fmt(r.records)} ${what}${r.documents ? `, ${fmt(r.documents)} documents` : ''}`);
  x12line('node-x12 X12Parser(strict).parse(whole string)', theirs, 'segments');
  x12line('ours: openRecords x12 + mapRecords (per-set)', mine, 'records');
  const streaming = run('ours-x12-streaming', x12File);
  x12line('ours, release: streaming', streaming, 'records');
  for (const [name, r] of [['per-set', mine], ['streaming', streaming]] as const) {
    if (typeof theirs !== 'string' && typeof r !== 'string') {
      console.log(`  ${name}: ${(theirs.ms / r.ms).toFixed(1)}× faster (goal ≥ 5×); peak RSS ${((r.rssMb / theirs.rssMb) * 100).toFixed(1)} % of node-x12's (goal ≤ 10 %)`);
    }
  }
}

await main();
