import { describe, expect, it } from 'vitest';
import { ack997InputsFrom, isAck997Input, refuseSetsOfVoidedDocuments } from '../../src/results/ack-from-x12.ts';
import { encode997, render997, type Ack997Input } from '../../src/results/ack-997.ts';
import { events, interchange, isa } from '../formats/x12/build-x12.ts';

const NOW = new Date('2025-03-04T05:06:07Z');
const BODY = ['W05*N*ORDER1', 'LX*1', 'W01*5*CA**VN*SKU1'];

/** The 997 inputs the pipeline would store for this X12 text. */
function inputs(text: string | Uint8Array): Ack997Input[] {
  return ack997InputsFrom(events(text).flatMap((e) => (e.kind === 'record' ? [] : [e.ack]))).filter(isAck997Input);
}

/** The 997s the pipeline would send for this X12 text. */
function acknowledge(text: string | Uint8Array): string[] {
  return inputs(text).map((input) => render997(input, { controlNumber: 42, now: NOW }));
}

describe('997 of a set whose group or interchange was refused after the set itself passed', () => {
  it('a group refused at its GE (GE01 counts 2 sets, it has 1) acknowledges its set R and the group R with AK905 5 (golden)', () => {
    expect(acknowledge(interchange([{ id: '940', body: BODY }], { ge01: 2 }))).toEqual([
      [
        'ISA*00*          *00*          *ZZ*RECEIVER       *ZZ*SENDER         *250304*0506*U*00401*000000042*0*P*>~',
        'GS*FA*RECEIVER*SENDER*20250304*0506*42*X*004010~',
        'ST*997*0001~',
        'AK1*SH*7~',
        'AK2*940*0001~',
        'AK5*R~',
        'AK9*R*2*1*0*5~',
        'SE*6*0001~',
        'GE*1*42~',
        'IEA*1*000000042~',
        '',
      ].join('\n'),
    ]);
  });

  it('a group refused because GE02 does not match GS06 acknowledges its set R, not A', () => {
    const [ack] = acknowledge(interchange([{ id: '940', body: BODY }], { ge02: '8' }));
    expect(ack).toContain('AK5*R~');
    expect(ack).toContain('AK9*R*1*1*0*4~');
  });

  it('an interchange refused at its IEA (control number wrong) acknowledges the sets of its groups R', () => {
    const [ack] = acknowledge(interchange([{ id: '940', body: BODY }, { id: '940', body: BODY }], { iea02: '000000002' }));
    expect(ack).toContain('AK2*940*0001~\nAK5*R~\nAK2*940*0002~\nAK5*R~\nAK9*R*2*2*0~');
  });

  it('a clean interchange still acknowledges its sets A', () => {
    const [ack] = acknowledge(interchange([{ id: '940', body: BODY }]));
    expect(ack).toContain('AK5*A~\nAK9*A*1*1*1~');
  });
});

describe('997 of an envelope that bends X12 lengths or types: the reader takes it, so the 997 answers it', () => {
  const file = (gs: string, sets: string[][]) =>
    [isa(), gs, ...sets.flat(), `GE*${sets.length}*${gs.split('*')[6]}`, 'IEA*1*000000001'].join('~\n') + '~\n';

  it('echoes a one-digit ST02, a GS06 with letters and a one-letter GS02 as received (golden)', () => {
    const text = file('GS*OW*S*RECEIVER*20240131*1200*A7*X*004010', [['ST*940*1', ...BODY, 'SE*5*1']]);
    expect(acknowledge(text)).toEqual([
      [
        'ISA*00*          *00*          *ZZ*RECEIVER       *ZZ*SENDER         *250304*0506*U*00401*000000042*0*P*>~',
        'GS*FA*RECEIVER*S*20250304*0506*42*X*004010~',
        'ST*997*0001~',
        'AK1*OW*A7~',
        'AK2*940*1~',
        'AK5*A~',
        'AK9*A*1*1*1~',
        'SE*6*0001~',
        'GE*1*42~',
        'IEA*1*000000042~',
        '',
      ].join('\n'),
    ]);
  });

  it('answers a set without ST01 (AK5 R 6) or ST02 (AK5 R 7) with what it has, and AK9 counts every set received', () => {
    const sets = [['ST*940*0001', ...BODY, 'SE*5*0001'], ['ST**0002', ...BODY, 'SE*5*0002'], ['ST*940', ...BODY, 'SE*5']];
    const [ack] = acknowledge(file('GS*OW*SENDER*RECEIVER*20240131*1200*7*X*004010', sets));
    expect(ack).toContain('AK2*940*0001~\nAK5*A~\nAK2**0002~\nAK5*R*6~\nAK2*940~\nAK5*R*7~\nAK9*P*3*3*1~');
  });

  it('answers a set refused for its ST01 with AK5 R 6, echoing the ST01 it got', () => {
    const [ack] = acknowledge(file('GS*OW*SENDER*RECEIVER*20240131*1200*7*X*004010', [['ST*94*0001', ...BODY, 'SE*5*0001']]));
    expect(ack).toContain('AK2*94*0001~\nAK5*R*6~\nAK9*R*1*1*0~');
  });
});

