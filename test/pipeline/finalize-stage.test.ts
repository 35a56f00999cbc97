import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFileStory } from '../../src/ledger/file-story.ts';
import { getFile, recordReceivedFile, setFileState } from '../../src/ledger/files-repo.ts';
import { migrateLedger } from '../../src/ledger/migrations.ts';
import { createLogger, silentLogger } from '../../src/log/logger.ts';
import { resultDir, runFinalizeJob } from '../../src/pipeline/finalize-stage.ts';
import type { Ack997Input } from '../../src/results/ack-997.ts';
import type { ReceivedAcknowledgment } from '../../src/results/ack-from-x12.ts';
import { storableJson } from '../../src/ledger/storable-json.ts';
import type { Db, Queryable } from '../../src/store/db.ts';
import { createTestDb, type TestDatabase } from '../support/stores.ts';

const ANSWERABLE: Ack997Input = {
  interchange: { senderQualifier: 'ZZ', senderId: 'COBALT', receiverQualifier: 'ZZ', receiverId: 'ACMENYC', version: '00401', usage: 'P', delimiters: { element: '*', component: '>', segment: '~' } },
  group: { functionalId: 'OW', senderCode: 'COBALT', receiverCode: 'ACMENYC', controlNumber: '1101', version: '004010' },
  transactionSets: [{ id: '940', controlNumber: '0001', status: 'A' }],
};

// One ledger and results folder for the file: every test uses its own file ids.
let t: TestDatabase;
let resultsDir: string;
beforeAll(async () => {
  t = await createTestDb('postgres');
  await migrateLedger(t.db);
  resultsDir = mkdtempSync(join(tmpdir(), 'intake-finalize-'));
});
afterAll(async () => {
  await t?.drop();
  rmSync(resultsDir, { recursive: true, force: true });
});

