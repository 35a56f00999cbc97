import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DocumentSchema } from '../../src/documents/document.ts';
import { IntakeError } from '../../src/errors/intake-error.ts';
import { FORMAT_OPTION_SCHEMAS, openRecords } from '../../src/formats/read-records.ts';
import { loadMappings } from '../../src/mapping/load-mappings.ts';
import { mapRecords, type MappingOutput } from '../../src/mapping/map-records.ts';

/**
 * Real files nobody here wrote, through the demo customers' X12 mappings (the closest thing to a generic 856/940
 * mapping): every file ends as documents that satisfy the engine's schema, rejected documents with coded errors,
 * or a coded refusal of the whole file. None crashes or hangs.
 */
const CORPUS = resolve('..', 'shared', 'corpus');
const CASES: [folder: string, customer: string][] = [
  ['x12-856', 'bluefin'],
  ['x12-940', 'cobalt'],
];

describe.each(CASES)('corpus %s through the %s mapping', (folder, customer) => {
  const files = readdirSync(join(CORPUS, folder)).sort();

  it.each(files)('%s: documents, rejected documents or a coded refusal', async (name) => {
    const loaded = await loadMappings(resolve('mappings', customer), { formatOptions: FORMAT_OPTION_SCHEMAS });
    if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join('; '));
    const mapping = loaded.mappings[0]!;
    const stream = openRecords(mapping.format, readFileSync(join(CORPUS, folder, name)), name);
    const outputs: MappingOutput[] = [];
    try {
      for await (const output of mapRecords(mapping, stream.records, { file: name, customer })) outputs.push(output);
    } catch (error) {
      expect(error).toBeInstanceOf(IntakeError);
      expect((error as IntakeError).code).toMatch(/^[A-Z0-9_]+$/);
      return;
    }
    for (const output of outputs) {
      if (output.kind === 'document') expect(DocumentSchema.safeParse(output.document).success).toBe(true);
      else for (const error of output.errors) expect(error.code).toMatch(/^[A-Z0-9_]+$/);
    }
    // Every set, group and interchange of the file was answered one way or the other (the input of its 997).
    expect(stream.acknowledgements.length + stream.rejections.length).toBeGreaterThan(0);
  });
});