describe('997 in the received interchange\'s own delimiters and version', () => {
  const order = (isaLine: string, gs02: string, terminator: string) =>
    [isaLine, `GS*OW*${gs02}*ACMENYC*20250304*0905*1101*X*004010`, 'ST*940*0001', ...BODY, 'SE*5*0001', 'GE*1*1101', 'IEA*1*000001101'].join(`${terminator}\n`) + `${terminator}\n`;

  it('answers an ISA06 holding ~ and a GS02 holding ^, sent with ! as terminator, between !s (golden)', () => {
    const text = order('ISA*00*          *00*          *ZZ*ACME~SENDER    *ZZ*ACMENYC        *250304*0905*U*00401*000001101*0*P*:', 'ACME^SND', '!');
    expect(acknowledge(text)).toEqual([
      [
        'ISA*00*          *00*          *ZZ*ACMENYC        *ZZ*ACME~SENDER    *250304*0506*U*00401*000000042*0*P*:!',
        'GS*FA*ACMENYC*ACME^SND*20250304*0506*42*X*004010!',
        'ST*997*0001!',
        'AK1*OW*1101!',
        'AK2*940*0001!',
        'AK5*A!',
        'AK9*A*1*1*1!',
        'SE*6*0001!',
        'GE*1*42!',
        'IEA*1*000000042!',
        '',
      ].join('\n'),
    ]);
  });

  it('echoes ISA12 00501 and the received repetition separator in ISA11', () => {
    const [ack] = acknowledge(order('ISA*00*          *00*          *01*081466849      *ZZ*ACMENYC        *250304*0905*{*00501*000001101*0*P*>', '081466849', '~'));
    expect(ack!.split('~\n')[0]!.split('*').slice(11, 13)).toEqual(['{', '00501']);
  });

  it('answers a newline-terminated interchange with | elements newline-terminated, one segment a line', () => {
    const text = order('ISA|00|          |00|          |ZZ|SENDER         |ZZ|ACMENYC        |250304|0905|U|00401|000001101|0|P|:', 'SENDER', '').replace(/\*/g, '|');
    const [ack] = acknowledge(text);
    expect(ack!.split('\n').slice(0, 4)).toEqual([
      'ISA|00|          |00|          |ZZ|ACMENYC        |ZZ|SENDER         |250304|0506|U|00401|000000042|0|P|:',
      'GS|FA|ACMENYC|SENDER|20250304|0506|42|X|004010',
      'ST|997|0001',
      'AK1|OW|1101',
    ]);
    expect(ack!.endsWith('IEA|1|000000042\n')).toBe(true);
  });
});

describe('a received functional acknowledgment (GS01 FA)', () => {
  it('gets no 997, only a note of its control numbers; the data group beside it is answered', () => {
    const text = [
      isa({ control: '000000801' }),
      'GS*OW*SENDER*RECEIVER*20250304*0905*801*X*004010~',
      'ST*940*0001~', ...BODY.map((s) => `${s}~`), 'SE*5*0001~',
      'GE*1*801~',
      'GS*FA*SENDER*RECEIVER*20250304*0905*811*X*004010~',
      'ST*997*0001~', 'AK1*SW*12~', 'AK9*A*1*1*1~', 'SE*4*0001~',
      'GE*1*811~',
      'IEA*2*000000801~',
    ].join('\n');
    const entries = ack997InputsFrom(events(text).flatMap((e) => (e.kind === 'record' ? [] : [e.ack])));
    expect(entries).toHaveLength(2);
    expect(entries[1]).toEqual({ received: 'functional-acknowledgment', senderId: 'SENDER', interchange: '000000801', group: '811', transactionSets: ['997 0001'] });
    expect(acknowledge(text)).toHaveLength(1);
    expect(acknowledge(text)[0]).toContain('AK1*OW*801~');
  });
});

