import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IntakeError } from '../../src/errors/intake-error.ts';
import { listDocuments } from '../../src/ledger/documents-repo.ts';
import { getFile, recordReceivedFile, type FileRow } from '../../src/ledger/files-repo.ts';
import { migrateLedger } from '../../src/ledger/migrations.ts';
import { silentLogger } from '../../src/log/logger.ts';
import { orderKeyOf } from '../../src/documents/order-key.ts';
import { resultDir, runFinalizeJob } from '../../src/pipeline/finalize-stage.ts';
import { runParseJob, type FileMapper, type MappedOutput } from '../../src/pipeline/parse-stage.ts';
import { afterDocumentFinished } from '../../src/pipeline/submit-stage.ts';
import { resultFileNames } from '../../src/results/result-file-names.ts';
import { STORE_KINDS, createTestDb, type TestDatabase } from '../support/stores.ts';

/**
 * Two copies of the same bytes arriving together (an HTTP retry, the same file under a corrected name): the
 * copy is decided only once the original's outcome is known. A DUPLICATE of an original that applied documents;
 * processed like any file when the original was refused with nothing applied. Each step is a separate job run
 * that reads only the ledger, as after a restart.
 */

const order = (n: string) => ({ business: 'kargo', facility: 'sf', direction: 'OUTBOUND', orderNumber: n, items: [] });

class Deferred extends Error {}

