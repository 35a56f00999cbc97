import { describe, expect, it } from 'vitest';
import { readJsonRecords } from '../../../src/formats/json/read-json-records.ts';

async function all(text: string): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const record of readJsonRecords(Buffer.from(text), {}, 'feed.json')) out.push(record);
  return out;
}

describe('hostile JSON', () => {
  it('reads a record with a 30 MB string value (the string pattern overflowed the regexp stack: uncaught RangeError)', async () => {
    const big = 'x'.repeat(30 << 20);
    const records = await all(`{"a":"${big}","b":"q\\"uote","n":12345678901234567890}`);
    expect(records).toEqual([{ fields: { a: big, b: 'q"uote', n: '12345678901234567890' }, provenance: { file: 'feed.json', line: 1 } }]);
  });
});