describe('997 of a set that had no error but shared a voided document with a refused one', () => {
  // Two 940s in one group: set 0001 (segments 3-7) is fine, set 0002 (segments 8-12) has a wrong SE01.
  const text = interchange([{ id: '940', body: BODY }, { id: '940', body: BODY, se01: 9 }]);

  it('a document holding records of both sets, voided for 0002, takes 0001 down too: AK5 R for both, AK9 R, and 0001 is returned to be voided whole', () => {
    const acks = inputs(text);
    expect(render997(acks[0]!, { controlNumber: 42, now: NOW })).toContain('AK2*940*0001~\nAK5*A~\nAK2*940*0002~\nAK5*R*4~\nAK9*P*2*2*1~');
    const cause = { code: 'X12_SE_COUNT_MISMATCH', message: 'SE01 says 9', place: { file: 'f.edi', segment: 12 } };
    const refused = refuseSetsOfVoidedDocuments(acks, [{ ranges: [[5, 6], [10, 11]], errors: [cause] }], 'f.edi');
    expect(refused).toEqual([
      { first: 3, last: 7, errors: [expect.objectContaining({ code: 'X12_SET_REFUSED_WITH_OTHER', place: { file: 'f.edi', segment: 3 }, details: { cause: 'X12_SE_COUNT_MISMATCH' } })] },
    ]);
    expect(refused[0]!.errors[0]!.message).toMatch(/^transaction set 940 0001 \(segments 3-7\) has no error of its own.*\(X12_SE_COUNT_MISMATCH at segment 12\)/);
    // No AK502 code fits "rejected with another set" (5 would promise AK3s there are none of): R alone.
    expect(render997(acks[0]!, { controlNumber: 42, now: NOW })).toContain('AK2*940*0001~\nAK5*R~\nAK2*940*0002~\nAK5*R*4~\nAK9*R*2*2*0~');
    // Already R: a second pass finds nothing more.
    expect(refuseSetsOfVoidedDocuments(acks, [{ ranges: [[3, 7]], errors: [cause] }], 'f.edi')).toEqual([]);
  });

  it('the same with the refused set first: the good second set is refused with it', () => {
    const reversed = inputs(interchange([{ id: '940', body: BODY, se01: 9 }, { id: '940', body: BODY }]));
    const refused = refuseSetsOfVoidedDocuments(reversed, [{ ranges: [[5, 6], [10, 11]], errors: [{ code: 'X12_SE_COUNT_MISMATCH', message: '', place: { segment: 7 } }] }], 'f.edi');
    expect(refused.map(({ first, last }) => [first, last])).toEqual([[8, 12]]);
    expect(render997(reversed[0]!, { controlNumber: 42, now: NOW })).toContain('AK2*940*0001~\nAK5*R*4~\nAK2*940*0002~\nAK5*R~\nAK9*R*2*2*0~');
  });

  it('a voided document of the refused set alone leaves the other set A', () => {
    const acks = inputs(text);
    expect(refuseSetsOfVoidedDocuments(acks, [{ ranges: [[10, 11]], errors: [{ code: 'X12_SE_COUNT_MISMATCH', message: '', place: {} }] }], 'f.edi')).toEqual([]);
    expect(render997(acks[0]!, { controlNumber: 42, now: NOW })).toContain('AK2*940*0001~\nAK5*A~');
  });
});

describe('997 in the received delimiters and bytes', () => {
  it('answers an interchange in ASCII separators (GS 0x1D, US 0x1F, FS 0x1C) in the same', () => {
    const text = interchange([{ id: '940', body: BODY }]).replace(/\*/g, '\x1d').replace(/~/g, '\x1c').replace(/\x1d>\x1c/, '\x1d\x1f\x1c');
    const [ack] = acknowledge(text);
    expect(ack!.split('\n')[0]).toMatch(/^ISA\x1d00\x1d {10}\x1d.*\x1dP\x1d\x1f\x1c$/);
    expect(ack).toContain('AK2\x1d940\x1d0001\x1c\nAK5\x1dA\x1c\nAK9\x1dA\x1d1\x1d1\x1d1\x1c\n');
  });

  /** The 940 interchange with `isa08` (bytes) as receiver id and `terminator` (bytes) after each segment. */
  function bytes940(isa08: number[], terminator: number[]): Buffer {
    const text = interchange([{ id: '940', body: BODY }]).replace('RECEIVER       ', '@ISA08@');
    const parts = text.split(/(@ISA08@|~)/).map((part) => (part === '@ISA08@' ? Buffer.from(isa08) : part === '~' ? Buffer.from(terminator) : Buffer.from(part, 'utf8')));
    return Buffer.concat(parts);
  }
  const bytesOf = (file: Buffer) => {
    const [input] = inputs(file);
    return encode997(render997(input!, { controlNumber: 42, now: NOW }), input!.interchange.encoding);
  };

  it('a terminator byte 0x85 (read as Windows-1252 …) goes back as the byte 0x85: the ISA is 106 bytes', () => {
    const file = bytes940([...Buffer.from('ACMENYC        ')], [0x85]);
    expect(inputs(file)[0]!.interchange.encoding).toBe('windows-1252');
    const ack = bytesOf(file);
    expect(ack.indexOf(0x85)).toBe(105);
    expect(ack.subarray(0, 3).toString()).toBe('ISA');
    expect(ack.includes(Buffer.from('…', 'utf8'))).toBe(false);
    expect(ack.toString('latin1').split('\x85\n')).toHaveLength(11);
  });

  it('a Latin-1 ISA08 (MÜNCHEN with the byte 0xDC) is echoed as ISA06 in the same byte: the ISA is 106 bytes', () => {
    const ack = bytesOf(bytes940([...Buffer.from('ACMEM'), 0xdc, ...Buffer.from('NCHEN    ')], [0x7e]));
    expect(ack.indexOf(0x7e)).toBe(105);
    expect(ack.subarray(0, 106).toString('latin1')).toContain('*ACMEMÜNCHEN    *');
  });

  it('the same ISA08 sent in UTF-8 is answered in UTF-8', () => {
    const ack = bytesOf(bytes940([...Buffer.from('ACMEMÜNCHEN    ', 'utf8')], [0x7e]));
    expect(ack.toString('utf8').split('\n')[0]).toContain('*ACMEMÜNCHEN    *');
    expect(ack.indexOf(0x7e)).toBe(106);
  });
});
