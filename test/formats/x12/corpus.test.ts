import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { X12_ERROR_CODES } from '../../../src/formats/x12/x12-error-codes.ts';
import type { X12Event } from '../../../src/formats/x12/read-x12.ts';
import { events, eventsChunked, records, rejections } from './build-x12.ts';

const root = join(import.meta.dirname, '../../../../shared/corpus');
const dirs = ['x12-856', 'x12-940', 'x12-945', 'x12-other'];
const files = dirs.flatMap((d) => readdirSync(join(root, d)).map((f) => join(d, f)));
const read = (rel: string): X12Event[] => events(readFileSync(join(root, rel)), {}, rel.split('/')[1]);
const fieldsOf = (rel: string) => records(read(rel)).map((r) => r.fields);

describe('corpus: every real X12 file', () => {
  it.each(files)('%s yields records, passed-over acknowledgments or coded, placed rejections, and chunking does not change that', async (rel) => {
    const bytes = readFileSync(join(root, rel));
    const evs = events(bytes, {}, rel);
    expect(evs.length).toBeGreaterThan(0);
    for (const e of evs) {
      if (e.kind !== 'rejected') continue;
      expect(Object.keys(X12_ERROR_CODES)).toContain(e.error.code);
      expect(e.error.place.file).toBe(rel);
      if (e.error.code !== 'X12_EMPTY_FILE') expect(e.error.place.segment).toBeGreaterThan(0);
    }
    expect(records(evs).length + rejections(evs).length + evs.filter((e) => e.kind === 'skipped').length).toBeGreaterThan(0);
    // The stream wrapper fed 1 and 7 bytes at a time must give exactly what the whole buffer gives.
    expect(await eventsChunked(bytes, 1, {}, rel)).toEqual(evs);
    expect(await eventsChunked(bytes, 7, {}, rel)).toEqual(evs);
  });
});

describe('corpus: clean 856 files give sensible items', () => {
  it('VICS S/O/P/I pick-pack: SSCC from MAN, UPC from LIN, PO from PRF', () => {
    const [r] = fieldsOf('x12-856/oopf-856-vics-sopi-pack.txt');
    expect(r).toMatchObject({ BSN02: '521649209219', 'S.REF[BM]': '521649209219', 'S.TD503': 'FED2', 'O.PRF01': 'SO/VINCE1', 'P.MAN02': '00007121610006156802', 'I.LIN[UP]': '883932284904', 'I.SN102': '1', PATH: 'S>O>P>I' });
  });

  it('empty HL02 parents (S/O/I): 7 items under one order with SKU and vendor part', () => {
    const rs = fieldsOf('x12-856/oopf-856-ex4-pipe-component.txt');
    expect(rs).toHaveLength(7);
    expect(rs[0]).toMatchObject({ 'O.PRF01': 'PO NUMBER', 'I.LIN[SK]': '100014544', 'I.LIN[VN]': '25555120', 'I.SN102': '10', 'S.N1[ST].N102': 'RETAILER', 'N1[ST].N401': 'LOCCITY', 'S.REF[BM]': '10000-2378635' });
    expect(rs[6]!['I.LIN[SK]']).toBe('100014546');
  });

  it('a repetition separator (-) that appears in data does not split values', () => {
    const rs = fieldsOf('x12-856/oopf-856-004060-dash-repsep.txt');
    expect(rs.length).toBeGreaterThan(0);
    expect(Object.values(rs[0]!).some((v) => /\d-\d/.test(v))).toBe(true);
  });

  it('inverted delimiters (~ element, * terminator) and the ellipsis terminator read the same way', () => {
    expect(fieldsOf('x12-856/oopf-856-ex1-tilde-elem-star-seg.txt')).toHaveLength(3);
    const ex3 = fieldsOf('x12-856/oopf-856-ex3-ellipsis-terminator.txt');
    expect(ex3).toHaveLength(3);
    expect(ex3[0]!['I.LIN[BP]']).toBeDefined();
  });

  it('large pick-pack (3 packs, 58 items) and cross-dock (orders with several packs)', () => {
    const big = fieldsOf('x12-856/bots-856-sopi-multipack-crlf.x12');
    expect(big).toHaveLength(58);
    expect(new Set(big.map((r) => r['P.MAN02'])).size).toBe(3);
    const xd = fieldsOf('x12-856/edieng-856-crossdock-sopi.edi');
    expect(xd.every((r) => r['PATH'] === 'S>O>P>I' && r['P.MAN02'] && r['I.SN102'])).toBe(true);
  });

  it('two 856 sets in one group, unpadded ISA, tare and pack-under-item (002001)', () => {
    const evs = read('x12-856/stupidedi-856-002001-bang-term-tare-2st.edi');
    expect(rejections(evs)).toEqual([]);
    const rs = records(evs);
    expect(new Set(rs.map((r) => r.provenance.transaction))).toEqual(new Set(['0001', '0002']));
    expect(rs[0]!.fields).toMatchObject({ 'T.REF[LS]': 'ML13479', 'I.LIN[BP]': '7389141G01', 'I.SN102': '1000', 'I.REF[LS]#4': 'S128' });
  });

  it('EDIFACT-style delimiters (+ and \') and pipe-separated pharma ASN', () => {
    expect(fieldsOf('x12-856/bots-856-plus-apostrophe-delims.x12').length).toBeGreaterThan(0);
    const [ph] = fieldsOf('x12-856/silvenga-856-pipe-dscsa-pharma.edi');
    expect(ph!['I.LIN[N4]']).toBeDefined();
  });

  it('the broken 856 files are rejected with 997-shaped reasons', () => {
    const mixed = rejections(read('x12-856/stupidedi-856-dollar-term-mixed-tilde-err.edi'));
    expect(mixed[0]!.ack.ak5).toEqual({ status: 'R', codes: ['5', '4'] });
    const ex2 = rejections(read('x12-856/oopf-856-ex2-003060-cld.txt'));
    expect(ex2[0]!.error).toMatchObject({ code: 'X12_MANDATORY_ELEMENT_MISSING', place: { element: 'BSN02' } });
  });
});