describe('the finalize stage: result files of an X12 file', () => {
  const logLines: Record<string, unknown>[] = [];
  const logger = createLogger({ level: 'info', destination: { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) } });

  /** A file read and mapped, its documents all done (none here), with what its envelopes left for finalize. */
  async function mappedFile(id: string, acknowledgements: unknown[]): Promise<void> {
    await recordReceivedFile(
      t.db,
      { fileId: id, customer: 'cobalt', channel: 'sftp', originalName: `${id}.edi`, sender: '', sizeBytes: 1, sha256: id, receivedAt: new Date().toISOString() },
      '/nowhere',
      { duplicateWindowHours: 0 },
    );
    await setFileState(t.db, id, 'SUBMITTING');
    await t.db.query('UPDATE gateway.files SET acknowledgements = $2::jsonb WHERE id = $1', [id, storableJson(acknowledgements)]);
  }

  const finalize = (fileId: string) => runFinalizeJob({ db: t.db, resultsDir, enqueueDeliver: async () => undefined, logger }, { fileId });

  it('a 997 that cannot be written costs only that 997: the results and the other 997 are written, the file ends, its story says why', async () => {
    // As stored before 997s were written in the received delimiters: an ISA06 holding the ~ we then always used.
    const unanswerable = { ...ANSWERABLE, interchange: { ...ANSWERABLE.interchange, senderId: 'ACME~SENDER', delimiters: undefined } };
    await mappedFile('fin-unanswerable', [ANSWERABLE, unanswerable]);

    await finalize('fin-unanswerable');

    expect(readdirSync(resultDir(resultsDir, 'fin-unanswerable')).sort()).toEqual(['fin-unanswerable.edi.1.997.x12', 'fin-unanswerable.edi.result.csv', 'fin-unanswerable.edi.result.json']);
    expect(readFileSync(join(resultDir(resultsDir, 'fin-unanswerable'), 'fin-unanswerable.edi.1.997.x12'), 'utf8')).toContain('AK1*OW*1101~');
    expect((await getFile(t.db, 'fin-unanswerable'))?.finished_at).not.toBeNull();
    const story = await loadFileStory(t.db, 'fin-unanswerable');
    expect(story?.timeline.at(-1)?.detail).toMatchObject({
      acknowledgementsNotWritten: [{ code: 'ACK_997_NOT_WRITTEN', message: expect.stringMatching(/^no 997 was written for functional group 1101 \(OW\): .*holds "~"/s), details: { name: 'fin-unanswerable.edi.2.997.x12' } }],
    });
    expect(logLines).toContainEqual(expect.objectContaining({ level: 50, fileId: 'fin-unanswerable', msg: '997 not written' }));
  });

  it('a received functional acknowledgment is logged with its control numbers and answered by no 997', async () => {
    const received: ReceivedAcknowledgment = { received: 'functional-acknowledgment', senderId: 'COBALT', interchange: '000000801', group: '811', transactionSets: ['997 0001'] };
    await mappedFile('fin-received-fa', [ANSWERABLE, received]);

    await finalize('fin-received-fa');

    const dir = resultDir(resultsDir, 'fin-received-fa');
    expect(existsSync(join(dir, 'fin-received-fa.edi.997.x12'))).toBe(true);
    expect(readdirSync(dir).filter((name) => name.endsWith('.997.x12'))).toHaveLength(1);
    expect(logLines).toContainEqual(expect.objectContaining({ level: 30, fileId: 'fin-received-fa', acknowledgment: received }));
  });

  it('a file is never finished without its pending delivery: a crash before the delivery is recorded leaves it unfinished, and the re-run delivers', async () => {
    await mappedFile('fin-crash', [ANSWERABLE]);
    const crashAtDelivery = <Q extends Queryable>(q: Q): Q =>
      new Proxy(q, {
        get: (target, key) =>
          key === 'query'
            ? (sql: string, params?: unknown[]) => (sql.includes('INSERT INTO gateway.deliveries') ? Promise.reject(new Error('process killed')) : target.query(sql, params))
            : key === 'transaction'
              ? (fn: (tx: Queryable) => Promise<unknown>) => (target as unknown as Db).transaction((tx) => fn(crashAtDelivery(tx)))
              : Reflect.get(target, key),
      });

    await expect(runFinalizeJob({ db: crashAtDelivery(t.db), resultsDir, enqueueDeliver: async () => undefined, logger }, { fileId: 'fin-crash' })).rejects.toThrow('process killed');
    const between = await loadFileStory(t.db, 'fin-crash');
    expect(between?.file.finishedAt ?? null).toBeNull(); // recovery re-runs the finalize of a file not finished

    const enqueued: unknown[] = [];
    await runFinalizeJob({ db: t.db, resultsDir, enqueueDeliver: async (job) => void enqueued.push(job), logger }, { fileId: 'fin-crash' });
    const story = await loadFileStory(t.db, 'fin-crash');
    expect(story?.file.finishedAt).toBeTruthy();
    expect(story?.deliveries).toMatchObject([{ channel: 'sftp', state: 'PENDING' }]);
    expect(enqueued).toEqual([{ fileId: 'fin-crash', channel: 'sftp' }]);
  });
});

describe('the finalize stage: whose fault a refused file is', () => {

  /** A file refused while it was parsed, with the error the parse stage recorded. */
  async function refused(id: string, code: string): Promise<string | undefined> {
    await recordReceivedFile(
      t.db,
      { fileId: id, customer: 'acme', channel: 'sftp', originalName: `${id}.csv`, sender: '', sizeBytes: 1, sha256: id, receivedAt: new Date().toISOString() },
      '/nowhere',
      { duplicateWindowHours: 0 },
    );
    await setFileState(t.db, id, 'FINALIZING', { error: { code, message: 'skipWhen: Invalid input', place: { file: `${id}.csv`, field: 'skipWhen' } }, documentCount: 0 });
    await runFinalizeJob({ db: t.db, resultsDir, enqueueDeliver: async () => undefined, logger: silentLogger }, { fileId: id });
    return (await getFile(t.db, id))?.state;
  }

  it("a reader refusing the mapping's own options is ours to fix: the file ends FAILED (replayable), not REJECTED blaming the customer's file", async () => {
    expect(await refused('fin-csv-options', 'CSV_INVALID_OPTIONS')).toBe('FAILED');
    expect(await refused('fin-fw-options', 'FW_INVALID_OPTIONS')).toBe('FAILED');
    expect(await refused('fin-xlsx-options', 'XLSX_INVALID_OPTIONS')).toBe('FAILED');
    expect(await refused('fin-bad-quote', 'CSV_INVALID_OPENING_QUOTE')).toBe('REJECTED');
  });
});
