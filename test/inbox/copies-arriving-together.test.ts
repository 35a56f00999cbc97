import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Inbox } from '../../src/inbox/inbox.ts';
import { getFile } from '../../src/ledger/files-repo.ts';
import { migrateLedger } from '../../src/ledger/migrations.ts';
import { silentLogger } from '../../src/log/logger.ts';
import { recordingQueues } from '../support/recording-queues.ts';
import { STORE_KINDS, createTestDb, type TestDatabase } from '../support/stores.ts';

/**
 * Two copies of the same bytes at the same moment (one under a name no mapping matches, one under the right name):
 * neither is answered DUPLICATE, since neither's outcome is known yet; both go to parsing, where the copy waits for
 * the original's outcome (test/pipeline/copy-of-a-file-on-its-way.test.ts). The wait is in the ledger, so a
 * restart queues the copy's parse again.
 */
describe.each(STORE_KINDS)('two copies of the same bytes arriving together, on %s', (kind) => {
  let t: TestDatabase;
  let spoolDir: string;
  beforeAll(async () => {
    t = await createTestDb(kind);
    await migrateLedger(t.db);
    spoolDir = mkdtempSync(join(tmpdir(), 'intake-spool-'));
  });
  afterAll(async () => {
    await t?.drop();
    rmSync(spoolDir, { recursive: true, force: true });
  });

  const inbox = (queues = recordingQueues()) => new Inbox({ db: t.db, spoolDir, queues, logger: silentLogger, duplicateWindowHours: 24, maxFileBytes: 1024 * 1024 });

  it('are both queued for parsing, the later one awaiting the earlier, and a restart queues them again', async () => {
    const queues = recordingQueues();
    const content = Buffer.from('order,lpn\nDQ-1,L1\nDQ-2,L2\nDQ-3,L3\nDQ-4,L4\n');
    const receipts = await Promise.all([
      inbox(queues).receive({ customer: 'dq', channel: 'http', originalName: 'orders_dq.txt', content }),
      inbox(queues).receive({ customer: 'dq', channel: 'http', originalName: 'orders_dq.csv', content }),
    ]);
    expect(receipts.map((r) => r.state)).toEqual(['QUEUED', 'QUEUED']);
    expect(receipts.every((r) => r.duplicateOf === undefined)).toBe(true);
    expect(queues.parsed.sort()).toEqual(receipts.map((r) => r.fileId).sort());
    expect(queues.finalized).toEqual([]);
    const rows = await Promise.all(receipts.map(async (r) => (await getFile(t.db, r.fileId))!));
    const [first, second] = rows.sort((a, b) => a.seq - b.seq);
    expect(first).toMatchObject({ awaits_original: null, duplicate_of: null });
    expect(second).toMatchObject({ state: 'QUEUED', awaits_original: first!.id, duplicate_of: null });

    const afterRestart = recordingQueues();
    await inbox(afterRestart).reconcile();
    expect(afterRestart.parsed.sort()).toEqual(receipts.map((r) => r.fileId).sort());
  });
});
