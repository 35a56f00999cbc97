import { describe, expect, it } from 'vitest';
import { Parser } from 'csv-parse';
import { readCsv, readCsvSync } from '../../../src/formats/csv/index.ts';

async function* generatedFile(rows: number, pulled: { chunks: number }): AsyncGenerator<Uint8Array> {
  yield Buffer.from('order,sku,qty,note\n');
  const perChunk = 1000;
  for (let start = 0; start < rows; start += perChunk) {
    pulled.chunks++;
    let text = '';
    for (let i = start; i < Math.min(rows, start + perChunk); i++) text += `O${i},SKU-${i % 97},${i % 13},"note, ""${i}"""\n`;
    yield Buffer.from(text);
  }
}

describe('streaming', () => {
  it('yields records while the input is still being read, not after reading it all', async () => {
    const pulled = { chunks: 0 };
    let chunksAtFirstRecord = -1;
    let count = 0;
    for await (const record of readCsv(generatedFile(200_000, pulled), {}, 'big.csv')) {
      if (count === 0) chunksAtFirstRecord = pulled.chunks;
      count++;
      if (count === 200_000) expect(record.provenance.line).toBe(200_001);
    }
    expect(count).toBe(200_000);
    // The first 64 KB are held for encoding and delimiter detection: a few chunks, not 200.
    expect(chunksAtFirstRecord).toBeLessThan(10);
  });

  it('gives the same records from an async iterable of odd-sized chunks as from one buffer', async () => {
    const text = 'sku;name\r\nA;"Crème\r\nbrûlée"\r\n\r\nB;"日本"\r\nTOTAL;2\r\n';
    const bytes = Buffer.from(text);
    async function* chunks() {
      for (let at = 0; at < bytes.length; at += 3) yield bytes.subarray(at, at + 3);
    }
    const options = { skipWhen: { matches: '^TOTAL' } };
    const streamed = [];
    for await (const record of readCsv(chunks(), options, 'f.csv')) streamed.push(record);
    expect(streamed).toEqual(readCsvSync(bytes, options, 'f.csv'));
    expect(streamed).toHaveLength(2);
  });

  it('stops reading the input when the consumer stops', async () => {
    const pulled = { chunks: 0 };
    for await (const record of readCsv(generatedFile(1_000_000, pulled), {}, 'big.csv')) {
      if (record.provenance.line === 10) break;
    }
    expect(pulled.chunks).toBeLessThan(10);
  });

  it('csv-parse still exposes its stream-free core as Parser#api (csv-reader.ts depends on it)', () => {
    const api = (new Parser({}) as unknown as { api: { parse: unknown; info: { bytes: number } } }).api;
    expect(typeof api.parse).toBe('function');
    expect(api.info.bytes).toBe(0);
  });
});
