import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordReceivedFile, setFileState } from '../../src/ledger/files-repo.ts';
import { migrateLedger } from '../../src/ledger/migrations.ts';
import { STORE_KINDS, createTestDb, type TestDatabase } from '../support/stores.ts';

/**
 * DUPLICATE_WINDOW_HOURS takes any number ≥ 0 at start-up; 0.5 then refused every file, the query casting the
 * window to an integer ("invalid input syntax for type integer").
 */
describe.each(STORE_KINDS)('a duplicate window of half an hour, on %s', (kind) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDb(kind);
    await migrateLedger(t.db);
  });
  afterAll(async () => t?.drop());

  it('makes the same bytes 20 minutes later a DUPLICATE, and 40 minutes later a new file', async () => {
    const sent = Date.parse('2025-03-04T10:00:00Z');
    const receive = (fileId: string, minutesLater: number) =>
      recordReceivedFile(
        t.db,
        { fileId, customer: 'halfhour', channel: 'cli', originalName: 'orders.csv', sender: '', sizeBytes: 10, sha256: 'same-bytes', receivedAt: new Date(sent + minutesLater * 60_000).toISOString() },
        `/spool/${fileId}`,
        { duplicateWindowHours: 0.5, queued: true },
      );
    const original = await receive('f_half_0', 0);
    expect(original.state).toBe('QUEUED');
    // Applied: a copy of a file still on its way is only decided once the original's outcome is known.
    await setFileState(t.db, original.id, 'COMPLETED');
    expect(await receive('f_half_20', 20)).toMatchObject({ state: 'DUPLICATE', duplicate_of: original.id });
    expect(await receive('f_half_40', 40)).toMatchObject({ state: 'QUEUED', duplicate_of: null });
  });
});
