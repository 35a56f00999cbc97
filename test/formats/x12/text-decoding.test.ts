import { describe, expect, it } from 'vitest';
import { Utf8OrWindows1252Decoder } from '../../../src/formats/text-encoding.ts';
import { events, eventsChunked, interchange, records } from './build-x12.ts';

/** A 940 whose ship-to name is given as raw bytes. */
function file940(name: number[]): Uint8Array {
  const [before, after] = interchange([{ id: '940', body: ['W05*N*ORD1*PO1', 'N1*ST*@NAME@', 'LX*1', 'W01*5*EA**VN*SKU1'] }]).split('@NAME@');
  return Buffer.concat([Buffer.from(before!, 'utf8'), Buffer.from(name), Buffer.from(after!, 'utf8')]);
}
const shipTo = (bytes: Uint8Array) => records(events(bytes)).map((r) => r.fields['N1[ST].N102']);

describe('X12 text decoding: UTF-8, and bytes that are not UTF-8 as Windows-1252, never replaced', () => {
  it('a Latin-1/Windows-1252 byte (0xDC) in a name reads as Ü, not U+FFFD', () => {
    expect(shipTo(file940([0x4d, 0xdc, 0x4c, 0x4c, 0x45, 0x52]))).toEqual(['MÜLLER']);
  });

  it('UTF-8 and Windows-1252 bytes in the same file each read as what they are', () => {
    // "Ö" in UTF-8 (C3 96), then 0x80 (€ in Windows-1252), a lone C3 before ASCII, and an overlong E0 80 80.
    const name = [0xc3, 0x96, 0x20, 0x80, 0x20, 0xc3, 0x41, 0x20, 0xe0, 0x80, 0x80];
    expect(shipTo(file940(name))).toEqual(['Ö € ÃA à\u20ac\u20ac']);
  });

  it('fed 1 and 7 bytes at a time, multi-byte UTF-8 split between chunks still decodes as UTF-8', async () => {
    const bytes = file940([...Buffer.from('Ø🚚 Zürich ', 'utf8'), 0xdc, 0xe9]);
    const whole = events(bytes);
    expect(records(whole)[0]!.fields['N1[ST].N102']).toBe('Ø🚚 Zürich Üé');
    expect(await eventsChunked(bytes, 1)).toEqual(whole);
    expect(await eventsChunked(bytes, 7)).toEqual(whole);
  });

  it('every split of a mixed byte string decodes as the whole does', () => {
    const bytes = Buffer.from([0x41, 0xf0, 0x9f, 0x9a, 0x9a, 0xe2, 0x82, 0xac, 0xc3, 0xdc, 0xf0, 0x9f, 0x41, 0xe2, 0x82]);
    const whole = new Utf8OrWindows1252Decoder().decode(bytes, true);
    expect(whole).toBe('A🚚€ÃÜð\u0178Aâ\u201a');
    for (let a = 0; a <= bytes.length; a++) {
      for (let b = a; b <= bytes.length; b++) {
        const d = new Utf8OrWindows1252Decoder();
        const text = d.decode(bytes.subarray(0, a), false) + d.decode(bytes.subarray(a, b), false) + d.decode(bytes.subarray(b), true);
        expect(text, `split at ${a}/${b}`).toBe(whole);
      }
    }
  });
});