describe('corpus: 940 files', () => {
  it('full 940: three lines with header, N1 loops, G62, W66 and W76', () => {
    const rs = fieldsOf('x12-940/edieng-940-ok-lx-w01.edi');
    expect(rs).toHaveLength(3);
    expect(rs[0]).toMatchObject({ W0502: '538686', 'N1[ST].N102': 'ST COMPANY', 'N1[DE].N402': 'MN', 'N9[BR]': 'R1121', 'G62[10]': '20000204', 'NTE02': 'SHIP ON CHEP PALLETS', W6605: 'MTEN', 'L.W0101': '12', 'L.W01[VN]': '000100', 'L.N9[PC]': 'DEC0199', W7601: '56' });
    expect(rs.map((r) => r['L.LX01'])).toEqual(['1', '2', '3']);
  });

  it('Simplot 940 (no terminator, CRLF) reads its lines; its bad GE02/IEA02 reject group and interchange', () => {
    const evs = read('x12-940/oopf-940-simplot-isa00200-newline.txt');
    const rs = records(evs).map((r) => r.fields);
    expect(rs.map((r) => r['L.W0101'])).toEqual(['972', '189']);
    expect(rs[0]).toMatchObject({ W0502: '01235639', 'N1[CN].N401': 'Guilderland Center', 'L.N9[LI]': '1000', 'L.N9[PJ]': 'PBU', W7601: '1161' });
    expect(rejections(evs).map((r) => `${r.ack.level}:${r.error.code}`)).toEqual(['group:X12_GE_CONTROL_MISMATCH', 'interchange:X12_IEA_CONTROL_MISMATCH']);
  });

  it('two interchanges with several groups give one record per set (6 sets)', () => {
    const evs = read('x12-940/edieng-940-multi-isa-gs.edi');
    expect(rejections(evs)).toEqual([]);
    expect(records(evs)).toHaveLength(6);
    expect(evs.filter((e) => e.kind === 'accepted' && e.ack.level === 'interchange')).toHaveLength(2);
  });

  it('the ack test file: N9 with no qualifier rejects only its set (AK3/AK4), the group is partially accepted', () => {
    const evs = read('x12-940/edieng-940-multigroup-acktest.edi');
    const [rej] = rejections(evs);
    expect(rej!.ack).toMatchObject({ transaction: '20067', ak5: { status: 'R', codes: ['5'] }, ak3: [{ segmentId: 'N9', position: 7, code: '8', ak4: [{ position: 1, code: '1' }] }] });
    expect(records(evs).map((r) => r.provenance.transaction)).toEqual(['20066', '20068']);
  });

  it('control numbers and counts errors are coded for AK5/AK9/TA1', () => {
    expect(rejections(read('x12-940/edieng-940-err-control-mismatch.edi')).map((r) => r.error.code)).toEqual(['X12_SE_CONTROL_MISMATCH', 'X12_GE_CONTROL_MISMATCH', 'X12_IEA_CONTROL_MISMATCH']);
    expect(rejections(read('x12-940/edieng-940-err-ge-iea-counts.edi')).map((r) => r.error.code)).toEqual(['X12_GE_COUNT_MISMATCH', 'X12_IEA_COUNT_MISMATCH']);
    const se = rejections(read('x12-940/edieng-940-err-se01-w01.edi'));
    expect(se[0]!.ack.ak5).toEqual({ status: 'R', codes: ['5', '4'] });
  });
});

