/**
 * X12 benchmark (prints figures; not a test): a generated ~30 MB 856 with ONE huge shipment, read by
 * node-x12 `parse()` (whole string → object model) and by our streaming `readX12` to records. Each run is a
 * child process so its peak RSS is its own.   Run: npx tsx bench/x12.ts [megabytes]
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { readX12 } from '../src/formats/x12/read-x12.ts';

const self = fileURLToPath(import.meta.url);

function generate856(targetBytes: number): string {
  const seg: string[] = [];
  seg.push('BSN*00*SHIP0001*20240131*1200*0001', 'DTM*011*20240131*1200');
  seg.push('HL*1**S', 'TD1*CTN25*1000****G*12000*LB', 'TD5*B*2*FDEG*M*FEDEX GROUND', 'REF*BM*BOL0001', 'N1*ST*ACME DC 12*92*0012', 'N3*1 MAIN ST', 'N4*SPRINGFIELD*IL*62701*US', 'N1*SF*SUPPLIER INC*92*9999');
  let hl = 1;
  let size = 0;
  let order = 0;
  const parts: string[] = [];
  while (size < targetBytes) {
    order++;
    const o = ++hl;
    const block = [`HL*${o}*1*O`, `PRF*PO${String(order).padStart(8, '0')}***20240130`, `REF*DP*${order % 90}`];
    const p = ++hl;
    block.push(`HL*${p}*${o}*P`, `MAN*GM*00${String(100000000000000000 + order).padStart(18, '0')}`);
    for (let k = 1; k <= 3; k++) {
      const i = ++hl;
      block.push(`HL*${i}*${p}*I`, `LIN*${k}*UP*0${String(12345678900 + order * 3 + k)}*VN*VN-${order}-${k}*SK*SKU${order}${k}`, `SN1**${k * 2}*EA`, `PID*F****ITEM ${order}/${k} DESCRIPTION`, `REF*LT*LOT${order}`);
    }
    const text = block.join('~\n') + '~\n';
    size += text.length;
    parts.push(text);
  }
  const body = seg.join('~\n') + '~\n' + parts.join('');
  const count = body.split('~\n').length - 1 + 3; // + ST, CTT, SE
  return (
    'ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *240131*1200*U*00401*000000001*0*P*>~\n' +
    'GS*SH*SENDER*RECEIVER*20240131*1200*1*X*004010~\n' +
    'ST*856*0001~\n' +
    body +
    `CTT*${hl}~\nSE*${count}*0001~\nGE*1*1~\nIEA*1*000000001~\n`
  );
}

async function child(which: string, file: string): Promise<void> {
  const t0 = performance.now();
  let count = 0;
  if (which === 'node-x12') {
    const { X12Parser } = createRequire(import.meta.url)('node-x12') as typeof import('node-x12');
    const interchange = new X12Parser().parse(readFileSync(file, 'utf8')) as import('node-x12').X12Interchange;
    count = interchange.functionalGroups[0]!.transactions[0]!.segments.length;
  } else if (which === 'node-x12-stream') {
    const { X12Parser } = createRequire(import.meta.url)('node-x12') as typeof import('node-x12');
    await new Promise<void>((resolve, reject) => {
      createReadStream(file).pipe(new X12Parser()).on('data', () => count++).on('end', resolve).on('error', reject);
    });
  } else {
    for await (const e of readX12(createReadStream(file) as Readable & AsyncIterable<Uint8Array>, {}, 'bench.x12')) {
      if (e.kind === 'record') count++;
      else if (e.kind === 'rejected') throw new Error(`${e.error.code}: ${e.error.message}`);
    }
  }
  const ms = performance.now() - t0;
  const rssMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(JSON.stringify({ which, ms, rssMb, count }));
}

function run(which: string, file: string): { ms: number; rssMb: number; count: number } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--max-old-space-size=8192', self, 'child', which, file], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  if (r.status !== 0) throw new Error(`${which} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as { ms: number; rssMb: number; count: number };
}

async function main(): Promise<void> {
  if (process.argv[2] === 'child') return child(process.argv[3]!, process.argv[4]!);
  const mb = Number(process.argv[2] ?? 30);
  const file = join(tmpdir(), `bench-856-${mb}mb.x12`);
  if (!existsSync(file)) writeFileSync(file, generate856(mb * 1024 * 1024));
  const bytes = statSync(file).size;
  console.log(`856 with one shipment: ${(bytes / 1048576).toFixed(1)} MB (${file})`);
  const theirs = run('node-x12', file);
  const stream = run('node-x12-stream', file);
  const ours = run('ours', file);
  const row = (name: string, r: { ms: number; rssMb: number; count: number }, what: string): void =>
    console.log(`${name.padEnd(34)} ${(r.ms / 1000).toFixed(2).padStart(7)} s  peak RSS ${r.rssMb.toFixed(0).padStart(6)} MB  ${r.count} ${what}`);
  row('node-x12 parse() (whole string)', theirs, 'segments in the ST');
  row('node-x12 X12Parser stream', stream, 'segments emitted (for reference)');
  row('ours: readX12 → records (stream)', ours, 'records');
  console.log(`speed-up ${(theirs.ms / ours.ms).toFixed(1)}×, peak RSS ${(ours.rssMb / theirs.rssMb * 100).toFixed(1)} % of node-x12's (goal ≥5×, ≤10 %)`);
}

await main();
