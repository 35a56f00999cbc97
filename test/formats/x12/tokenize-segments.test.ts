import { describe, expect, it } from 'vitest';
import { SegmentTokenizer, type X12Segment } from '../../../src/formats/x12/tokenize-segments.ts';
import { isa } from './build-x12.ts';

function tokenize(text: string | Uint8Array, chunk = Infinity): { segs: X12Segment[]; failure: unknown } {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  const t = new SegmentTokenizer({ file: 'f.x12', maxSegmentLength: 1000 });
  const segs: X12Segment[] = [];
  const step = Number.isFinite(chunk) ? chunk : Math.max(1, bytes.length);
  for (let i = 0; i < bytes.length; i += step) segs.push(...t.push(bytes.subarray(i, i + step)));
  segs.push(...t.end());
  return { segs, failure: t.failure };
}

const ids = (segs: X12Segment[]): string => segs.map((s) => s.id).join(' ');

describe('tokenize-segments', () => {
  it('reads element separator, component separator and terminator from the ISA', () => {
    const { segs } = tokenize(isa({ el: '|', comp: '^', term: "'" }) + "GS|SH|A|B'IEA|1|000000001'");
    expect(ids(segs)).toBe('ISA GS IEA');
    expect(segs[0]!.delimiters).toMatchObject({ element: '|', component: '^', segment: "'", newlineTerminated: false });
    expect(segs[1]!.elements).toEqual(['GS', 'SH', 'A', 'B']);
  });

  it('gives the same segments whatever the chunk size (1 byte to whole file)', () => {
    const text = '\uFEFF  ' + isa({ term: '\u2026' }) + '\r\n  GS*SH*A*B\u2026\r\n  ST*856*1\u2026\r\nIEA*1*000000001\u2026\r\n';
    const whole = tokenize(text).segs.map((s) => s.elements);
    for (const size of [1, 2, 3, 5, 7, 64]) expect(tokenize(text, size).segs.map((s) => s.elements)).toEqual(whole);
    expect(whole.map((e) => e[0])).toEqual(['ISA', 'GS', 'ST', 'IEA']);
  });

  it('tolerates a BOM, whitespace before the ISA and CR/LF after terminators', () => {
    const { segs } = tokenize('\uFEFF\r\n \t' + isa() + '\r\nGS*SH~\r\n\r\n   IEA*1*1~\r\n');
    expect(ids(segs)).toBe('ISA GS IEA');
  });

  it('reads newline-terminated files (terminator is CR or LF) and keeps the last segment without a final newline', () => {
    const { segs } = tokenize(isa({ term: '\r\n' }).replace(/\r\n$/, '') + '\r\nGS*SH*A\r\nST*940*1\r\nIEA*1*1');
    expect(segs[0]!.delimiters.newlineTerminated).toBe(true);
    expect(ids(segs)).toBe('ISA GS ST IEA');
    expect(segs[3]!.elements).toEqual(['IEA', '1', '1']);
  });

  it('joins lines hard-wrapped at 80 columns, even inside the ISA', () => {
    const flat = isa() + 'GS*SH*A*B~ST*856*0001~BSN*00*123456*20240101*1200~SE*3*0001~GE*1*1~IEA*1*000000001~';
    const wrapped = flat.replace(/(.{80})/g, '$1\n');
    expect(tokenize(wrapped).segs.map((s) => s.elements)).toEqual(tokenize(flat).segs.map((s) => s.elements));
  });

  it('reads each interchange with its own delimiters', () => {
    const text = isa() + 'GS*A~IEA*1*000000001~\n' + isa({ el: '|', term: '!' }) + 'GS|B!IEA|1|000000001!';
    const { segs } = tokenize(text);
    expect(segs.map((s) => s.elements.join(','))).toEqual([expect.stringMatching(/^ISA,/), 'GS,A', 'IEA,1,000000001', expect.stringMatching(/^ISA,/), 'GS,B', 'IEA,1,000000001']);
  });

  it('reads a multi-byte terminator (Ö) split across chunks', () => {
    const { segs } = tokenize(isa({ term: 'Ö' }) + 'GS*SH*AÖIEA*1*1Ö', 1);
    expect(ids(segs)).toBe('ISA GS IEA');
  });

  it('takes ISA11 as repetition separator only from version 00402 on', () => {
    expect(tokenize(isa({ rep: '^', version: '00403' })).segs[0]!.delimiters.repetition).toBe('^');
    expect(tokenize(isa({ rep: 'U', version: '00401' })).segs[0]!.delimiters.repetition).toBeUndefined();
  });

  it('reads a short (unpadded) ISA by counting separators', () => {
    const { segs, failure } = tokenize('ISA*00* *00* *01*054481205 *01*123456789 *070101*1130*U*00200*000000001*0*P*@!GS*SH!IEA*1*1!');
    expect(failure).toBeUndefined();
    expect(ids(segs)).toBe('ISA GS IEA');
    expect(segs[0]!.delimiters.segment).toBe('!');
  });

  it('numbers segments from 1 across the whole file', () => {
    const { segs } = tokenize(isa() + 'GS*A~IEA*1*1~' + isa() + 'GS*B~IEA*1*1~');
    expect(segs.map((s) => s.index)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("reads ASCII's own separators as delimiters: GS (0x1D) between elements, US (0x1F) between components, FS (0x1C) after segments", () => {
    const { segs, failure } = tokenize(isa({ el: '\x1d', comp: '\x1f', term: '\x1c' }) + '\r\nGS\x1dSH\x1dA\x1dB\x1c\r\nTD1\x1dPLT\x1fX\x1d\x1c\x1dEMPTY ID\x1cIEA\x1d1\x1d000000001\x1c');
    expect(failure).toBeUndefined();
    expect(segs[0]!.delimiters).toMatchObject({ element: '\x1d', component: '\x1f', segment: '\x1c', newlineTerminated: false });
    // A segment starting with the separator keeps its empty id: a control character that separates is data.
    expect(segs.slice(1).map((s) => s.elements)).toEqual([['GS', 'SH', 'A', 'B'], ['TD1', 'PLT\x1fX', ''], ['', 'EMPTY ID'], ['IEA', '1', '000000001']]);
  });

  it.each([['BEL', '\x07'], ['TAB', '\t']])('reads %s as element separator', (_name, el) => {
    const { segs, failure } = tokenize(isa({ el }) + `\nGS${el}SH${el}A~\nIEA${el}1${el}000000001~\n`);
    expect(failure).toBeUndefined();
    expect(segs.map((s) => s.elements.slice(0, 2))).toEqual([['ISA', '00'], ['GS', 'SH'], ['IEA', '1']]);
  });

  it.each([['a space', ' '], ['a line feed', '\n'], ['a carriage return', '\r'], ['a letter', 'X']])('still refuses %s as element separator', (_name, el) => {
    expect(tokenize(isa({ el }) + 'GS').failure).toMatchObject({ code: 'X12_BAD_DELIMITERS', details: { ta1: '026' } });
  });

  it('gives each segment the line it starts on, counting line feeds after terminators and inside wrapped segments', () => {
    const text = isa() + '\r\nGS*SH*A~\r\n\r\nST*856*1~BSN*00*12\n34~\nIEA*1*1~';
    expect(tokenize(text).segs.map((s) => [s.id, s.line])).toEqual([['ISA', 1], ['GS', 2], ['ST', 4], ['BSN', 4], ['IEA', 6]]);
    const newlines = isa({ term: '\n' }) + 'GS*SH*A\nST*856*1\n\nIEA*1*1\n';
    expect(tokenize(newlines).segs.map((s) => s.line)).toEqual([1, 2, 3, 5]);
  });

  it('marks the segments holding a byte that is not UTF-8 (read as Windows-1252), and only those, whatever the chunking', () => {
    // ISA08 in Latin-1 (0xDC), a GS in UTF-8 (Ü as C3 9C), a terminator 0x85 after the ST.
    const [head, tail] = isa().split('RECEIVER       ');
    const bytes = Buffer.concat([
      Buffer.from(`${head}ACMEM`, 'utf8'),
      Buffer.from([0xdc]),
      Buffer.from(`NCHEN    ${tail}GS*SH*M\u00dcNCHEN~ST*940*1`, 'utf8'),
      Buffer.from([0x85]),
      Buffer.from('~IEA*1*1~', 'utf8'),
    ]);
    for (const size of [1, 2, 3, 7, Infinity]) {
      expect(tokenize(bytes, size).segs.map((s) => [s.id, s.windows1252])).toEqual([['ISA', true], ['GS', false], ['ST', true], ['IEA', false]]);
    }
  });

  it('fails with X12_SEGMENT_TOO_LONG when no terminator comes', () => {
    const { failure } = tokenize(isa() + 'GS*' + 'A'.repeat(5000));
    expect(failure).toMatchObject({ code: 'X12_SEGMENT_TOO_LONG', place: { segment: 2 } });
  });
});
