import { parse } from 'csv-parse/sync';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertDocuments } from '../../src/ledger/documents-repo.ts';
import { loadFileStory } from '../../src/ledger/file-story.ts';
import { recordReceivedFile, setFileState } from '../../src/ledger/files-repo.ts';
import { migrateLedger } from '../../src/ledger/migrations.ts';
import { silentLogger } from '../../src/log/logger.ts';
import { resultDir, runFinalizeJob } from '../../src/pipeline/finalize-stage.ts';
import { createFileMapper } from '../../src/pipeline/map-file.ts';
import { runParseJob } from '../../src/pipeline/parse-stage.ts';
import { createTestDb, type TestDatabase } from '../support/stores.ts';
import { orderCsvMapping } from '../support/order-csv-mapping.ts';

/**
 * Where each document came from, as its result files say: the exact lines (or X12 segments) of its records, so
 * every input line is on one result row and a customer can tell which rows made which document.
 */

type SourceRangesJson = { unit: string; ranges: { first: number; last: number }[]; omitted: number };
type ResultJson = { file: { state: string }; documents: { orderNumber: string; source: string | null; sourceRanges: SourceRangesJson | null }[] };

const HEADER = 'order,shipment,lpn,sku,qty,unit\n';
const row = (order: string, n: number) => `${order},S-${order},L${n},SKU${n},1,CASE\n`;