describe.each(STORE_KINDS)('a copy of a file still on its way, on %s', (kind) => {
  let t: TestDatabase;
  let resultsDir: string;
  let n = 0;
  beforeAll(async () => {
    t = await createTestDb(kind);
    await migrateLedger(t.db);
    resultsDir = mkdtempSync(join(tmpdir(), 'intake-copy-'));
  });
  afterAll(async () => {
    await t?.drop();
    rmSync(resultsDir, { recursive: true, force: true });
  });

  /** The pipeline, one job at a time, played by the test; `documents` per file name (what its mapping makes). */
  function pipeline(documents: Record<string, Record<string, unknown>[] | IntakeError>, options: { test?: boolean } = {}) {
    const submitted: string[] = [];
    const finalized: string[] = [];
    const deferred: string[] = [];
    const mapper: FileMapper = {
      async open(file: FileRow) {
        const made = documents[file.original_name];
        if (!made) throw new Error(`no script for ${file.original_name}`);
        if (made instanceof IntakeError) throw made;
        const list = made;
        async function* outputs(): AsyncIterable<MappedOutput> {
          for (const [index, document] of list.entries()) {
            yield { kind: 'document', index, document, sources: { unit: 'line', ranges: [[index + 2, index + 2]] }, mappingHash: 'h', ...(options.test ? { test: true } : {}) };
          }
        }
        return { mappingName: 'orders', mappingHash: 'h', outputs: outputs() };
      },
    };
    const deps = {
      db: t.db,
      mapper,
      logger: silentLogger,
      enqueueSubmits: async (jobs: { fileId: string; idx: number }[]) => void submitted.push(...jobs.map((j) => `${j.fileId}/${j.idx}`)),
      enqueueFinalize: async (job: { fileId: string }) => void finalized.push(job.fileId),
    };
    return {
      submitted,
      finalized,
      deferred,
      parse: (file: FileRow) =>
        runParseJob(deps, { fileId: file.id }, async () => undefined, async () => {
          deferred.push(file.id);
          throw new Deferred();
        }),
      finalize: (file: FileRow) => runFinalizeJob({ db: t.db, resultsDir, enqueueDeliver: async () => undefined, logger: silentLogger }, { fileId: file.id }),
      /** The engine's answer to each of the file's queued documents. */
      answer: async (file: FileRow, state: 'ACCEPTED' | 'REJECTED', only?: number) => {
        for (const document of await listDocuments(t.db, file.id)) {
          if (document.state !== 'QUEUED' || (only !== undefined && document.idx !== only)) continue;
          const outcome = state === 'ACCEPTED' ? { state, engineStatus: 201, response: {} } : { state, engineStatus: 422, problem: { code: 'NOPE', detail: 'no' } };
          await afterDocumentFinished(deps, file.id, document.order_key, { idx: document.idx, outcome });
        }
      },
    };
  }

  async function receive(customer: string, originalName: string, sha256: string): Promise<FileRow> {
    const id = `copy-${kind}-${++n}`;
    return recordReceivedFile(
      t.db,
      { fileId: id, customer, channel: 'http', originalName, sender: '', sizeBytes: 10, sha256, receivedAt: new Date().toISOString() },
      `/nowhere/${id}.dat`,
      { duplicateWindowHours: 24, queued: true },
    );
  }

  const state = async (file: FileRow) => (await getFile(t.db, file.id))?.state;

  /** The file-level row of a file's result CSV: [outcome, error_code, error_message]. */
  function resultFileRow(file: FileRow): string[] {
    const rows = parse(readFileSync(join(resultDir(resultsDir, file.id), resultFileNames(file.original_name).csv), 'utf8'), { bom: true }) as string[][];
    return [rows[1]![3]!, rows[1]![8]!, rows[1]![9]!];
  }

  it('a copy received while its original is on its way, which is then refused with nothing applied (NO_MAPPING), is processed like any file', async () => {
    const four = ['DQ-1', 'DQ-2', 'DQ-3', 'DQ-4'].map((o) => order(`${kind}-${o}`));
    const run = pipeline({
      'orders_dq.txt': IntakeError.of('NO_MAPPING', 'no mapping of this customer matches the file name orders_dq.txt', { file: 'orders_dq.txt' }),
      'orders_dq.csv': four,
    });
    const original = await receive('dq', 'orders_dq.txt', `dq-${kind}`);
    const copy = await receive('dq', 'orders_dq.csv', `dq-${kind}`);
    expect(copy).toMatchObject({ state: 'QUEUED', duplicate_of: null });

    await run.parse(original);
    expect(await state(original)).toBe('FINALIZING');
    await run.parse(copy);
    expect(await getFile(t.db, copy.id)).toMatchObject({ state: 'SUBMITTING', duplicate_of: null, document_count: 4 });
    expect(run.submitted.filter((s) => s.startsWith(`${copy.id}/`))).toHaveLength(4);

    await run.finalize(original);
    expect(await state(original)).toBe('REJECTED');
  });

  it('a copy whose original is being submitted waits for its outcome, and is a DUPLICATE once the original applied a document', async () => {
    const run = pipeline({ 'wait-a.csv': [order(`${kind}-W-1`), order(`${kind}-W-2`)], 'wait-b.csv': [order(`${kind}-W-1`), order(`${kind}-W-2`)] });
    const original = await receive('wait', 'wait-a.csv', `wait-${kind}`);
    const copy = await receive('wait', 'wait-b.csv', `wait-${kind}`);
    expect(copy.state).toBe('QUEUED');
    await run.parse(original);
    expect(await state(original)).toBe('SUBMITTING');

    // Nothing of the original answered yet: the copy is put back for later, undecided and without documents.
    await expect(run.parse(copy)).rejects.toBeInstanceOf(Deferred);
    expect(await getFile(t.db, copy.id)).toMatchObject({ state: 'QUEUED', duplicate_of: null });
    expect(await listDocuments(t.db, copy.id)).toEqual([]);

    // One document of the original applied, the other still on its way: the copy is a DUPLICATE of it.
    await run.answer(original, 'ACCEPTED', 0);
    await run.parse(copy);
    expect(await getFile(t.db, copy.id)).toMatchObject({ state: 'DUPLICATE', duplicate_of: original.id, finished_at: null });
    expect(run.finalized).toContain(copy.id);
    expect(await listDocuments(t.db, copy.id)).toEqual([]);
    expect(run.submitted.filter((s) => s.startsWith(`${copy.id}/`))).toEqual([]);

    // Its result says what became of the original when it was written: still on its way, one document applied.
    await run.finalize(copy);
    const [outcome, code, message] = resultFileRow(copy);
    expect([outcome, code]).toEqual(['DUPLICATE', 'DUPLICATE_FILE']);
    expect(message).toContain(original.id);
    expect(message).toMatch(/which is still being processed \(SUBMITTING\) with 1 of 2 documents applied so far/);
    expect((await getFile(t.db, copy.id))?.error?.message).toBe(message);
  });

  it('a copy whose original ends REJECTED by the engine, nothing applied, is processed like any file', async () => {
    const run = pipeline({ 'engine-a.csv': [order(`${kind}-E-1`)], 'engine-b.csv': [order(`${kind}-E-1`)] });
    const original = await receive('engine', 'engine-a.csv', `engine-${kind}`);
    const copy = await receive('engine', 'engine-b.csv', `engine-${kind}`);
    await run.parse(original);
    await expect(run.parse(copy)).rejects.toBeInstanceOf(Deferred);

    await run.answer(original, 'REJECTED');
    await run.finalize(original);
    expect(await state(original)).toBe('REJECTED');
    await run.parse(copy);
    expect(await getFile(t.db, copy.id)).toMatchObject({ state: 'SUBMITTING', duplicate_of: null, document_count: 1 });
    expect(run.submitted).toContain(`${copy.id}/0`);
  });

  it('a copy received after its original ended is decided at once, and its result names the state the original ended in', async () => {
    const run = pipeline({ 'done-a.csv': [order(`${kind}-D-1`)], 'failed-a.csv': [order(`${kind}-F-1`), order(`${kind}-F-2`)], 'done-b.csv': [], 'failed-b.csv': [] });
    const completed = await receive('ended', 'done-a.csv', `done-${kind}`);
    await run.parse(completed);
    await run.answer(completed, 'ACCEPTED');
    await run.finalize(completed);
    expect(await state(completed)).toBe('COMPLETED');
    const copyOfCompleted = await receive('ended', 'done-b.csv', `done-${kind}`);
    expect(copyOfCompleted).toMatchObject({ state: 'DUPLICATE', duplicate_of: completed.id });
    await run.finalize(copyOfCompleted);
    expect(resultFileRow(copyOfCompleted)[2]).toMatch(new RegExp(`file ${completed.id}, received earlier, which ended COMPLETED with 1 of 1 document applied;`));

    // FAILED after one of its documents was applied (the other gave up): what was applied must not be applied again.
    const failed = await receive('ended', 'failed-a.csv', `failed-${kind}`);
    await run.parse(failed);
    await run.answer(failed, 'ACCEPTED', 0);
    await t.db.query(`UPDATE gateway.documents SET state = 'FAILED' WHERE file_id = $1 AND idx = 1`, [failed.id]);
    await run.finalize(failed);
    expect(await state(failed)).toBe('FAILED');
    const copyOfFailed = await receive('ended', 'failed-b.csv', `failed-${kind}`);
    expect(copyOfFailed).toMatchObject({ state: 'DUPLICATE', duplicate_of: failed.id });
    await run.finalize(copyOfFailed);
    expect(resultFileRow(copyOfFailed)[2]).toMatch(/which ended FAILED with 1 of 2 documents applied;/);
  });

  it('the result of a copy of a file validated in test mode says nothing was applied', async () => {
    const run = pipeline({ 'test-a.csv': [order(`${kind}-T-1`)], 'test-b.csv': [] }, { test: true });
    const original = await receive('testmode', 'test-a.csv', `test-${kind}`);
    await run.parse(original);
    await run.finalize(original);
    expect(await getFile(t.db, original.id)).toMatchObject({ state: 'COMPLETED', test_mode: true });
    const copy = await receive('testmode', 'test-b.csv', `test-${kind}`);
    expect(copy.state).toBe('DUPLICATE');
    await run.finalize(copy);
    const message = resultFileRow(copy)[2]!;
    expect(message).toMatch(/which ended COMPLETED, validated in test mode, with nothing applied;/);
    expect(message).not.toMatch(/documents? applied|and applied/);
  });

  it('a file with the same bytes as one refused before it arrived is processed like any file', async () => {
    const run = pipeline({ 'late-a.txt': IntakeError.of('NO_MAPPING', 'no mapping matches late-a.txt', { file: 'late-a.txt' }), 'late-b.csv': [order(`${kind}-L-1`)] });
    const original = await receive('late', 'late-a.txt', `late-${kind}`);
    await run.parse(original);
    await run.finalize(original);
    const copy = await receive('late', 'late-b.csv', `late-${kind}`);
    expect(copy).toMatchObject({ state: 'QUEUED', duplicate_of: null });
    await run.parse(copy);
    expect(await state(copy)).toBe('SUBMITTING');
    expect(orderKeyOf(order(`${kind}-L-1`))).toBe((await listDocuments(t.db, copy.id))[0]?.order_key);
  });
});
