import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFileStory } from '../../src/ledger/file-story.ts';
import { getFile, recordReceivedFile } from '../../src/ledger/files-repo.ts';
import { migrateLedger } from '../../src/ledger/migrations.ts';
import { storableJson } from '../../src/ledger/storable-json.ts';
import { silentLogger } from '../../src/log/logger.ts';
import { createFileMapper } from '../../src/pipeline/map-file.ts';
import { runParseJob } from '../../src/pipeline/parse-stage.ts';
import { STORE_KINDS, createTestDb, type TestDatabase } from '../support/stores.ts';

const JSON_MAPPING = `format: { type: json }
match: { fileName: ["*.json"] }
groupBy: { key: orderId }
document:
  orderNumber: orderId
  shipmentNumber: shipment
items:
  lpn: lpn
  sku: sku
  quantity: qty | number
  quantityUnit: { const: CASE }
`;

describe('storableJson', () => {
  it('keeps a NUL or an unpaired surrogate as the visible text of its escape, in values and keys, and leaves the rest alone', () => {
    expect(JSON.parse(storableJson({ a: 'x\u0000y', ['k\uD800']: ['\uDC00', 'ok \uD83D\uDE00'], n: 1 }))).toEqual({
      a: 'x\\u0000y',
      'k\\ud800': ['\\udc00', 'ok \uD83D\uDE00'],
      n: 1,
    });
    expect(storableJson({ text: 'a literal \\u0000 stays as it is' })).toBe(JSON.stringify({ text: 'a literal \\u0000 stays as it is' }));
  });
});

describe.each(STORE_KINDS)('a JSON feed with a NUL or an unpaired surrogate in a mapped value, on %s', (kind) => {
  let t: TestDatabase;
  let work: string;
  beforeAll(async () => {
    t = await createTestDb(kind);
    await migrateLedger(t.db);
    work = mkdtempSync(join(tmpdir(), 'intake-unstorable-'));
    mkdirSync(join(work, 'mappings', 'feeder'), { recursive: true });
    writeFileSync(join(work, 'mappings', 'feeder', 'customer.yaml'), 'business: kargo\nfacility: sf\ndirection: OUTBOUND\n');
    writeFileSync(join(work, 'mappings', 'feeder', 'feed.yaml'), JSON_MAPPING);
  });
  afterAll(async () => {
    await t?.drop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('refuses those documents with their field, and the file and its other documents go on (the ledger insert failed the whole file)', async () => {
    const content = [
      { orderId: 'GOOD-1', shipment: 'S1', lpn: 'L1', sku: 'A', qty: 1 },
      { orderId: 'BAD-2', shipment: 'S2', lpn: 'L2', sku: 'x\u0000y', qty: 1 },
      { orderId: 'BAD-\uD800', shipment: 'S3', lpn: 'L3', sku: 'B', qty: 1 },
    ]
      .map((record) => JSON.stringify(record))
      .join('\n');
    const spool = join(work, 'feed.json');
    writeFileSync(spool, content);
    const meta = { fileId: `unstorable-${kind}`, customer: 'feeder', channel: 'cli', originalName: 'feed.json', sender: '', sizeBytes: Buffer.byteLength(content), sha256: kind, receivedAt: new Date().toISOString() };
    const file = await recordReceivedFile(t.db, meta, spool, { duplicateWindowHours: 0, queued: true });
    const noop = async () => undefined;
    const mapper = createFileMapper({ mappingsDir: join(work, 'mappings'), logger: silentLogger });
    await runParseJob({ db: t.db, mapper, logger: silentLogger, enqueueSubmits: noop, enqueueFinalize: noop }, { fileId: file.id }, noop, () => Promise.reject(new Error('no earlier file')));

    expect((await getFile(t.db, file.id))?.state).toBe('SUBMITTING');
    const story = await loadFileStory(t.db, file.id);
    const byOrder = new Map(story!.documents.map((document) => [document.orderNumber, document]));
    expect(byOrder.get('GOOD-1')?.state).toBe('QUEUED');
    const bad = story!.documents.filter((document) => document.state === 'INVALID');
    expect(bad).toHaveLength(2);
    expect(bad.map((document) => document.errorMessage).join(' ')).toMatch(/must not contain a NUL character or an unpaired surrogate/);
    expect(byOrder.has('BAD-\\ud800')).toBe(true);
  });
});
