import { describe, expect, it } from 'vitest';
import { sniffFormat } from '../../src/pipeline/sniff-format.ts';

const sniff = (text: string) => sniffFormat(Buffer.from(text));

describe('sniffFormat', () => {
  it('takes JSON documents, arrays and NDJSON for JSON, after a BOM and blank space too', () => {
    for (const text of ['{"order": "O1"}', '[{"order": "O1"}]', '[\n  {\n "order": 1 }]', '\uFEFF {}', '[]', '[1, 2]', '[ null ]', '[["a"]]', '{"a":1}\n{"a":2}\n']) {
      expect(sniff(text), text).toEqual({ format: 'json' });
    }
  });

  it('does not take a CSV whose header starts with a bracket or a brace for JSON', () => {
    for (const text of ['[Order No],[Qty]\nO1,2\n', '[Order No];Menge\n', '{Order},Qty\nO1,2\n']) {
      expect(sniff(text), text).toEqual({});
    }
  });
});
