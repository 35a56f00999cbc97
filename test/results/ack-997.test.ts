import { describe, expect, it } from 'vitest';
import { Ack997InputSchema, encode997, render997, type Ack997Input } from '../../src/results/index.ts';

const NOW = new Date('2025-03-04T05:06:07Z');

const ENVELOPE = {
  interchange: { senderQualifier: 'ZZ', senderId: 'ACMEWMS', receiverQualifier: '01', receiverId: 'KARGO', version: '00401', usage: 'P' },
  group: { functionalId: 'SH', senderCode: 'ACMEWMS', receiverCode: 'KARGO', controlNumber: '1234', version: '004010' },
} satisfies Pick<Ack997Input, 'interchange' | 'group'>;

/**
 * A tiny independent reader: split on the terminator, check ISA's fixed width, the SE count, and the matching
 * control numbers and counts of the envelope. Every generated 997 must pass it.
 */
function reparse(text: string) {
  expect(text.endsWith('~\n')).toBe(true);
  const segments = text.slice(0, -2).split('~\n');
  const isa = segments[0]!;
  expect(isa.length + 1).toBe(106); // ISA plus its terminator is always 106 characters
  const elements = segments.map((segment) => segment.split('*'));
  const ids = elements.map((e) => e[0]);
  expect(ids[0]).toBe('ISA');
  expect(ids[1]).toBe('GS');
  expect(ids.at(-2)).toBe('GE');
  expect(ids.at(-1)).toBe('IEA');
  const isaElements = elements[0]!;
  expect(isaElements).toHaveLength(17);
  expect(isaElements[6]).toHaveLength(15);
  expect(isaElements[8]).toHaveLength(15);
  expect(isaElements[13]).toMatch(/^\d{9}$/);
  const st = ids.indexOf('ST');
  const se = ids.indexOf('SE');
  expect(Number(elements[se]![1])).toBe(se - st + 1);
  expect(elements[se]![2]).toBe(elements[st]![2]);
  expect(elements.at(-2)).toEqual(['GE', '1', elements[1]![6]]);
  expect(elements.at(-1)).toEqual(['IEA', '1', isaElements[13]]);
  // No element ends a segment empty (X12 forbids trailing separators), except ISA's fixed fields.
  for (const segment of segments.slice(1)) expect(segment.endsWith('*')).toBe(false);
  return elements;
}

