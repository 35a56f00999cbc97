import { describe, expect, it } from 'vitest';
import { openRecords } from '../../../src/formats/read-records.ts';
import { ack997InputsFrom, isAck997Input } from '../../../src/results/ack-from-x12.ts';
import { events, isa, records, rejections } from './build-x12.ts';

/** An 856 set: its first item's record streams out before the SE is checked (the last waits for SE). */
const set856 = (control: string, po: string, se01?: number): string[] => {
  const body = ['BSN*00*SHIP1*20240131*1200', 'HL*1**S', 'HL*2*1*O', `PRF*${po}`, 'HL*3*2*I', 'LIN**SK*SKU1', 'SN1**2*EA', 'HL*4*2*I', 'LIN**SK*SKU2'];
  return [`ST*856*${control}`, ...body, `SE*${se01 ?? body.length + 2}*${control}`];
};
const group = (gs06: string, sets: string[][], version = '004010'): string[] => [`GS*SH*SENDER*RECEIVER*20240131*1200*${gs06}*X*${version}`, ...sets.flat(), `GE*${sets.length}*${gs06}`];
const file = (interchanges: Array<{ control: string; groups: string[][]; iea01?: number }>): string =>
  interchanges.map((ic) => isa({ control: ic.control }) + '\n' + [...ic.groups.flat(), `IEA*${ic.iea01 ?? ic.groups.length}*${ic.control}`].map((s) => s + '~\n').join('')).join('');

async function voidedOf(text: string): Promise<Array<{ first: number; last: number; code: string | undefined }>> {
  const stream = openRecords({ type: 'x12' }, Buffer.from(text), 'test.x12');
  for await (const _ of stream.records) void _;
  return stream.voided.map((v) => ({ first: v.first, last: v.last, code: v.errors[0]?.code }));
}

describe('refusing one set, group or interchange voids exactly that one', () => {
  const dupSt = file([{ control: '000000001', groups: [group('7', [set856('0001', 'PO-A'), set856('0002', 'PO-B'), set856('0001', 'PO-C', 50)])] }]);

  it('an ST02 repeated in its group refuses the repeat with AK5 23, and the first set with that number stays accepted', () => {
    const evs = events(dupSt);
    const sets = evs.flatMap((e) => (e.kind !== 'record' && e.ack.level === 'transaction' ? [[e.ack.transaction, e.ack.ak5?.status]] : []));
    expect(sets).toEqual([['0001', 'A'], ['0002', 'A'], ['0001', 'R']]);
    const [rej] = rejections(evs);
    expect(rej!.error).toMatchObject({ code: 'X12_ST_DUPLICATE_CONTROL', place: { segment: 25, element: 'ST02' } });
    expect(rej!.ack.ak5?.codes[0]).toBe('23');
    expect(records(evs).map((r) => r.fields['O.PRF01'])).toEqual(['PO-A', 'PO-A', 'PO-B', 'PO-B']);
  });

  it('the repeated ST02 voids nothing of the accepted sets that carry the same or other numbers', async () => {
    expect(await voidedOf(dupSt)).toEqual([]);
  });

  it('a refused set voids its own records only, not those of an earlier set with the same ST02 in another group', async () => {
    const text = file([{ control: '000000001', groups: [group('7', [set856('0001', 'PO-A')]), group('8', [set856('0001', 'PO-B', 50)])] }]);
    // Group 8's set: ST is segment 16, its first item HL 21 to SN1 23.
    expect(await voidedOf(text)).toEqual([{ first: 21, last: 23, code: 'X12_SE_COUNT_MISMATCH' }]);
  });

  it('a GS06 repeated in its interchange refuses that group (AK9 R, AK905 19 from 005010) and leaves the first group alone', async () => {
    const text = file([{ control: '000000001', groups: [group('7', [set856('0001', 'PO-A')], '005010'), group('7', [set856('0002', 'PO-B')], '005010')] }]);
    const evs = events(text);
    const groups = evs.flatMap((e) => (e.kind !== 'record' && e.ack.level === 'group' ? [[e.kind, e.ack.ak9?.codes]] : []));
    expect(groups).toEqual([['accepted', []], ['rejected', ['19']]]);
    const groupRejection = rejections(evs).find((r) => r.ack.level === 'group');
    expect(groupRejection!.error).toMatchObject({ code: 'X12_GS_DUPLICATE_CONTROL', place: { segment: 15, element: 'GS06' } });
    expect(records(evs).map((r) => r.fields['O.PRF01'])).toEqual(['PO-A', 'PO-A']);
    expect(await voidedOf(text)).toEqual([]);
  });

  it('a refused interchange voids its own records, not those of an earlier interchange with the same ISA13', async () => {
    const text = file([
      { control: '000000318', groups: [group('1', [set856('0001', 'PO-A')])] },
      { control: '000000318', groups: [group('1', [set856('0001', 'PO-B')])], iea01: 2 },
    ]);
    const evs = events(text);
    expect(evs.flatMap((e) => (e.kind !== 'record' && e.ack.level === 'interchange' ? [e.ack.ta1?.status] : []))).toEqual(['A', 'R']);
    // Second interchange: ISA 16, its items HL 23 to LIN 27.
    expect(await voidedOf(text)).toEqual([{ first: 23, last: 27, code: 'X12_IEA_COUNT_MISMATCH' }]);
  });

  it('the 997 answers each group on its own when GS06 or ISA13 repeat: the accepted one A, the repeat R', () => {
    const text = file([
      { control: '000000318', groups: [group('7', [set856('0001', 'PO-A')], '005010'), group('7', [set856('0002', 'PO-B')], '005010')] },
      { control: '000000318', groups: [group('7', [set856('0001', 'PO-C')], '005010')] },
    ]);
    const acks = events(text).flatMap((e) => (e.kind === 'record' ? [] : [e.ack]));
    const answered = ack997InputsFrom(acks).filter(isAck997Input).map((input) => ({
      group: input.group.controlNumber,
      codes: input.group.codes ?? [],
      sets: input.transactionSets.map((set) => `${set.controlNumber} ${set.status}`),
    }));
    expect(answered).toEqual([
      { group: '7', codes: [], sets: ['0001 A'] },
      { group: '7', codes: ['19'], sets: ['0002 R'] },
      { group: '7', codes: [], sets: ['0001 A'] },
    ]);
  });
});