describe('corpus: other files', () => {
  it.each([
    ['x12-other/edieng-nonedi-garbage.edi', 'X12_NOT_EDI'],
    ['x12-other/bots-850-ebcdic.x12', 'X12_EBCDIC'],
    ['x12-other/gtl-err-isa-bad-separator.edi', 'X12_BAD_DELIMITERS'],
    ['x12-other/gtl-err-trimmed-isa.edi', 'X12_ISA_INVALID'],
  ])('%s is rejected as %s', (rel, code) => {
    const evs = read(rel);
    expect(evs).toHaveLength(1);
    expect(evs[0]).toMatchObject({ kind: 'rejected', error: { code, place: { segment: 1 } } });
  });

  it('the mailbag (7 interchanges, NAK terminator) gives one generic record per set, refusing its repeated control numbers', () => {
    const evs = read('x12-other/bots-mailbag-multi-isa-nak-term.x12');
    // Interchange 000000005 repeats ST02 000000001 in its first group and GS06 5 in its second group: only the
    // repeats are refused (X12 wants them unique), the first set and group with each number are read.
    expect(rejections(evs).map((r) => `${r.ack.level}:${r.error.code}`)).toEqual([
      'transaction:X12_ST_DUPLICATE_CONTROL',
      'transaction:X12_GROUP_REJECTED',
      'transaction:X12_GROUP_REJECTED',
      'group:X12_GS_DUPLICATE_CONTROL',
    ]);
    const ids = records(evs).map((r) => r.fields['ST01']);
    // Its first interchange is a 997 (GS01 FA): passed over, neither a record nor a rejection.
    expect(ids).toHaveLength(10);
    expect(ids.slice(0, 3)).toEqual(['850', '820', '820']);
    expect(evs.filter((e) => e.kind === 'accepted' && e.ack.level === 'interchange').length).toBeGreaterThanOrEqual(7);
  });

  it('the 80-column wrapped 210 and the ellipsis 214 read generically', () => {
    const [w] = fieldsOf('x12-other/staedi-210-wrapped-80col.edi');
    expect(w).toMatchObject({ ST01: '210', B302: '699751522', 'N1[SH].N401': 'WILKESBORO', 'N9[PO]': '721295' });
    expect(fieldsOf('x12-other/staedi-214-ellipsis-terminator.edi')[0]!['ST01']).toBe('214');
  });

  it('a 945 with a malformed GS is rejected as a group (TA1 024 in details)', () => {
    const rej = rejections(read('x12-945/oopf-945-5010-bad-gs.txt'));
    expect(rej.map((r) => `${r.ack.level}:${r.error.code}`)).toEqual(['transaction:X12_GROUP_REJECTED', 'group:X12_GS_INVALID']);
    expect(rej[1]!.error.details).toMatchObject({ ta1: '024' });
  });

  it('test data (ISA15 T) is marked test', () => {
    const rs = records(read('x12-other/edinet-204-load-tender-newline.edi'));
    expect(rs).toEqual([]); // its SE01 is wrong (41 vs 38): the set is rejected
    const dollar = read('x12-856/stupidedi-856-dollar-term-mixed-tilde-err.edi');
    expect(rejections(dollar)[0]!.ack.test).toBe(true);
  });
});