describe('X12 997', () => {
  it('acknowledges an accepted group (golden)', () => {
    const text = render997({ ...ENVELOPE, transactionSets: [{ id: '856', controlNumber: '0001', status: 'A' }] }, { controlNumber: 42, now: NOW });
    expect(text).toBe(
      [
        'ISA*00*          *00*          *01*KARGO          *ZZ*ACMEWMS        *250304*0506*U*00401*000000042*0*P*>~',
        'GS*FA*KARGO*ACMEWMS*20250304*0506*42*X*004010~',
        'ST*997*0001~',
        'AK1*SH*1234~',
        'AK2*856*0001~',
        'AK5*A~',
        'AK9*A*1*1*1~',
        'SE*6*0001~',
        'GE*1*42~',
        'IEA*1*000000042~',
        '',
      ].join('\n'),
    );
    reparse(text);
  });

  it('acknowledges a partially rejected group with AK3/AK4 detail (golden)', () => {
    const text = render997(
      {
        ...ENVELOPE,
        group: { ...ENVELOPE.group, transactionSetsIncluded: 3 },
        transactionSets: [
          { id: '856', controlNumber: '0001', status: 'A' },
          {
            id: '856',
            controlNumber: '0002',
            status: 'R',
            codes: ['5'],
            segmentErrors: [
              { segmentId: 'TD1', position: 6, loopId: 'HL', code: '8', elementErrors: [{ position: 2, elementRef: 80, code: '6', badValue: 'TE*N~' }] },
              { segmentId: 'DTM', position: 9, code: '3' },
            ],
          },
          { id: '856', controlNumber: '0003', status: 'E', segmentErrors: [{ segmentId: 'REF', position: 4, code: '8', elementErrors: [{ position: 1, code: '7', badValue: 'XX' }] }] },
        ],
      },
      { controlNumber: 7, now: NOW },
    );
    expect(text).toBe(
      [
        'ISA*00*          *00*          *01*KARGO          *ZZ*ACMEWMS        *250304*0506*U*00401*000000007*0*P*>~',
        'GS*FA*KARGO*ACMEWMS*20250304*0506*7*X*004010~',
        'ST*997*0001~',
        'AK1*SH*1234~',
        'AK2*856*0001~',
        'AK5*A~',
        'AK2*856*0002~',
        'AK3*TD1*6*HL*8~',
        'AK4*2*80*6*TE N~',
        'AK3*DTM*9**3~',
        'AK5*R*5~',
        'AK2*856*0003~',
        'AK3*REF*4**8~',
        'AK4*1**7*XX~',
        'AK5*E~',
        'AK9*P*3*3*2~',
        'SE*15*0001~',
        'GE*1*7~',
        'IEA*1*000000007~',
        '',
      ].join('\n'),
    );
    reparse(text);
  });

  it('from 005010 on, carries the version in ST03 and AK103, the convention in AK203, and ^ in ISA11', () => {
    const elements = reparse(
      render997(
        {
          interchange: { ...ENVELOPE.interchange, senderId: 'ABCDEFGHIJKLMNO', receiverId: 'K', version: '00501', usage: 'T' },
          group: { ...ENVELOPE.group, functionalId: 'OW', version: '005010' },
          transactionSets: [{ id: '940', controlNumber: '000000101', conventionReference: '005010', status: 'A' }],
        },
        { controlNumber: 999_999_999, now: NOW },
      ),
    );
    expect(elements[0]!.slice(5, 9)).toEqual(['01', 'K              ', 'ZZ', 'ABCDEFGHIJKLMNO']);
    expect(elements[0]!.slice(11, 16)).toEqual(['^', '00501', '999999999', '0', 'T']);
    expect(elements.find((e) => e[0] === 'ST')).toEqual(['ST', '997', '0001', '005010']);
    expect(elements.find((e) => e[0] === 'AK1')).toEqual(['AK1', 'OW', '1234', '005010']);
    expect(elements.find((e) => e[0] === 'AK2')).toEqual(['AK2', '940', '000000101', '005010']);
  });

  it.each([
    [['A', 'A'], undefined, [], 'A*2*2*2'],
    [['A', 'E'], undefined, [], 'E*2*2*2'],
    [['R', 'R'], undefined, [], 'R*2*2*0'],
    [['A', 'R'], undefined, [], 'P*2*2*1'],
    [['A'], 2, [], 'P*2*1*1'],
    [['A'], undefined, ['5'], 'E*1*1*1*5'],
    [[], 1, ['3'], 'R*1*0*0*3'],
  ] as const)('AK9 for sets %j (GE01 %s, group codes %j) is %s', (statuses, included, codes, ak9) => {
    const text = render997(
      {
        ...ENVELOPE,
        group: { ...ENVELOPE.group, codes: [...codes], ...(included !== undefined ? { transactionSetsIncluded: included } : {}) },
        transactionSets: statuses.map((status, n) => ({ id: '856', controlNumber: String(n + 1).padStart(4, '0'), status, ...(status === 'R' ? { codes: ['5'] } : {}) })),
      },
      { controlNumber: 1, now: NOW },
    );
    expect(reparse(text).find((e) => e[0] === 'AK9')!.slice(1).join('*')).toBe(ak9);
  });

  it('refuses P as a transaction set status, and separators in envelope ids', () => {
    const p = Ack997InputSchema.safeParse({ ...ENVELOPE, transactionSets: [{ id: '856', controlNumber: '0001', status: 'P' }] });
    expect(p.success).toBe(false);
    expect(p.error?.issues[0]?.message).toMatch(/AK901/);
    expect(Ack997InputSchema.safeParse({ ...ENVELOPE, interchange: { ...ENVELOPE.interchange, senderId: 'AC*ME' }, transactionSets: [] }).success).toBe(false);
    expect(Ack997InputSchema.safeParse({ ...ENVELOPE, interchange: { ...ENVELOPE.interchange, senderId: 'SIXTEEN-CHARS-ID' }, transactionSets: [] }).success).toBe(false);
    expect(() => render997({ ...ENVELOPE, transactionSets: [] }, { controlNumber: 0 })).toThrow(/controlNumber/);
  });

  it('refuses a value holding a delimiter of the interchange it answers, and takes one that holds only delimiters of other interchanges', () => {
    const bang = { element: '*', component: ':', segment: '!' };
    const withSender = (senderId: string, delimiters?: typeof bang) =>
      Ack997InputSchema.safeParse({ ...ENVELOPE, interchange: { ...ENVELOPE.interchange, senderId, ...(delimiters ? { delimiters } : {}) }, transactionSets: [] });
    expect(withSender('ACME~SENDER', bang).success).toBe(true);
    expect(withSender('ACME>SENDER', bang).success).toBe(true);
    expect(withSender('ACME!SENDER', bang).error?.issues[0]).toMatchObject({ path: ['interchange', 'senderId'], message: 'holds "!", a delimiter of this 997 or a line break' });
    expect(withSender('ACME:SENDER', bang).success).toBe(false);
    // Stored before delimiters were recorded: answered in * > ~ as always.
    expect(withSender('ACME~SENDER').success).toBe(false);
    // ISA11 is a repetition separator from 00402 on only: ^ in a 00401 answer is data.
    expect(Ack997InputSchema.safeParse({ ...ENVELOPE, group: { ...ENVELOPE.group, senderCode: 'ACME^SND' }, transactionSets: [] }).success).toBe(true);
    expect(Ack997InputSchema.safeParse({ ...ENVELOPE, interchange: { ...ENVELOPE.interchange, version: '00501' }, group: { ...ENVELOPE.group, senderCode: 'ACME^SND' }, transactionSets: [] }).success).toBe(false);
  });

  it('writes AK4 composite positions with the received component separator and blanks the received delimiters in AK404', () => {
    const text = render997(
      {
        ...ENVELOPE,
        interchange: { ...ENVELOPE.interchange, delimiters: { element: '|', component: '^', segment: "'" } },
        transactionSets: [{ id: '856', controlNumber: '0001', status: 'E', segmentErrors: [{ segmentId: 'TD1', position: 6, code: '8', elementErrors: [{ position: 2, componentPosition: 1, code: '6', badValue: "A|B^C'D*E>F~G" }] }] }],
      },
      { controlNumber: 3, now: NOW },
    );
    expect(text).toContain("\nAK4|2^1||6|A B C D*E>F~G'\n");
  });

  it('cuts AK404 to 99 characters', () => {
    const text = render997(
      { ...ENVELOPE, transactionSets: [{ id: '856', controlNumber: '0001', status: 'E', segmentErrors: [{ segmentId: 'N1', position: 3, code: '8', elementErrors: [{ position: 2, code: '5', badValue: 'x'.repeat(150) }] }] }] },
      { controlNumber: 3, now: NOW },
    );
    expect(reparse(text).find((e) => e[0] === 'AK4')![4]).toHaveLength(99);
  });
});

describe('997 bytes', () => {
  it('in Windows-1252, every character it has a byte for is that byte (its unassigned bytes as the C1 controls the reader makes of them), any other in UTF-8', () => {
    expect([...encode997('ISA*MÜNCHEN…€\u0081\u0085🚚~', 'windows-1252')]).toEqual([
      ...Buffer.from('ISA*M'), 0xdc, ...Buffer.from('NCHEN'), 0x85, 0x80, 0x81, 0xc2, 0x85, ...Buffer.from('🚚', 'utf8'), 0x7e,
    ]);
  });

  it('in UTF-8 by default', () => {
    expect(encode997('MÜNCHEN…')).toEqual(Buffer.from('MÜNCHEN…', 'utf8'));
  });
});
