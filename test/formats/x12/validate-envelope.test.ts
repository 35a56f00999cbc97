import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GRAMMAR_856, GRAMMAR_940, SEGMENTS_OF_SET } from '../../../src/formats/x12/transaction-grammars.ts';
import { X12_ERROR_CODES } from '../../../src/formats/x12/x12-error-codes.ts';
import { events, interchange, isa, records, rejections } from './build-x12.ts';

const set940 = (control?: string): { id: string; body: string[]; control?: string } => ({
  id: '940',
  body: ['W05*N*ORD1*PO1', 'LX*1', 'W01*5*EA**VN*SKU1'],
  ...(control ? { control } : {}),
});

describe('validate-envelope', () => {
  it('a clean interchange yields records, then accepted set, group and interchange with 997/TA1 ids', () => {
    const evs = events(interchange([set940()]));
    expect(evs.map((e) => (e.kind === 'record' ? 'record' : `${e.kind}:${e.ack.level}`))).toEqual([
      'record',
      'accepted:transaction',
      'accepted:group',
      'accepted:interchange',
    ]);
    const set = evs[1]!;
    expect(set.kind === 'accepted' && set.ack).toMatchObject({
      interchange: '000000001',
      senderQualifier: 'ZZ',
      senderId: 'SENDER',
      receiverQualifier: 'ZZ',
      receiverId: 'RECEIVER',
      group: '7',
      functionalId: 'SH',
      version: '004010',
      transaction: '0001',
      transactionSet: '940',
      ak5: { status: 'A', codes: [] },
    });
  });

  it('wrong SE01 rejects that set with AK5 4 and the other sets go on', () => {
    const evs = events(interchange([{ ...set940(), se01: 9 }, set940()]));
    const [rej] = rejections(evs);
    expect(rej!.error).toMatchObject({ code: 'X12_SE_COUNT_MISMATCH', place: { segment: 7, element: 'SE01' }, details: { segmentId: 'SE', elementPosition: 1 } });
    expect(rej!.ack).toMatchObject({ level: 'transaction', transaction: '0001', ak5: { status: 'R', codes: ['4'] } });
    // 940 lines wait for SE (W76 totals), so the rejected set released none; the next set is read normally.
    expect(records(evs).map((r) => r.provenance.transaction)).toEqual(['0002']);
    const group = evs.find((e) => e.kind === 'accepted' && e.ack.level === 'group');
    expect(group && group.kind === 'accepted' && group.ack.ak9).toEqual({ status: 'P', included: 2, received: 2, accepted: 1, codes: [] });
  });

  it('SE02 different from ST02 rejects the set with AK5 3', () => {
    const [rej] = rejections(events(interchange([{ ...set940(), se02: '9999' }])));
    expect(rej!.error.code).toBe('X12_SE_CONTROL_MISMATCH');
    expect(rej!.ack.ak5).toEqual({ status: 'R', codes: ['3'] });
  });

  it('with release per-set, records of a rejected set are never released', () => {
    const evs = events(interchange([{ ...set940(), se01: 9 }, set940()]), { release: 'per-set' });
    expect(records(evs).map((r) => r.provenance.transaction)).toEqual(['0002']);
  });

  it('wrong GE01 and GE02 reject the group with AK9 5 and 4', () => {
    const [rej] = rejections(events(interchange([set940()], { ge01: 3, ge02: '8' })));
    expect(rej!.ack.level).toBe('group');
    expect(rej!.errors.map((e) => e.code)).toEqual(['X12_GE_COUNT_MISMATCH', 'X12_GE_CONTROL_MISMATCH']);
    expect(rej!.ack.ak9).toEqual({ status: 'R', included: 3, received: 1, accepted: 1, codes: ['5', '4'] });
  });

  it('wrong IEA01 and IEA02 reject the interchange with TA1 021 / 001', () => {
    const [rej] = rejections(events(interchange([set940()], { iea01: 2, iea02: '000000002' })));
    expect(rej!.ack.level).toBe('interchange');
    expect(rej!.errors.map((e) => e.code)).toEqual(['X12_IEA_COUNT_MISMATCH', 'X12_IEA_CONTROL_MISMATCH']);
    expect(rej!.ack.ta1).toEqual({ status: 'R', note: '021' });
  });

  it('IEA02 written without leading zeros still matches ISA13 (numeric control number)', () => {
    expect(rejections(events(interchange([set940()], { iea02: '1' })))).toEqual([]);
  });

  it('a truncated file rejects the open set, group and interchange naming the last segment read', () => {
    const text = interchange([set940()]);
    const cut = text.slice(0, text.indexOf('W01'));
    const rej = rejections(events(cut));
    expect(rej.map((r) => `${r.ack.level}:${r.error.code}`)).toEqual(['transaction:X12_TRUNCATED', 'group:X12_TRUNCATED', 'interchange:X12_TRUNCATED']);
    expect(rej[0]!.error.message).toContain('after segment 5 (LX)');
    expect(rej[0]!.error.place).toMatchObject({ segment: 5, element: 'LX' });
    expect(rej[0]!.ack.ak5).toEqual({ status: 'R', codes: ['2'] });
    expect(rej[2]!.ack.ta1).toEqual({ status: 'R', note: '023' });
  });

  it('a new ST before SE rejects the open set with AK5 2 and reads the next one', () => {
    const text = isa() + 'GS*SH*A*B*20240101*1200*7*X*004010~ST*940*0001~W05*N*1~ST*940*0002~W05*N*2~LX*1~W01*1*EA~SE*5*0002~GE*2*7~IEA*1*000000001~';
    const evs = events(text);
    expect(rejections(evs).map((r) => r.error.code)).toEqual(['X12_SE_MISSING']);
    expect(records(evs).map((r) => r.fields['W0502'])).toEqual(['2']);
  });

  it('an unknown transaction set is read generically; one not in transactionSets is rejected with AK5 1', () => {
    const text = interchange([{ id: '999', body: ['ZZZ*A*B', 'REF*XY*42'] }]);
    const [rec] = records(events(text));
    expect(rec!.fields).toMatchObject({ ST01: '999', ZZZ01: 'A', ZZZ02: 'B', 'REF[XY]': '42' });
    const [rej] = rejections(events(text, { transactionSets: ['856', '940'] }));
    expect(rej!.error.code).toBe('X12_SET_NOT_SUPPORTED');
    expect(rej!.ack.ak5).toEqual({ status: 'R', codes: ['1'] });
  });

  it('a missing mandatory element gives AK3 8 with AK4 1 at its position in the set', () => {
    const [rej] = rejections(events(interchange([{ id: '940', body: ['W05*N*1', 'N9**3'] }])));
    expect(rej!.error).toMatchObject({ code: 'X12_MANDATORY_ELEMENT_MISSING', place: { segment: 5, element: 'N901' } });
    expect(rej!.ack.ak5).toEqual({ status: 'R', codes: ['5'] });
    expect(rej!.ack.ak3).toEqual([{ segmentId: 'N9', position: 3, code: '8', fileSegment: 5, ak4: [{ position: 1, code: '1' }] }]);
  });

  it('ISA15 T marks records as test', () => {
    const [rec] = records(events(interchange([set940()], { usage: 'T' })));
    expect(rec!.provenance.test).toBe(true);
  });

  it.each([
    { name: 'a 0-byte file', bytes: new Uint8Array(0), code: 'X12_EMPTY_FILE' },
    { name: 'an empty (whitespace) file', bytes: Buffer.from(' \r\n\r\n'), code: 'X12_EMPTY_FILE' },
    { name: 'a non-X12 text file', bytes: Buffer.from('order,sku,qty\n1,A,2\n'), code: 'X12_NOT_EDI' },
    { name: 'binary garbage', bytes: Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256), code: 'X12_NOT_EDI' },
    { name: 'an ISA cut short', bytes: Buffer.from('ISA*00*  '), code: 'X12_ISA_INVALID' },
  ])('$name is rejected at file level with $code', ({ bytes, code }) => {
    const evs = events(bytes);
    expect(evs).toHaveLength(1);
    expect(evs[0]).toMatchObject({ kind: 'rejected', error: { code, place: { file: 'test.x12' } }, ack: { level: 'file' } });
  });

  it('a non-X12 text file says the file does not start with an ISA segment', () => {
    const [rej] = rejections(events('hello world\n'));
    expect(rej!.error.message).toBe('the file does not start with an ISA segment');
  });

  it('a fully lowercase file is refused, saying it starts with a lowercase "isa" and that segment ids are upper case', () => {
    const [rej] = rejections(events(interchange([set940()]).toLowerCase()));
    expect(rej!.error).toMatchObject({ code: 'X12_NOT_EDI', place: { segment: 1, line: 1 } });
    expect(rej!.error.message).toMatch(/starts with a lowercase "isa".*X12 segment ids are upper case/);
  });

  it('text after the last IEA is refused at file level, naming its line and what it is; whitespace, NULs and Ctrl-Z are not', () => {
    const valid = interchange([set940()]);
    const [rej] = rejections(events(`${valid}\nEND OF FILE\n`));
    expect(rej).toMatchObject({ error: { code: 'X12_DATA_AFTER_IEA', place: { segment: 10, line: 11 } }, ack: { level: 'file' } });
    expect(rej!.error.message).toContain('"END OF FILE"');
    expect(rejections(events(`${valid}\r\n \t\0\0\x1a`))).toEqual([]);
  });

  it('a lowercase "isa" after an IEA is named as such, not as mere trailing data', () => {
    const [rej] = rejections(events(interchange([set940()]) + interchange([set940()]).toLowerCase()));
    expect(rej!.error).toMatchObject({ code: 'X12_DATA_AFTER_IEA', message: expect.stringMatching(/lowercase "isa".*upper case/) });
  });

  it('a UTF-16 file (with or without its byte order mark, either byte order) is told to be sent as ASCII or UTF-8', () => {
    const isa = interchange([set940()]).toString();
    const le = Buffer.from(isa, 'utf16le');
    for (const bytes of [le, Buffer.concat([Buffer.from([0xff, 0xfe]), le]), Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(le).swap16()]), Buffer.from(le).swap16()]) {
      const [rej] = rejections(events(bytes));
      expect(rej!.error).toMatchObject({ code: 'X12_NOT_EDI', message: expect.stringContaining('UTF-16') });
    }
  });

  it('every code the reader can emit is in the registry', () => {
    const codes = [
      ...rejections(events(interchange([{ ...set940(), se01: 9, se02: 'x' }], { ge01: 3, ge02: '8', iea01: 9, iea02: '5' }))),
      ...rejections(events('junk')),
    ].flatMap((r) => r.errors.map((e) => e.code));
    for (const c of codes) expect(Object.keys(X12_ERROR_CODES)).toContain(c);
  });
});

