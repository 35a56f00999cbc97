import { describe, expect, it } from 'vitest';
import { events, interchange, records, rejections } from './build-x12.ts';

const body = [
  'W05*N*ORD-1*PO-77**LOAD9',
  'N1*ST*ACME STORE 5*92*0005', 'N3*5 ELM ST', 'N4*AUSTIN*TX*78701*US',
  'N1*WH*DC EAST*9*0000000000140',
  'N9*BR*R1121', 'N9*ZZ*NOTE-REF',
  'G62*10*20240204', 'G62*02*20240207*Y*0900',
  'NTE*WHI*SHIP ON CHEP PALLETS', 'NTE*WHI*CALL BEFORE DELIVERY',
  'W66*PP*M***MTEN',
  'LX*1', 'W01*12*CA*000100000010*VN*V100*UC*U100', 'G69*STRUDEL BLUEBERRY', 'N9*LI*1000',
  'LX*2', 'W01*32*CA**VN*V200', 'N9*LI*2000',
  'W01*4*EA**VN*V300',
  'W76*48*500*LB',
];

describe('flatten-940', () => {
  it('one record per W01 with the W05 header, N1 loops, N9/G62 by qualifier, W66, NTE, LX and W76 totals', () => {
    const evs = events(interchange([{ id: '940', body }]));
    expect(rejections(evs)).toEqual([]);
    const recs = records(evs);
    expect(recs).toHaveLength(3);
    expect(recs[0]!.fields).toMatchObject({
      W0502: 'ORD-1',
      W0503: 'PO-77',
      'N1[ST]': 'ACME STORE 5',
      'N1[ST].N102': 'ACME STORE 5',
      'N1[ST].N104': '0005',
      'N1[ST].N301': '5 ELM ST',
      'N1[ST].N402': 'TX',
      'N1[WH].N104': '0000000000140',
      'N9[BR]': 'R1121',
      'N9[ZZ]': 'NOTE-REF',
      'G62[10]': '20240204',
      'G62[02]': '20240207',
      'G62[02].G6204': '0900',
      NTE02: 'SHIP ON CHEP PALLETS',
      'NTE02#2': 'CALL BEFORE DELIVERY',
      W6601: 'PP',
      W6605: 'MTEN',
      'L.LX01': '1',
      'L.W0101': '12',
      'L.W0102': 'CA',
      'L.W0103': '000100000010',
      'L.W01[VN]': 'V100',
      'L.W01[UC]': 'U100',
      'L.G6901': 'STRUDEL BLUEBERRY',
      'L.N9[LI]': '1000',
      'N9[LI]': '1000',
      W7601: '48',
      W7602: '500',
      W7603: 'LB',
    });
    expect(recs.map((r) => [r.fields['L.LX01'], r.fields['L.W01[VN]'], r.fields['L.N9[LI]'], r.fields['W7601']])).toEqual([
      ['1', 'V100', '1000', '48'],
      ['2', 'V200', '2000', '48'],
      ['2', 'V300', undefined, '48'],
    ]);
    expect(recs[1]!.provenance).toMatchObject({ segment: 21, segmentEnd: 22, transactionSet: '940' });
  });

  it('W01 lines without LX loops work the same', () => {
    const recs = records(events(interchange([{ id: '940', body: ['W05*N*O1', 'W01*1*EA**VN*A', 'W01*2*EA**VN*B'] }])));
    expect(recs.map((r) => `${r.fields['W0502']}:${r.fields['L.W0101']}:${r.fields['L.W01[VN]']}`)).toEqual(['O1:1:A', 'O1:2:B']);
  });

  it('an order with no lines gives one header-only record', () => {
    const recs = records(events(interchange([{ id: '940', body: ['W05*N*O1*PO1'] }])));
    expect(recs).toHaveLength(1);
    expect(recs[0]!.fields).toMatchObject({ W0502: 'O1', W0503: 'PO1' });
    expect(recs[0]!.fields['L.W0101']).toBeUndefined();
  });

  it('generic mode gives one record per set even for a 940', () => {
    const recs = records(events(interchange([{ id: '940', body }]), { mode: 'generic' }));
    expect(recs).toHaveLength(1);
    expect(recs[0]!.fields).toMatchObject({ W0502: 'ORD-1', W0101: '12', 'W0101#2': '32', 'W0101#3': '4', 'N9[LI]': '1000', 'N9[LI]#2': '2000' });
  });

  it('generic mode cuts a set longer than maxGenericSegments into numbered parts', () => {
    const recs = records(events(interchange([{ id: '940', body }]), { mode: 'generic', maxGenericSegments: 10 }));
    expect(recs.map((r) => r.fields['PART'])).toEqual(['1', '2', '3']);
  });
});
