import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activateHeads, finishDocument, insertDocuments, type NewDocumentRow } from '../../src/ledger/documents-repo.ts';
import { recordReceivedFile, setFileState, type FileRow } from '../../src/ledger/files-repo.ts';
import { migrateLedger } from '../../src/ledger/migrations.ts';
import { orderKeyOf } from '../../src/documents/order-key.ts';
import { afterDocumentFinished } from '../../src/pipeline/submit-stage.ts';
import { STORE_KINDS, createTestDb, type TestDatabase } from '../support/stores.ts';

describe.each(STORE_KINDS)('order of application on %s', (kind) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDb(kind);
    await migrateLedger(t.db);
  });
  afterAll(async () => t?.drop());

  let n = 0;
  /** A file done parsing: its documents may go out (activateHeads frees only those). */
  async function file(): Promise<FileRow> {
    n++;
    const row = await recordReceivedFile(
      t.db,
      { fileId: `f${n}`, customer: 'c', channel: 'folder', originalName: 'x', sender: '', sizeBytes: 1, sha256: `h${n}`, receivedAt: new Date().toISOString() },
      '/dev/null',
      { duplicateWindowHours: 0 },
    );
    await setFileState(t.db, row.id, 'SUBMITTING');
    return row;
  }
  const doc = (idx: number, orderNumber: string): NewDocumentRow => ({
    idx,
    orderKey: orderKeyOf({ business: 'b', facility: 'f', direction: 'OUTBOUND', orderNumber }),
    orderNumber,
    payload: {},
    sources: {},
    mappingHash: null,
    state: 'WAITING',
  });
  const key = (orderNumber: string) => orderKeyOf({ business: 'b', facility: 'f', direction: 'OUTBOUND', orderNumber });

  it('frees one document per order at a time: by file arrival, then line order, and different orders in parallel', async () => {
    const first = await file();
    const second = await file();
    // The later file is mapped first: its document must still wait for the earlier file's.
    await insertDocuments(t.db, second.id, second.seq, [doc(0, 'A')]);
    await insertDocuments(t.db, first.id, first.seq, [doc(0, 'A'), doc(1, 'B'), doc(2, 'A')]);
    const keys = [key('A'), key('B')];
    expect(await activateHeads(t.db, keys)).toEqual(
      expect.arrayContaining([
        { fileId: first.id, idx: 0 },
        { fileId: first.id, idx: 1 },
      ]),
    );
    expect(await activateHeads(t.db, keys)).toEqual([]);

    await finishDocument(t.db, first.id, 0, { state: 'REJECTED', engineStatus: 422 });
    expect(await activateHeads(t.db, keys)).toEqual([{ fileId: first.id, idx: 2 }]);
    await finishDocument(t.db, first.id, 2, { state: 'ACCEPTED', engineStatus: 201 });
    expect(await activateHeads(t.db, keys)).toEqual([{ fileId: second.id, idx: 0 }]);
  });

  it('records an outcome once: a late second answer for the same document changes nothing', async () => {
    const f = await file();
    await insertDocuments(t.db, f.id, f.seq, [doc(0, 'Z')]);
    await activateHeads(t.db, [key('Z')]);
    expect(await finishDocument(t.db, f.id, 0, { state: 'ACCEPTED', engineStatus: 201 })).toBe(true);
    expect(await finishDocument(t.db, f.id, 0, { state: 'FAILED' })).toBe(false);
  });

  it("a re-run of a finished document's job queues the order's next document again, even one already QUEUED (its first enqueue was lost with Redis)", async () => {
    const f = await file();
    await insertDocuments(t.db, f.id, f.seq, [doc(0, 'RERUN'), doc(1, 'RERUN')]);
    await activateHeads(t.db, [key('RERUN')]);
    // The first run: document 0 accepted, document 1 freed (QUEUED) ... and its submit job never reached Redis.
    const queued: unknown[] = [];
    const deps = { db: t.db, enqueueSubmits: async (jobs: unknown[]) => void queued.push(...jobs), enqueueFinalize: async () => undefined };
    await afterDocumentFinished(deps, f.id, key('RERUN'), { idx: 0, outcome: { state: 'ACCEPTED', engineStatus: 201, response: {} } });
    expect(queued).toEqual([{ fileId: f.id, idx: 1 }]);
    // The job's re-run, with no outcome to record: document 1 is queued again.
    queued.length = 0;
    await afterDocumentFinished(deps, f.id, key('RERUN'));
    expect(queued).toEqual([{ fileId: f.id, idx: 1 }]);
  });
});