describe('segment ids: a misspelt, lowercase or unknown id refuses its set instead of losing data', () => {
  // The demo 856: item HL 5 (COD-LOIN-2LB) is segment 26, position 24 in its set; its REF*LT is segment 30.
  const sample = readFileSync(join(import.meta.dirname, '../../../samples/bluefin/ASN_250303_01.edi'), 'utf8');
  const refused = (text: string) => {
    const evs = events(text);
    const [rej] = rejections(evs);
    expect(evs.filter((e) => e.kind === 'accepted' && e.ack.level === 'transaction')).toEqual([]);
    return rej!;
  };

  it('HK for HL: the set is refused (AK3 1, AK5 R 5) naming segment, line and id with HL as the near miss, and gives no item', () => {
    const text = sample.replace('HL*5*3*I~', 'HK*5*3*I~');
    expect(records(events(text))).toEqual([]);
    const rej = refused(text);
    expect(rej.error).toMatchObject({ code: 'X12_SEGMENT_UNKNOWN', place: { segment: 26, line: 26, element: 'HK' } });
    expect(rej.error.message).toMatch(/^segment 26 \(line 26, position 24 in transaction set 0001\): HK is not a segment of transaction set 856 \(did you mean HL\?\)/);
    expect(rej.ack.ak5).toEqual({ status: 'R', codes: ['5'] });
    expect(rej.ack.ak3).toEqual([{ segmentId: 'HK', position: 24, code: '1', fileSegment: 26, ak4: [] }]);
  });

  it.each([
    ['a lowercase hl', 'HL', 'HL*5*3*I~', 'hl*5*3*I~', 26, 'HL'],
    ['a lowercase ref (a lot number)', 'REF', 'REF*LT*L250301B~', 'ref*LT*L250301B~', 30, 'REF'],
    ['N3X for N3', 'N3', 'N3*200 HARBOR WAY~', 'N3X*200 HARBOR WAY~', 12, 'N3X'],
  ])('%s refuses the set, suggesting %s', (_name, suggestion, from, to, segment, ak301) => {
    const rej = refused(sample.replace(from, to));
    expect(rej.error).toMatchObject({ code: 'X12_SEGMENT_UNKNOWN', place: { segment, line: segment } });
    expect(rej.error.message).toContain(`(did you mean ${suggestion}?)`);
    // AK301 holds only a segment id: a lowercase one goes back in capitals, at its position.
    expect(rej.ack.ak3).toEqual([expect.objectContaining({ segmentId: ak301, code: '1' })]);
  });

  it('an empty segment id (a segment starting with the separator) refuses the set, without an AK3 no 997 could carry', () => {
    const rej = refused(sample.replace('N3*200 HARBOR WAY~', '*48 RIVER RD~'));
    expect(rej.error).toMatchObject({ code: 'X12_SEGMENT_UNKNOWN', place: { segment: 12, line: 12 }, message: expect.stringContaining('"" is not a segment id') });
    expect(rej.ack).toMatchObject({ ak5: { status: 'R', codes: ['5'] } });
    expect(rej.ack.ak3).toBeUndefined();
  });

  it('a set without a known grammar is held to the syntax only: a well-formed unknown id is read, a lowercase one refused', () => {
    expect(rejections(events(interchange([{ id: '204', body: ['B2**SCAC**SH1', 'ZZZ*A'] }])))).toEqual([]);
    const [rej] = rejections(events(interchange([{ id: '204', body: ['B2**SCAC**SH1', 's5*1*LD'] }])));
    expect(rej!.error).toMatchObject({ code: 'X12_SEGMENT_UNKNOWN', message: expect.stringContaining('"s5" is not a segment id (2-3 capital letters or digits, the first a letter) (did you mean S5?)') });
  });

  it.each([GRAMMAR_856, GRAMMAR_940])('the $setId grammar accepts every segment its flattener reads (loops, lines, summary)', (grammar) => {
    const read = [...Object.entries(grammar.vocabulary.loops).flat(2), ...grammar.summary, ...('line' in grammar ? [grammar.line, grammar.lineGroup] : [])];
    expect(read.filter((id) => !SEGMENTS_OF_SET[grammar.setId]!.has(id))).toEqual([]);
  });

  it('the 940 grammar knows its own segments and refuses an 856 one', () => {
    const clean = ['W05*N*ORD1*PO1', 'N1*ST*X', 'N2*Y', 'N3*1 MAIN ST', 'N4*CITY*NY', 'REF*DP*042', 'PER*IC*JOE', 'G62*10*20240101', 'W66*CC*M', 'LX*1', 'W01*5*EA**VN*SKU1', 'G69*X', 'W20*1', 'W76*5'];
    expect(rejections(events(interchange([{ id: '940', body: clean }])))).toEqual([]);
    const [rej] = rejections(events(interchange([{ id: '940', body: ['W05*N*ORD1*PO1', 'LX*1', 'W01*5*EA**VN*SKU1', 'SN1**5*EA'] }])));
    expect(rej!.error).toMatchObject({ code: 'X12_SEGMENT_UNKNOWN', message: expect.stringContaining('SN1 is not a segment of transaction set 940') });
  });
});
