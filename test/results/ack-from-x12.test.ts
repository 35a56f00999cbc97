import { describe, expect, it } from 'vitest';
import { ack997InputsFrom, isAck997Input } from '../../src/results/ack-from-x12.ts';
import { render997 } from '../../src/results/ack-997.ts';
import { events, interchange, isa } from '../formats/x12/build-x12.ts';

const NOW = new Date('2025-03-04T05:06:07Z');
const BODY = ['W05*N*ORDER1', 'LX*1', 'W01*5*CA**VN*SKU1'];

/** The 997s the pipeline would send for this X12 text. */
function acknowledge(text: string): string[] {
  const acks = events(text).flatMap((e) => (e.kind === 'record' ? [] : [e.ack]));
  return ack997InputsFrom(acks)
    .filter(isAck997Input)
    .map((input) => render997(input, { controlNumber: 42, now: NOW }));
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
