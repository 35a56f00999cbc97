import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mapSample, type RunEntry } from '../../src/mapping-tools/run-mapping.ts';

/**
 * Bluefin's 856 mapping makes one document per purchase order. One purchase order shipped on two ASNs in one file
 * has no faithful representation (an order belongs to one shipment): the second ASN's cases must not be filed
 * silently under the first ASN's shipment number. The mapping marks shipmentNumber `consistent`, so the order is
 * refused with the reason, naming the ASN that differs.
 */
describe('bluefin 856: one purchase order on two ASNs in one file', () => {
  const work = mkdtempSync(join(tmpdir(), 'intake-bluefin-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  /** The demo sample with its first set repeated as a second ASN (new BSN02 and control number), same PO. */
  function twoAsnsForOnePo(): string {
    const sample = readFileSync('samples/bluefin/ASN_250303_01.edi', 'latin1');
    const segments = sample.split('~').map((s) => s.replace(/^\s+/, ''));
    const st = segments.findIndex((s) => s.startsWith('ST*'));
    const se = segments.findIndex((s) => s.startsWith('SE*'));
    const firstSet = segments.slice(st, se + 1);
    const po = firstSet.find((s) => s.startsWith('PRF*'))!;
    // The first set, cut after its first order's items, so both sets hold that one PO and nothing else.
    const nextOrder = firstSet.findIndex((s, i) => i > firstSet.indexOf(po) && /^HL\*\d+\*\d+\*O/.test(s));
    const body = nextOrder > 0 ? firstSet.slice(0, nextOrder) : firstSet.slice(0, -1);
    const set = (control: string, asn: string) => {
      // The second ASN's pallets are other pallets (other SSCCs), so nothing but the grouping ties them together.
      const pallet = (s: string) => (control === '0001' ? s : s.replace('0001234567', '0001234599'));
      const lines = body.map((s) => (s.startsWith('ST*') ? `ST*856*${control}` : s.startsWith('BSN*') ? s.replace('ASN-250303-01', asn) : s.startsWith('MAN*') ? pallet(s) : s));
      return [...lines, `SE*${lines.length + 1}*${control}`];
    };
    const gsAt = segments.findIndex((s) => s.startsWith('GS*'));
    const envelope = segments.slice(0, gsAt + 1);
    const sets = [...set('0001', 'ASN-250303-01'), ...set('0002', 'ASN-250303-02')];
    const control = envelope[gsAt]!.split('*')[6];
    const isaControl = envelope[0]!.split('*')[13];
    return [...envelope, ...sets, `GE*2*${control}`, `IEA*1*${isaControl}`].join('~\n') + '~\n';
  }

  it('refuses the order naming shipmentNumber, instead of filing the second ASN under the first', async () => {
    const file = join(work, 'ASN_two_for_one_po.edi');
    writeFileSync(file, twoAsnsForOnePo(), 'latin1');
    const mapped = await mapSample({ mappingsDir: 'mappings', customer: 'bluefin', file });
    expect(mapped.ok).toBe(true);
    const entries = (mapped as { entries: RunEntry[] }).entries;
    const filedUnderFirst = entries.filter((e) => e.kind === 'document' && (e.document as { shipmentNumber?: string }).shipmentNumber === 'ASN-250303-01');
    const second = JSON.stringify(entries.filter((e) => e.kind !== 'document'));
    expect(filedUnderFirst.flatMap((e) => (e as { document: { items: unknown[] } }).document.items)).toHaveLength(0);
    expect(second).toContain('MAPPING_INCONSISTENT_FIELD');
    expect(second).toContain('shipmentNumber');
    expect(second).toContain('ASN-250303-02');
  });
});
