import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IntakeError } from '../../src/errors/intake-error.ts';
import { getDocument, insertDocuments, listDocuments } from '../../src/ledger/documents-repo.ts';
import { getFile, recordReceivedFile, setFileState, type FileRow } from '../../src/ledger/files-repo.ts';
import { migrateLedger } from '../../src/ledger/migrations.ts';
import { silentLogger } from '../../src/log/logger.ts';
import { refuseFile, runParseJob, type FileMapper, type MappedOutput } from '../../src/pipeline/parse-stage.ts';
import { recoverPipeline } from '../../src/pipeline/recover-pipeline.ts';
import { afterDocumentFinished } from '../../src/pipeline/submit-stage.ts';
import { orderKeyOf } from '../../src/documents/order-key.ts';
import { STORE_KINDS, createTestDb, type TestDatabase } from '../support/stores.ts';
import { waitFor } from '../support/wait-for.ts';

/**
 * The parse stage's promise: nothing of a file is submitted before the whole file is mapped, so a file refused
 * part-way (onError: rejectFile, an X12 envelope refused at its end) never half-applies. Documents of other files
 * finishing meanwhile must not send out the documents of a file still being parsed.
 */

const order = (n: string) => ({ business: 'kargo', facility: 'sf', direction: 'OUTBOUND', orderNumber: n, items: [] });

/** A file's mapping, played by the test: `documents` come out, then the mapping waits for `release`, then `end`. */
function scriptedMapper() {
  const scripts = new Map<string, { documents: Record<string, unknown>[]; pauseAfter?: number; end?: IntakeError }>();
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => (release = resolve));
  const mapper: FileMapper = {
    async open(file: FileRow) {
      const script = scripts.get(file.id)!;
      async function* outputs(): AsyncIterable<MappedOutput> {
        for (const [index, document] of script.documents.entries()) {
          if (index === script.pauseAfter) await released;
          yield { kind: 'document', index, document, sources: { unit: 'line', ranges: [[index + 2, index + 2]] }, mappingHash: 'h' };
        }
        if (script.end) throw script.end;
      }
      return { mappingName: 'orders', mappingHash: 'h', outputs: outputs() };
    },
  };
  return { scripts, mapper, release: () => release() };
}

