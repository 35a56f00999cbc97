import { describe, expect, it } from 'vitest';
import { X12Reader } from '../../../src/formats/x12/read-x12.ts';
import { events, interchange, records, rejections } from './build-x12.ts';

const header = ['BSN*00*SHIP1*20240131*1200', 'DTM*011*20240131'];
const read856 = (body: string[]) => events(interchange([{ id: '856', body: [...header, ...body] }]));

describe('flatten-856', () => {
  it('S-O-P-I: one record per item with the fields of every ancestor, plainly named', () => {
    const evs = read856([
      'HL*1**S', 'TD1*CTN25*2', 'TD5*B*2*FDEG', 'TD5*O*2*UPSN', 'REF*BM*BOL1', 'N1*ST*STORE 12*92*0012', 'N3*1 MAIN ST', 'N4*SPRINGFIELD*IL*62701',
      'HL*2*1*O', 'PRF*PO123', 'REF*DP*44',
      'HL*3*2*P', 'MAN*GM*00012345678901234567',
      'HL*4*3*I', 'LIN*1*UP*012345678905*VN*V-1*SK*SKU1', 'SN1**6*EA', 'REF*LT*LOT9', 'REF*LT*LOT10', 'DTM*036*20250101',
      'HL*5*3*I', 'LIN*2*SK*SKU2', 'SN1**2*EA',
    ]);
    expect(rejections(evs)).toEqual([]);
    const recs = records(evs);
    expect(recs).toHaveLength(2);
    expect(recs[0]!.fields).toMatchObject({
      BSN02: 'SHIP1',
      'DTM[011]': '20240131',
      'S.TD101': 'CTN25',
      'S.TD503': 'FDEG',
      'S.TD503#2': 'UPSN',
      'S.REF[BM]': 'BOL1',
      'S.N1[ST].N102': 'STORE 12',
      'S.N1[ST].N401': 'SPRINGFIELD',
      'N1[ST].N102': 'STORE 12',
      'N1[ST].N401': 'SPRINGFIELD',
      'O.PRF01': 'PO123',
      'O.REF[DP]': '44',
      'P.MAN02': '00012345678901234567',
      'P.MAN[GM]': '00012345678901234567',
      'I.LIN[UP]': '012345678905',
      'I.LIN[VN]': 'V-1',
      'I.LIN[SK]': 'SKU1',
      'I.SN102': '6',
      'I.REF[LT]': 'LOT9',
      'I.REF[LT]#2': 'LOT10',
      'I.DTM[036]': '20250101',
      LEVEL: 'I',
      PATH: 'S>O>P>I',
    });
    expect(recs[1]!.fields['I.LIN[SK]']).toBe('SKU2');
    expect(recs[1]!.fields['I.REF[LT]']).toBeUndefined();
    expect(recs[1]!.fields['P.MAN02']).toBe('00012345678901234567');
    expect(recs[0]!.provenance).toMatchObject({ segment: 19, segmentEnd: 24, transactionSet: '856', transaction: '0001' });
  });

  it('skipped levels (S-I, S-O-I) and an empty HL02 nest by level rank', () => {
    const recs = records(read856(['HL*1**S', 'HL*2**O', 'PRF*PO1', 'HL*3**I', 'LIN**SK*A', 'HL*4**I', 'LIN**SK*B', 'HL*5**O', 'PRF*PO2', 'HL*6**I', 'LIN**SK*C']));
    expect(recs.map((r) => `${r.fields['O.PRF01']}/${r.fields['I.LIN[SK]']}`)).toEqual(['PO1/A', 'PO1/B', 'PO2/C']);
    const si = records(read856(['HL*1**S', 'HL*2*1*I', 'LIN**SK*A']));
    expect(si[0]!.fields).toMatchObject({ PATH: 'S>I', 'I.LIN[SK]': 'A' });
  });

  it('a pack without items gets one record of its own (LEVEL P)', () => {
    const recs = records(read856(['HL*1**S', 'HL*2*1*O', 'HL*3*2*P', 'MAN*GM*EMPTY', 'HL*4*2*P', 'MAN*GM*FULL', 'HL*5*4*I', 'LIN**SK*A']));
    expect(recs.map((r) => `${r.fields['LEVEL']}:${r.fields['P.MAN02']}`)).toEqual(['P:EMPTY', 'I:FULL']);
  });

  it('packs below an item (automotive S-T-I-P) give one record per pack carrying the item', () => {
    const recs = records(read856(['HL*1**S', 'HL*2*1*T', 'REF*LS*T1', 'HL*3*2*I', 'LIN**BP*PART', 'SN1**176*PC', 'HL*4*3*P', 'SN1**76*PC', 'HL*5*3*P', 'SN1**100*PC']));
    expect(recs.map((r) => [r.fields['I.LIN[BP]'], r.fields['I.SN102'], r.fields['P.SN102'], r.fields['T.REF[LS]']])).toEqual([
      ['PART', '176', '76', 'T1'],
      ['PART', '176', '100', 'T1'],
    ]);
  });

  it('an HL02 naming a closed or unknown parent rejects the set with AK3 8 / AK4 7 on HL02', () => {
    const [rej] = rejections(read856(['HL*1**S', 'HL*2*1*O', 'HL*3*9*I']));
    expect(rej!.error).toMatchObject({ code: 'X12_HL_INVALID', place: { element: 'HL02' } });
    expect(rej!.ack.ak3).toEqual([{ segmentId: 'HL', position: 6, code: '8', fileSegment: 8, ak4: [{ position: 2, code: '7', badValue: '9' }] }]);
  });

  it('an item HL nested in an item HL rejects the set (X12_HL_ITEM_IN_ITEM, AK4 7 on HL02) instead of hiding one item under the other', () => {
    const evs = read856([
      'HL*1**S', 'HL*2*1*O', 'PRF*PO-1',
      'HL*3*2*I', 'LIN**SK*A', 'SN1**1*EA',
      'HL*4*2*I', 'LIN**SK*B', 'SN1**2*EA',
      'HL*5*4*I', 'LIN**SK*C', 'SN1**20*CA',
    ]);
    const [rej] = rejections(evs);
    expect(rej!.error).toMatchObject({ code: 'X12_HL_ITEM_IN_ITEM', place: { segment: 15, element: 'HL02' } });
    expect(rej!.ack.ak3).toEqual([{ segmentId: 'HL', position: 13, code: '8', fileSegment: 15, ak4: [{ position: 2, code: '7', badValue: '4' }] }]);
    // Item B's data would otherwise only have survived as the `I.` fields of a record for C.
    expect(records(evs).some((r) => r.fields['I.LIN[SK]'] === 'B')).toBe(false);
  });

  it('HL levels nested deeper than maxHlDepth reject the set with X12_HL_TOO_DEEP, placed on the HL that goes too deep', () => {
    const chain = (n: number) => ['HL*1**S', ...Array.from({ length: n - 1 }, (_, k) => `HL*${k + 2}*${k + 1}*P`)];
    const ok = records(read856(chain(64)));
    expect(ok).toHaveLength(1);
    expect(ok[0]!.fields['P#63.HL01']).toBe('64');
    const [rej] = rejections(read856(chain(6000)));
    // ST 3, BSN 4, DTM 5, HL*1 6: HL 65 is segment 70.
    expect(rej!.error).toMatchObject({ code: 'X12_HL_TOO_DEEP', place: { segment: 70, element: 'HL02' } });
    expect(rej!.ack.ak3?.[0]).toMatchObject({ segmentId: 'HL', code: '4', fileSegment: 70 });
    expect(rejections(events(interchange([{ id: '856', body: [...header, ...chain(6)] }]), { maxHlDepth: 5 }))[0]!.error.code).toBe('X12_HL_TOO_DEEP');
  });

  it('the unprefixed qualified alias takes the deepest level that has it', () => {
    const [rec] = records(read856(['REF*PO*HDR', 'HL*1**S', 'REF*PO*SHIP', 'HL*2*1*O', 'REF*PO*ORDER', 'HL*3*2*I', 'LIN**SK*A']));
    expect(rec!.fields).toMatchObject({ 'REF[PO]': 'ORDER', 'S.REF[PO]': 'SHIP', 'O.REF[PO]': 'ORDER' });
  });

  it('streams: items are emitted while a single huge shipment is still being read', () => {
    const reader = new X12Reader({}, 'big.x12');
    const head = interchange([{ id: '856', body: [...header, 'HL*1**S', 'HL*2*1*O'] }]).split('SE*')[0]!;
    let emitted = reader.push(Buffer.from(head)).filter((e) => e.kind === 'record').length;
    let hl = 2;
    for (let batch = 0; batch < 50; batch++) {
      let text = '';
      for (let i = 0; i < 200; i++) text += `HL*${++hl}*2*I~\nLIN**SK*S${hl}~\nSN1**1*EA~\n`;
      emitted += reader.push(Buffer.from(text)).filter((e) => e.kind === 'record').length;
      // Every item but the last one read is already out: nothing accumulates.
      expect(emitted).toBe(hl - 3);
    }
  });
});
