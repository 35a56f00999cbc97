import { describe, expect, it } from 'vitest';
import { events, records, rejections } from './build-x12.ts';

/** A 940 group (GS06 801) and a group of one received 997 (GS06 811), as a VAN batch brings them. */
const ORDERS_AND_A_997 = [
  'ISA*00*          *00*          *01*081466849      *ZZ*ACMENYC        *250304*0905*U*00401*000000801*0*P*>~',
  'GS*OW*081466849*ACMENYC*20250304*0905*801*X*004010~',
  'ST*940*0001~',
  'W05*N*MX-1*PO-MX-1~',
  'LX*1~',
  'W01*12*CA*012345600011*VN*HB-2201~',
  'SE*5*0001~',
  'GE*1*801~',
  'GS*FA*081466849*ACMENYC*20250304*0905*811*X*004010~',
  'ST*997*0001~',
  'AK1*SW*12~',
  'AK9*A*1*1*1~',
  'SE*4*0001~',
  'GE*1*811~',
  'IEA*2*000000801~',
  '',
].join('\n');

const kinds = (text: string, options = {}) => events(text, options).map((e) => (e.kind === 'record' ? `record ${e.record.provenance.transactionSet}` : `${e.kind}:${e.ack.level}`));

describe('a functional acknowledgment group (GS01 FA) that came with the data', () => {
  it('is passed over: no record, no rejection (even where only 940 is accepted), one skipped per set and group', () => {
    expect(kinds(ORDERS_AND_A_997, { transactionSets: ['940'] })).toEqual([
      'record 940',
      'accepted:transaction',
      'accepted:group',
      'skipped:transaction',
      'skipped:group',
      'accepted:interchange',
    ]);
    const skipped = events(ORDERS_AND_A_997).filter((e) => e.kind === 'skipped');
    expect(skipped.map((e) => [e.ack.functionalId, e.ack.group, e.ack.transactionSet, e.ack.transaction])).toEqual([
      ['FA', '811', '997', '0001'],
      ['FA', '811', undefined, undefined],
    ]);
  });

  it('is not judged either: a wrong SE01 or GE01 in a received 997 is no rejection of the file', () => {
    const broken = ORDERS_AND_A_997.replace('SE*4*0001~', 'SE*9*0001~').replace('GE*1*811~', 'GE*3*811~');
    expect(rejections(events(broken))).toEqual([]);
    expect(records(events(broken))).toHaveLength(1);
  });

  it('still counts as a group of its interchange (IEA01)', () => {
    const [refused] = rejections(events(ORDERS_AND_A_997.replace('IEA*2*', 'IEA*1*')));
    expect(refused!.error.code).toBe('X12_IEA_COUNT_MISMATCH');
  });
});

describe('an ISA whose interchange id does not fit its fixed width', () => {
  const longSender = [
    'ISA*00*          *00*          *ZZ*COBALTTOOLSINC-EDI-01*ZZ*ACMENYC*250304*0905*U*00401*000001202*0*P*>~',
    'GS*OW*081466849*ACMENYC*20250304*0905*1202*X*004010~',
    'ST*940*0001~',
    'W05*N*LONG-2*PO-LONG~',
    'LX*1~',
    'W01*12*CA*012345600011*VN*HB-2201~',
    'SE*5*0001~',
    'GE*1*1202~',
    'IEA*1*000001202~',
    '',
  ].join('\n');

  it('refuses the file before any record with X12_ISA_INVALID on ISA06, answered by no 997 or TA1 (no interchange, group or set acks)', () => {
    const evs = events(longSender);
    expect(evs).toHaveLength(1);
    expect(evs[0]).toMatchObject({
      kind: 'rejected',
      ack: { level: 'file' },
      error: { code: 'X12_ISA_INVALID', place: { segment: 1, element: 'ISA06' }, details: { ta1: '006' } },
    });
    expect(evs[0]!.kind === 'rejected' && evs[0]!.error.message).toMatch(/^ISA06 \(interchange sender id\) "COBALTTOOLSINC-EDI-01" is 21 characters; it is at most 15/);
  });

  it('takes a short (unpadded) id and one padded past its width: only the id itself must fit', () => {
    expect(records(events(longSender.replace('COBALTTOOLSINC-EDI-01', 'COBALT')))).toHaveLength(1);
    expect(records(events(longSender.replace('COBALTTOOLSINC-EDI-01', 'COBALT'.padEnd(18))))).toHaveLength(1);
  });

  it('refuses a receiver qualifier longer than its 2 characters on ISA07', () => {
    const [refused] = rejections(events(longSender.replace('COBALTTOOLSINC-EDI-01*ZZ*', 'COBALT*ZZZ*')));
    expect(refused!.error).toMatchObject({ code: 'X12_ISA_INVALID', place: { element: 'ISA07' }, details: { ta1: '007' } });
  });
});

describe('the acks carry what a 997 needs to answer in kind', () => {
  it('ISA12 and the delimiters of the interchange', () => {
    const text = ORDERS_AND_A_997.replace('*U*00401*', '*|*00501*').replace(/~\n/g, '!\n');
    const group = events(text).flatMap((e) => (e.kind === 'accepted' && e.ack.level === 'group' ? [e.ack] : []))[0];
    expect(group).toMatchObject({ interchangeVersion: '00501', delimiters: { element: '*', component: '>', segment: '!', repetition: '|' } });
  });
});