describe.each(STORE_KINDS)('parse stage on %s: a file being parsed is not sent part-way', (kind) => {
  let t: TestDatabase;
  let n = 0;
  beforeAll(async () => {
    t = await createTestDb(kind);
    await migrateLedger(t.db);
  });
  afterAll(async () => {
    await t?.drop();
  });

  async function receive(customer: string): Promise<FileRow> {
    const id = `f${kind}-${++n}`;
    return recordReceivedFile(
      t.db,
      { fileId: id, customer, channel: 'cli', originalName: `${id}.csv`, sender: '', sizeBytes: 10, sha256: id, receivedAt: new Date().toISOString() },
      `/nowhere/${id}.dat`,
      { duplicateWindowHours: 0, queued: true },
    );
  }

  function deps(mapper: FileMapper) {
    const submitted: string[] = [];
    const finalized: string[] = [];
    return {
      submitted,
      finalized,
      deps: {
        db: t.db,
        mapper,
        logger: silentLogger,
        enqueueSubmits: async (jobs: { fileId: string; idx: number }[]) => void submitted.push(...jobs.map((j) => `${j.fileId}/${j.idx}`)),
        enqueueFinalize: async (job: { fileId: string }) => void finalized.push(job.fileId),
      },
    };
  }

  it('an earlier file finishing its document for the same order does not send a document of a file still being parsed, which is then refused', async () => {
    const script = scriptedMapper();
    const run = deps(script.mapper);
    const a = await receive('first');
    const b = await receive('second');
    const c = await receive('third');
    const k = order('SAME-1');
    // B: the order's document first, then 1,000 more (so a batch reaches the ledger), then the mapping refuses the file.
    script.scripts.set(a.id, { documents: [k] });
    script.scripts.set(b.id, {
      documents: [k, ...Array.from({ length: 1000 }, (_, i) => order(`B-${i}`))],
      pauseAfter: 1000,
      end: IntakeError.of('MAPPING_REJECTED_FILE', 'line 1003: the mapping refuses the whole file', { file: 'b.csv', line: 1003 }),
    });
    script.scripts.set(c.id, { documents: [k] });

    await runParseJob(run.deps, { fileId: a.id }, async () => undefined, async () => { throw new Error('not deferred'); });
    expect(run.submitted).toEqual([`${a.id}/0`]);
    const parsingB = runParseJob(run.deps, { fileId: b.id }, async () => undefined, async () => { throw new Error('not deferred'); });
    await waitFor("B's first documents in the ledger", async () => ((await getDocument(t.db, b.id, 0)) ? true : undefined));
    // C (another customer, same order) arrived after B: its document waits behind B's.
    await runParseJob(run.deps, { fileId: c.id }, async () => undefined, async () => { throw new Error('not deferred'); });

    // A's document for the order is answered while B is still being mapped.
    await afterDocumentFinished(run.deps, a.id, orderKeyOf(k), { idx: 0, outcome: { state: 'ACCEPTED', engineStatus: 200, response: {} } });
    expect(run.submitted).not.toContain(`${b.id}/0`);
    expect((await getDocument(t.db, b.id, 0))?.state).toBe('WAITING');

    script.release();
    await parsingB;
    expect((await getFile(t.db, b.id))?.state).toBe('FINALIZING');
    expect(run.submitted).not.toContain(`${b.id}/0`);
    // B refused applied nothing, and C's document for the order is on its way, not waiting for B for ever.
    expect(run.submitted).toContain(`${c.id}/0`);
    expect((await getDocument(t.db, c.id, 0))?.state).toBe('QUEUED');
  }, 60_000);

  it("a file that finishes parsing sends its document for the order once the earlier file's is answered", async () => {
    const script = scriptedMapper();
    const run = deps(script.mapper);
    const a = await receive('early');
    const b = await receive('late');
    const k = order('SAME-2');
    script.scripts.set(a.id, { documents: [k] });
    script.scripts.set(b.id, { documents: [k, ...Array.from({ length: 1000 }, (_, i) => order(`B2-${i}`))], pauseAfter: 1000 });

    await runParseJob(run.deps, { fileId: a.id }, async () => undefined, async () => { throw new Error('not deferred'); });
    const parsingB = runParseJob(run.deps, { fileId: b.id }, async () => undefined, async () => { throw new Error('not deferred'); });
    await waitFor("B's first documents in the ledger", async () => ((await getDocument(t.db, b.id, 0)) ? true : undefined));
    await afterDocumentFinished(run.deps, a.id, orderKeyOf(k), { idx: 0, outcome: { state: 'ACCEPTED', engineStatus: 200, response: {} } });
    expect(run.submitted).not.toContain(`${b.id}/0`);

    script.release();
    await parsingB;
    expect((await getFile(t.db, b.id))?.state).toBe('SUBMITTING');
    expect(run.submitted.filter((s) => s === `${b.id}/0`)).toHaveLength(1);
  }, 60_000);

  it('a parse that gives up on a file already submitting keeps its documents: some were applied', async () => {
    const run = deps(scriptedMapper().mapper);
    const f = await receive('gaveup');
    const k = order('GAVE-UP-1');
    await insertDocuments(t.db, f.id, f.seq, [
      { idx: 0, orderKey: orderKeyOf(k), orderNumber: 'GAVE-UP-1', payload: k, sources: {}, mappingHash: 'h', state: 'WAITING' },
      { idx: 1, orderKey: orderKeyOf(order('GAVE-UP-2')), orderNumber: 'GAVE-UP-2', payload: order('GAVE-UP-2'), sources: {}, mappingHash: 'h', state: 'WAITING' },
    ]);
    await setFileState(t.db, f.id, 'SUBMITTING', { documentCount: 2 });
    await t.db.query(`UPDATE gateway.documents SET state = 'ACCEPTED', engine_status = 201 WHERE file_id = $1 AND idx = 0`, [f.id]);

    // What the worker does when the parse job's attempts ran out (its SUBMITTING re-run kept failing).
    await refuseFile(run.deps, f.id, { code: 'PARSE_FAILED', message: 'the file could not be processed', place: {} });
    expect((await getFile(t.db, f.id))?.state).toBe('SUBMITTING');
    expect((await listDocuments(t.db, f.id)).map((d) => d.state)).toEqual(['ACCEPTED', 'WAITING']);
    expect(run.finalized).toEqual([]);
  });

  it('start-up recovery frees a head left WAITING by a process that died before freeing it', async () => {
    const f = await receive('stranded');
    const k = order('STRANDED-1');
    await setFileState(t.db, f.id, 'SUBMITTING', { documentCount: 1 });
    // The document ahead of it was removed (its file refused) and the process died before freeing this one.
    await insertDocuments(t.db, f.id, f.seq, [{ idx: 0, orderKey: orderKeyOf(k), orderNumber: 'STRANDED-1', payload: k, sources: {}, mappingHash: 'h', state: 'WAITING' }]);
    const submitted: string[] = [];
    await recoverPipeline(t.db, {
      retryFailed: async () => undefined,
      enqueueParse: async () => undefined,
      enqueueFinalize: async () => undefined,
      enqueueDeliver: async () => undefined,
      enqueueSubmits: async (jobs) => void submitted.push(...jobs.map((j) => `${j.fileId}/${j.idx}`)),
    });
    expect(submitted).toContain(`${f.id}/0`);
    expect((await getDocument(t.db, f.id, 0))?.state).toBe('QUEUED');
  });
});
