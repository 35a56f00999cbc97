import { describe, expect, it } from 'vitest';
import { fieldSegment, type SourceRecord } from '../../../src/formats/record.ts';
import { events, interchange, records } from './build-x12.ts';

/**
 * Every field of a record knows the segment it came from (1-based, counted from the ISA): an item record carries
 * its ancestors' and the envelope's fields, and an error in one must point at the segment that holds it.
 * In `interchange()` the ISA is segment 1, GS 2, ST 3 and the body starts at 4.
 */
const where = (record: SourceRecord, names: string[]) => Object.fromEntries(names.map((n) => [n, fieldSegment(record.provenance, n)]));

describe('per-field segment numbers of X12 records', () => {
  it('856: envelope, header, every ancestor level, the item, aliases (deepest level) and components', () => {
    const body = [
      'BSN*00*SHIP1*20240131*1200', // 4
      'HL*1**S', 'TD1*CTN25>X*2', 'REF*BM*BOL1', 'N1*ST*DC SHIP*92*0012', // 5-8
      'HL*2*1*O', 'PRF*PO123', 'N1*ST*DC ORDER', // 9-11
      'HL*3*2*P', 'MAN*GM*00012345678901234567', // 12-13
      'HL*4*3*I', 'LIN*1*SK*SKU1', 'SN1**6*EA', 'SN1**7*EA', // 14-17
      'HL*5*3*I', 'LIN*2*SK*SKU2', 'SN1**2*EA', // 18-20
    ];
    const recs = records(events(interchange([{ id: '856', body }])));
    expect(recs).toHaveLength(2);
    expect(where(recs[0]!, ['ISA06', 'GS02', 'ST02', 'BSN02', 'S.TD101', 'S.TD101-2', 'S.REF[BM]', 'S.N1[ST].N102', 'O.PRF01', 'N1[ST].N102', 'P.MAN02', 'P.MAN[GM]', 'I.HL01', 'I.LIN[SK]', 'I.SN102', 'I.SN102#2'])).toEqual({
      ISA06: 1,
      GS02: 2,
      ST02: 3,
      BSN02: 4,
      'S.TD101': 6,
      'S.TD101-2': 6,
      'S.REF[BM]': 7,
      'S.N1[ST].N102': 8,
      'O.PRF01': 10,
      'N1[ST].N102': 11,
      'P.MAN02': 13,
      'P.MAN[GM]': 13,
      'I.HL01': 14,
      'I.LIN[SK]': 15,
      'I.SN102': 16,
      'I.SN102#2': 17,
    });
    expect(recs[0]!.fields['N1[ST].N102']).toBe('DC ORDER');
    expect(where(recs[1]!, ['P.MAN02', 'I.LIN[SK]', 'I.SN102', 'I.SN102#2', 'LEVEL'])).toEqual({ 'P.MAN02': 13, 'I.LIN[SK]': 19, 'I.SN102': 20, 'I.SN102#2': undefined, LEVEL: undefined });
  });

  it('856 items of one structure share their offsets and their ancestors\' layers (a large 856 holds many)', () => {
    const body = ['BSN*00*SHIP1*20240131*1200', 'HL*1**S', 'HL*2*1*O', 'PRF*PO1', 'HL*3*2*I', 'LIN**SK*A', 'SN1**1*EA', 'HL*4*2*I', 'LIN**SK*B', 'SN1**2*EA'];
    const [a, b] = records(events(interchange([{ id: '856', body }])));
    expect(a!.provenance.fieldOffsets).toBeDefined();
    expect(a!.provenance.fieldOffsets).toBe(b!.provenance.fieldOffsets);
    expect(a!.provenance.fieldSegments).toBe(b!.provenance.fieldSegments);
    expect([fieldSegment(a!.provenance, 'I.SN102'), fieldSegment(b!.provenance, 'I.SN102')]).toEqual([10, 13]);
  });

  it('940: header, line and the W76 totals copied onto every held line', () => {
    const body = ['W05*N*ORD-1', 'N1*ST*STORE', 'LX*1', 'W01*12*CA**VN*V100', 'LX*2', 'W01*32*CA**VN*V200', 'W76*44']; // 4-10
    const recs = records(events(interchange([{ id: '940', body }])));
    expect(recs.map((r) => where(r, ['W0502', 'N1[ST].N102', 'L.LX01', 'L.W0101', 'W7601']))).toEqual([
      { W0502: 4, 'N1[ST].N102': 5, 'L.LX01': 6, 'L.W0101': 7, W7601: 10 },
      { W0502: 4, 'N1[ST].N102': 5, 'L.LX01': 8, 'L.W0101': 9, W7601: 10 },
    ]);
  });

  it('other sets: the generic record', () => {
    const recs = records(events(interchange([{ id: '810', body: ['BIG*20240131*INV1', 'REF*BM*B1', 'IT1*1*2*EA'] }])));
    expect(where(recs[0]!, ['ST01', 'BIG02', 'REF[BM]', 'IT102'])).toEqual({ ST01: 3, BIG02: 4, 'REF[BM]': 5, IT102: 6 });
  });
});
