import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { IntakeErrorValue } from '../../src/errors/intake-error.ts';
import { FORMAT_OPTION_SCHEMAS, openRecords } from '../../src/formats/read-records.ts';
import { loadMappings } from '../../src/mapping/load-mappings.ts';
import { mapRecords } from '../../src/mapping/map-records.ts';
import { collect } from './source-records.ts';

/**
 * An element error names the segment that holds the element, counted from the start of the file as X12 tools
 * count: not the item's HL, which is where the customer would look and find nothing wrong.
 */
const SAMPLE = readFileSync('samples/bluefin/ASN_250303_01.edi', 'latin1');

async function errorsOf(text: string): Promise<IntakeErrorValue[]> {
  const loaded = await loadMappings(resolve('mappings', 'bluefin'), { formatOptions: FORMAT_OPTION_SCHEMAS });
  if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join('; '));
  const mapping = loaded.mappings[0]!;
  const stream = openRecords(mapping.format, Buffer.from(text, 'latin1'), 'ASN.edi');
  const outputs = await collect(mapRecords(mapping, stream.records, { file: 'ASN.edi', customer: 'bluefin' }));
  return outputs.flatMap((o) => (o.kind === 'document' ? [] : o.errors));
}

/** 1-based number of the first segment starting with `prefix`, counted from the ISA. */
function segmentNumber(text: string, prefix: string): number {
  return text.split('~').findIndex((s) => s.trimStart().startsWith(prefix)) + 1;
}

describe('X12 element errors are placed at the segment holding the element', () => {
  it('an item element (SN102 of the first item) names its SN1 segment, not the item HL', async () => {
    const text = SAMPLE.replace('SN1**40*CA', 'SN1**4X0*CA');
    expect(segmentNumber(text, 'SN1**4X0')).toBe(22);
    const errors = await errorsOf(text);
    expect(errors).toEqual([
      {
        code: 'MAPPING_NOT_A_NUMBER',
        message: expect.stringContaining('"4X0"'),
        place: { file: 'ASN.edi', segment: 22, element: 'I.SN102', field: 'items.quantity' },
      },
    ]);
  });

  it("a value the document format refuses (a negative SN102) names its SN1 segment too, not the item's HL", async () => {
    const text = SAMPLE.replace('SN1**40*CA', 'SN1**-40*CA');
    const errors = await errorsOf(text);
    expect(errors).toEqual([
      {
        code: expect.any(String),
        message: expect.stringContaining('must not be negative'),
        place: { file: 'ASN.edi', segment: 22, element: 'I.SN102', field: 'items.quantity' },
      },
    ]);
  });

  it('an ancestor element (the pack MAN02 of an item) names the MAN segment of the pack', async () => {
    const text = SAMPLE.replace('MAN*GM*00012345670000000019', 'MAN*GM*0001234567000000001X');
    const errors = await errorsOf(text);
    expect(errors.map((e) => e.place)).toEqual([
      { file: 'ASN.edi', segment: segmentNumber(text, 'MAN*GM*0001234567000000001X'), element: 'P.MAN02', field: 'items.lpn' },
      // The second item of that pack inherits the same MAN02: the same segment.
      { file: 'ASN.edi', segment: segmentNumber(text, 'MAN*GM*0001234567000000001X'), element: 'P.MAN02', field: 'items.lpn' },
    ]);
  });
});
