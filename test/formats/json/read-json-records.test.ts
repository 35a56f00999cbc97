import { afterEach, describe, expect, it, vi } from 'vitest';
import type { IntakeError } from '../../../src/errors/intake-error.ts';
import { readJsonRecords } from '../../../src/formats/json/read-json-records.ts';
import type { SourceRecord } from '../../../src/formats/record.ts';
import { intakeErrorOf } from '../../support/intake-error-of.ts';

async function records(text: string | Uint8Array, options = {}): Promise<SourceRecord[]> {
  const all: SourceRecord[] = [];
  for await (const record of readJsonRecords(typeof text === 'string' ? Buffer.from(text) : text, options, 'feed.json')) all.push(record);
  return all;
}

function errorOf(text: string | Uint8Array): Promise<IntakeError> {
  return intakeErrorOf(records(text));
}

describe('JSON records', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('an object, an array of objects and NDJSON are records with nested values by path', async () => {
    expect((await records('{"order":"A","lines":[{"sku":"S1"}],"qty":2.5}'))[0]?.fields).toEqual({ order: 'A', 'lines[0].sku': 'S1', qty: '2.5' });
    expect((await records('{"order":"A"}\n\n{"order":"B"}\n')).map((record) => [record.fields.order, record.provenance.line])).toEqual([
      ['A', 1],
      ['B', 3],
    ]);
    expect((await records('{"wrap":{"orders":[{"order":"A"},{"order":"B"}]}}', { recordsAt: 'wrap.orders' })).map((record) => record.fields.order)).toEqual(['A', 'B']);
  });

  it('a number with more digits than a double keeps is its source text, unaltered', async () => {
    const [record] = await records('{"lpn":106141411234567897,"big":-1.0614141123456789712e+40,"qty":0.1,"n":12,"e":1e21,"s":"106141411234567897 \\" 1234567890123456789"}');
    expect(record?.fields).toEqual({ lpn: '106141411234567897', big: '-1.0614141123456789712e+40', qty: '0.1', n: '12', e: '1e+21', s: '106141411234567897 " 1234567890123456789' });
  });

  it('nesting deeper than 100 levels is JSON_TOO_DEEP at its line, not a stack overflow', async () => {
    const error = await errorOf(`{"order":"J",\n"x":${'['.repeat(20_000)}${']'.repeat(20_000)}}`);
    expect(error.code).toBe('JSON_TOO_DEEP');
    expect(error.value.place).toEqual({ file: 'feed.json', line: 2 });
    expect((await records(`{"x":${'['.repeat(50)}1${']'.repeat(50)}}`))[0]?.fields).toEqual({ [`x${'[0]'.repeat(50)}`]: '1' });
  });

  it('bytes that are not UTF-8 are JSON_NOT_UTF8 at their line, never U+FFFD', async () => {
    const bytes = Buffer.concat([Buffer.from('{"sku":"\uFFFD"}\n{"lpn":"L'), Buffer.from([0xe9]), Buffer.from('1"}\n')]);
    const error = await errorOf(bytes);
    expect(error.code).toBe('JSON_NOT_UTF8');
    expect(error.value.place).toEqual({ file: 'feed.json', line: 2 });
  });

  it('an error in a pretty-printed document is placed at its line, not read as NDJSON line 1', async () => {
    const trailingComma = await errorOf('{\n  "order": "A",\n  "qty": 1,\n}\n');
    expect(trailingComma.code).toBe('JSON_MALFORMED');
    expect(trailingComma.value.place.line).toBe(4);
    const truncated = await errorOf('[\n  {"order": "A"},\n  {"order": "B"\n');
    expect(truncated.code).toBe('JSON_MALFORMED');
    expect(truncated.value.place.line).toBe(3);
    const ndjson = await errorOf('{"order":"A"}\n{"order":\n');
    expect(ndjson.value.place.line).toBe(2);
  });

  it('records of an array are parsed one at a time, never the whole feed at once (47 MB of {} held 1.7 GB)', async () => {
    const parse = vi.spyOn(JSON, 'parse');
    const feed = `[${Array.from({ length: 2000 }, (_, i) => `{"order":"O${i}","lines":[{"sku":"S${i}"}]}`).join(',\n')}]`;
    const wrapped = `{"meta":{"count":2000},"orders":${feed}}`;
    expect(await records(feed)).toHaveLength(2000);
    expect(await records(wrapped, { recordsAt: 'orders' })).toHaveLength(2000);
    const longest = Math.max(...parse.mock.calls.map(([text]) => String(text).length));
    expect(longest).toBeLessThan(100);
  });

  it('a syntax error says what is wrong and where, and refuses the file before any record is read', async () => {
    const cases: [string, number, RegExp][] = [
      ['[\n  {"order": "A"},\n  {"order": "B"},\n]', 4, /a value is expected .*found "\]"/],
      ['[\n  {"order": "A"}\n  {"order": "B"}\n]', 3, /a comma is expected between two values/],
      ["[{'order': 'A'}]", 1, /text must be in double quotes/],
      ['[{"order": "A"}, // the rest\n]', 1, /JSON has no comments/],
      ['[{"order": "A\tB"}]', 1, /control character .* must be escaped/],
      ['[{"order": NaN}]', 1, /not a JSON value/],
    ];
    for (const [text, line, message] of cases) {
      const error = await errorOf(text);
      expect(error.code, text).toBe('JSON_MALFORMED');
      expect(error.value.place.line, text).toBe(line);
      expect(error.value.message, text).toMatch(message);
    }
  });

  it('recordsAt takes the array at that path (the last one, when the key repeats), and refuses anything else there', async () => {
    const fields = async (text: string) => (await records(text, { recordsAt: 'data.orders' })).map((record) => record.fields.o);
    expect(await fields('{"data":{"orders":[{"o":"1"}],"x":[{"o":"no"}]}}')).toEqual(['1']);
    expect(await fields('{"data":{"orders":[{"o":"1"}],"orders":[{"o":"2"},{"o":"3"}]}}')).toEqual(['2', '3']);
    expect(await fields('{"data":{"orders":[{"orders":[{"o":"nested"}]}]}}')).toEqual([undefined]);
    expect((await intakeErrorOf(records('{"data":{"orders":{"o":"1"}}}', { recordsAt: 'data.orders' }))).code).toBe('JSON_NO_RECORDS');
  });

  it('an NDJSON line nested deeper than 100 levels is JSON_TOO_DEEP at its line', async () => {
    const error = await errorOf(`{"order":"A"}\n{"x":${'['.repeat(150)}${']'.repeat(150)}}\n`);
    expect(error.code).toBe('JSON_TOO_DEEP');
    expect(error.value.place.line).toBe(2);
  });

  it('records of a top-level array carry the line they start on', async () => {
    const feed = '[\n  {"order": "A"},\n\n  {\n    "order": "B"\n  }, 7\n]';
    expect((await records('[\n  {"order": "A"},\n\n  {\n    "order": "B"\n  }\n]')).map((record) => record.provenance.line)).toEqual([2, 4]);
    const error = await errorOf(feed);
    expect(error.code).toBe('JSON_NOT_AN_OBJECT');
    expect(error.value.place.line).toBe(6);
  });
});