describe('document sources in the result files', () => {
  let t: TestDatabase;
  let work: string;
  let mappingsDir: string;
  let n = 0;
  beforeAll(async () => {
    t = await createTestDb('pglite');
    await migrateLedger(t.db);
    work = mkdtempSync(join(tmpdir(), 'intake-sources-'));
    mappingsDir = join(work, 'mappings');
    mkdirSync(join(mappingsDir, 'shipper'), { recursive: true });
    writeFileSync(join(mappingsDir, 'shipper', 'customer.yaml'), 'business: kargo\nfacility: sf\ndirection: OUTBOUND\n');
    writeFileSync(join(mappingsDir, 'shipper', 'orders.yaml'), orderCsvMapping());
  });
  afterAll(async () => {
    await t?.drop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  async function receive(customer: string, name: string, content: string) {
    const fileId = `sources-${++n}`;
    const spool = join(work, `${fileId}.dat`);
    writeFileSync(spool, content);
    const meta = { fileId, customer, channel: 'cli', originalName: name, sender: '', sizeBytes: Buffer.byteLength(content), sha256: fileId, receivedAt: new Date().toISOString() };
    return recordReceivedFile(t.db, meta, spool, { duplicateWindowHours: 0, queued: true });
  }

  async function finalize(fileId: string, name: string): Promise<{ csv: string[][]; json: ResultJson }> {
    const resultsDir = join(work, 'results');
    await runFinalizeJob({ db: t.db, resultsDir, enqueueDeliver: async () => undefined, logger: silentLogger }, { fileId });
    const dir = resultDir(resultsDir, fileId);
    return {
      csv: parse(readFileSync(join(dir, `${name}.result.csv`), 'utf8'), { bom: true }) as string[][],
      json: JSON.parse(readFileSync(join(dir, `${name}.result.json`), 'utf8')) as ResultJson,
    };
  }

  /** A file through the real mapping, parse and finalize stages; the engine's answers are not under test: all accepted. */
  async function process(customer: string, name: string, content: string, mappings = mappingsDir) {
    const file = await receive(customer, name, content);
    const mapper = createFileMapper({ mappingsDir: mappings, logger: silentLogger });
    const noop = async () => undefined;
    await runParseJob({ db: t.db, mapper, logger: silentLogger, enqueueSubmits: noop, enqueueFinalize: noop }, { fileId: file.id }, noop, () => Promise.reject(new Error('no earlier file waits here')));
    await t.db.query(`UPDATE gateway.documents SET state = 'ACCEPTED', response = '{}'::jsonb WHERE file_id = $1 AND state IN ('WAITING', 'QUEUED')`, [file.id]);
    return { fileId: file.id, ...(await finalize(file.id, name)) };
  }

  it('an order whose rows are interleaved with another order\'s gets exactly its own lines, in the result CSV and JSON', async () => {
    // Lines 2-4 and 6 are order A, lines 5 and 7 order B.
    const content = HEADER + row('A', 1) + row('A', 2) + row('A', 3) + row('B', 4) + row('A', 5) + row('B', 6);
    const result = await process('shipper', 'interleaved.csv', content);
    expect(result.csv.slice(1).map((cells) => [cells[1], cells[2]])).toEqual([
      ['lines 2-4, 6', 'A'],
      ['lines 5, 7', 'B'],
    ]);
    expect(result.json.documents.map((d) => [d.orderNumber, d.source, d.sourceRanges])).toEqual([
      ['A', 'lines 2-4, 6', { unit: 'line', ranges: [{ first: 2, last: 4 }, { first: 6, last: 6 }], omitted: 0 }],
      ['B', 'lines 5, 7', { unit: 'line', ranges: [{ first: 5, last: 5 }, { first: 7, last: 7 }], omitted: 0 }],
    ]);
    // Every input line is on exactly one result row.
    const named = result.json.documents.flatMap((d) => d.sourceRanges!.ranges.flatMap(({ first, last }) => Array.from({ length: last - first + 1 }, (_, i) => first + i)));
    expect(named.sort((a, b) => a - b)).toEqual([2, 3, 4, 5, 6, 7]);
    const story = await loadFileStory(t.db, result.fileId);
    expect(story?.documents.map((d) => d.sources)).toEqual([
      { unit: 'line', ranges: [[2, 4], [6, 6]] },
      { unit: 'line', ranges: [[5, 5], [7, 7]] },
    ]);
  });

  it('a document on adjacent lines keeps the simple "lines 2-4" form, and one line is "line 5"', async () => {
    const result = await process('shipper', 'adjacent.csv', HEADER + row('C', 1) + row('C', 2) + row('C', 3) + row('D', 4));
    expect(result.csv.slice(1).map((cells) => cells[1])).toEqual(['lines 2-4', 'line 5']);
    expect(result.json.documents.map((d) => d.sourceRanges)).toEqual([
      { unit: 'line', ranges: [{ first: 2, last: 4 }], omitted: 0 },
      { unit: 'line', ranges: [{ first: 5, last: 5 }], omitted: 0 },
    ]);
  });

  it('an X12 856 names the exact segments of each document\'s items: two ranges when a pack of the order lies between them', async () => {
    const result = await process('bluefin', 'ASN_250303_01.edi', readFileSync('samples/bluefin/ASN_250303_01.edi', 'utf8'), resolve('mappings'));
    expect(result.json.file.state).toBe('COMPLETED');
    expect(result.json.documents.map((d) => [d.orderNumber, d.source])).toEqual([
      ['PO-55012', 'segments 20-31, 34-39'],
      ['PO-55013', 'segments 44-49'],
    ]);
    expect(result.csv.slice(1).map((cells) => cells[1])).toEqual(['segments 20-31, 34-39', 'segments 44-49']);
  });

  it('a document built from thousands of scattered lines lists its first 20 ranges and counts the rest', async () => {
    const rows = Array.from({ length: 2000 }, (_, i) => row(i % 2 === 0 ? 'EVEN' : 'ODD', i)).join('');
    const result = await process('shipper', 'scattered.csv', HEADER + rows);
    const even = Array.from({ length: 20 }, (_, i) => 2 + 2 * i);
    expect(result.csv[1]![1]).toBe(`lines ${even.join(', ')} … and 980 more lines`);
    expect(result.json.documents[0]?.source).toBe(`lines ${even.join(', ')} … and 980 more lines`);
    expect(result.json.documents[0]?.sourceRanges).toEqual({ unit: 'line', ranges: even.map((line) => ({ first: line, last: line })), omitted: 980 });
    expect(result.json.documents[1]?.source).toMatch(/^lines 3, 5, 7, .*, 41 … and 980 more lines$/);
  });

  it('a document whose ledger row holds one first-last range (written before sources were exact) still finalizes with it', async () => {
    const file = await receive('shipper', 'before-upgrade.csv', HEADER + row('OLD', 1));
    await insertDocuments(t.db, file.id, file.seq, [
      { idx: 0, orderKey: 'k-old', orderNumber: 'OLD-1', payload: {}, sources: { unit: 'line', first: 2, last: 7 }, mappingHash: 'h', state: 'WAITING' },
    ]);
    await setFileState(t.db, file.id, 'SUBMITTING', { mappingName: 'orders', mappingHash: 'h', documentCount: 1 });
    await t.db.query(`UPDATE gateway.documents SET state = 'ACCEPTED', response = '{}'::jsonb WHERE file_id = $1`, [file.id]);
    const result = await finalize(file.id, 'before-upgrade.csv');
    expect(result.json.file.state).toBe('COMPLETED');
    expect(result.csv[1]?.slice(1, 4)).toEqual(['lines 2-7', 'OLD-1', 'ACCEPTED']);
    expect(result.json.documents[0]).toMatchObject({ source: 'lines 2-7', sourceRanges: { unit: 'line', ranges: [{ first: 2, last: 7 }], omitted: 0 } });
    expect((await loadFileStory(t.db, file.id))?.documents[0]?.sources).toEqual({ unit: 'line', ranges: [[2, 7]] });
  });
});
