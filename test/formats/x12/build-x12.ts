import { readX12, readX12Buffer, type X12Event } from '../../../src/formats/x12/read-x12.ts';
import type { X12Options } from '../../../src/formats/x12/x12-options.ts';
import type { SourceRecord } from '../../../src/formats/record.ts';

/** A standard 106-character ISA with the given delimiters. */
export function isa(opts: { el?: string; comp?: string; term?: string; control?: string; version?: string; rep?: string; usage?: string } = {}): string {
  const el = opts.el ?? '*';
  const parts = ['ISA', '00', ' '.repeat(10), '00', ' '.repeat(10), 'ZZ', 'SENDER'.padEnd(15), 'ZZ', 'RECEIVER'.padEnd(15), '240131', '1200', opts.rep ?? 'U', opts.version ?? '00401', opts.control ?? '000000001', '0', opts.usage ?? 'P', opts.comp ?? '>'];
  return parts.join(el) + (opts.term ?? '~');
}

/** One interchange, one group, one set per body; counts and control numbers right unless overridden. */
export function interchange(sets: Array<{ id: string; body: string[]; control?: string; se01?: number; se02?: string }>, opts: { ge01?: number; ge02?: string; iea01?: number; iea02?: string; nl?: string; usage?: string } = {}): string {
  const nl = opts.nl ?? '\n';
  const segs: string[] = ['GS*SH*SENDER*RECEIVER*20240131*1200*7*X*004010'];
  sets.forEach((s, i) => {
    const control = s.control ?? String(i + 1).padStart(4, '0');
    segs.push(`ST*${s.id}*${control}`, ...s.body, `SE*${s.se01 ?? s.body.length + 2}*${s.se02 ?? control}`);
  });
  segs.push(`GE*${opts.ge01 ?? sets.length}*${opts.ge02 ?? '7'}`, `IEA*${opts.iea01 ?? 1}*${opts.iea02 ?? '000000001'}`);
  return isa({ usage: opts.usage ?? 'P' }) + nl + segs.map((s) => s + '~').join(nl) + nl;
}

export function events(text: string | Uint8Array, options: X12Options = {}, file = 'test.x12'): X12Event[] {
  return readX12Buffer(typeof text === 'string' ? Buffer.from(text, 'utf8') : text, options, file);
}

export function records(evs: X12Event[]): SourceRecord[] {
  return evs.flatMap((e) => (e.kind === 'record' ? [e.record] : []));
}

export function rejections(evs: X12Event[]): Array<Extract<X12Event, { kind: 'rejected' }>> {
  return evs.flatMap((e) => (e.kind === 'rejected' ? [e] : []));
}

/** Feeds `bytes` in chunks of `size` through the async-iterable wrapper. */
export async function eventsChunked(bytes: Uint8Array, size: number, options: X12Options = {}, file = 'test.x12'): Promise<X12Event[]> {
  async function* chunks(): AsyncIterable<Uint8Array> {
    for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
  }
  const out: X12Event[] = [];
  for await (const e of readX12(chunks(), options, file)) out.push(e);
  return out;
}
