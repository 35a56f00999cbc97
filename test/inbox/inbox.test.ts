import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync, existsSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Inbox } from '../../src/inbox/inbox.ts';
import { STALE_TEMP_MS } from '../../src/inbox/spool.ts';
import { sanitizeFileName } from '../../src/file-names/sanitize-file-name.ts';
import { fileEvents, getFile, setFileState } from '../../src/ledger/files-repo.ts';
import { migrateLedger } from '../../src/ledger/migrations.ts';
import { silentLogger } from '../../src/log/logger.ts';
import { recordingQueues } from '../support/recording-queues.ts';
import { STORE_KINDS, createTestDb, type TestDatabase } from '../support/stores.ts';


describe('sanitizeFileName', () => {
  it.each([
    ['../../etc/passwd', 'passwd'],
    ['C:\\Users\\x\\orders.csv', 'orders.csv'],
    ['a\u0000b\nc.csv', 'abc.csv'],
    ['...', 'file'],
    ['', 'file'],
    ['.hidden.csv', 'hidden.csv'],
  ])('%j becomes %j', (input, expected) => {
    expect(sanitizeFileName(input)).toBe(expected);
  });

  it('cuts a 300-character name to 200 bytes and keeps its extension', () => {
    expect(sanitizeFileName('x'.repeat(300) + '.csv')).toBe('x'.repeat(196) + '.csv');
  });

  it('cuts a long non-ASCII name by UTF-8 bytes, between characters, keeping `.csv` (the mapping is chosen by it)', () => {
    const name = sanitizeFileName(`orders_${'日'.repeat(195)}.csv`);
    expect(name).toBe(`orders_${'日'.repeat(63)}.csv`);
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(200);
  });
});

describe.each(STORE_KINDS)('inbox on %s', (kind) => {
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

  const inbox = (queues = recordingQueues(), duplicateWindowHours = 24) =>
    new Inbox({ db: t.db, spoolDir, queues, logger: silentLogger, duplicateWindowHours, maxFileBytes: 1024 * 1024 });

  it('spools the bytes, records the file and queues its parse before answering', async () => {
    const queues = recordingQueues();
    const receipt = await inbox(queues).receive({ customer: 'acme', channel: 'folder', originalName: '../orders.csv', sender: 'a@b', content: Buffer.from('a,b\n1,2\n') });
    expect(receipt.state).toBe('QUEUED');
    expect(receipt.fileId).not.toContain(':');
    expect(queues.parsed).toEqual([receipt.fileId]);
    const row = await getFile(t.db, receipt.fileId);
    expect(row).toMatchObject({ customer: 'acme', original_name: 'orders.csv', size_bytes: 8, state: 'QUEUED', sender: 'a@b' });
    expect(readFileSync(row!.spool_path, 'utf8')).toBe('a,b\n1,2\n');
    expect(row!.sha256).toBe(createHash('sha256').update('a,b\n1,2\n').digest('hex'));
    expect((await fileEvents(t.db, receipt.fileId)).map((e) => e.state)).toEqual(['RECEIVED', 'QUEUED']);
  });

  it('records the same bytes from the same customer as DUPLICATE and sends it straight to its result', async () => {
    const queues = recordingQueues();
    const first = await inbox(queues).receive({ customer: 'dup', channel: 'folder', originalName: 'x.csv', content: Buffer.from('same') });
    // Applied: a copy of a file still on its way is only decided once the original's outcome is known.
    await setFileState(t.db, first.fileId, 'COMPLETED');
    const second = await inbox(queues).receive({ customer: 'dup', channel: 'sftp', originalName: 'y.csv', content: Buffer.from('same') });
    const other = await inbox(queues).receive({ customer: 'dup2', channel: 'sftp', originalName: 'y.csv', content: Buffer.from('same') });
    expect(second).toMatchObject({ state: 'DUPLICATE', duplicateOf: first.fileId });
    expect(other.state).toBe('QUEUED');
    expect(queues.parsed).toEqual([first.fileId, other.fileId]);
    expect(queues.finalized).toEqual([second.fileId]);
  });

  it('does not call a file a duplicate when the window is off', async () => {
    const a = await inbox(recordingQueues(), 0).receive({ customer: 'nodup', channel: 'folder', originalName: 'x.csv', content: Buffer.from('z') });
    const b = await inbox(recordingQueues(), 0).receive({ customer: 'nodup', channel: 'folder', originalName: 'x.csv', content: Buffer.from('z') });
    expect([a.state, b.state]).toEqual(['QUEUED', 'QUEUED']);
  });

  it('refuses a file over the size limit and leaves nothing behind', async () => {
    const small = new Inbox({ db: t.db, spoolDir, queues: recordingQueues(), logger: silentLogger, duplicateWindowHours: 24, maxFileBytes: 10 });
    await expect(small.receive({ customer: 'big', channel: 'folder', originalName: 'big.csv', content: Buffer.alloc(11) })).rejects.toThrow(/larger than the limit/);
    expect(existsSync(join(spoolDir, 'big')) ? readdirSync(join(spoolDir, 'big')) : []).toEqual([]);
  });

  it('a file the store could not record leaves nothing in the spool: its sender was refused, so start-up must not apply it', async () => {
    const customer = `down-${kind}`;
    const storeDown = {
      ...t.db,
      query: (sql: Parameters<typeof t.db.query>[0], params?: unknown[]) =>
        /INSERT INTO gateway\.files/.test(typeof sql === 'string' ? sql : sql.text) ? Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432')) : t.db.query(sql, params),
      transaction: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432')),
    } as typeof t.db;
    const refused = new Inbox({ db: storeDown, spoolDir, queues: recordingQueues(), logger: silentLogger, duplicateWindowHours: 24, maxFileBytes: 1024 * 1024 });
    await expect(refused.receive({ customer, channel: 'http', originalName: 'o.csv', sender: '', content: Buffer.from('a,b\n') })).rejects.toThrow(/ECONNREFUSED/);
    expect(existsSync(join(spoolDir, customer)) ? readdirSync(join(spoolDir, customer)) : []).toEqual([]);
    const { reRegistered } = await inbox().reconcile();
    expect(reRegistered).toBe(0);
  });

  it('re-registers spooled files the ledger lost, queues them, and removes temporary files', async () => {
    const queues = recordingQueues();
    const dir = join(spoolDir, 'lost');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'f-lost.dat'), 'hello');
    writeFileSync(
      join(dir, 'f-lost.json'),
      JSON.stringify({ fileId: 'f-lost', customer: 'lost', channel: 'folder', originalName: 'l.csv', sender: '', sizeBytes: 5, sha256: 'abc', receivedAt: new Date().toISOString() }),
    );
    writeFileSync(join(dir, 'f-half.dat.partial'), 'hal');
    // Left by a crash: untouched for longer than an upload in flight ever is.
    const past = new Date(Date.now() - STALE_TEMP_MS - 1000);
    utimesSync(join(dir, 'f-half.dat.partial'), past, past);
    const result = await inbox(queues).reconcile();
    expect(result.reRegistered).toBe(1);
    expect(queues.parsed).toContain('f-lost');
    expect((await getFile(t.db, 'f-lost'))?.state).toBe('QUEUED');
    expect(existsSync(join(dir, 'f-half.dat.partial'))).toBe(false);
    const again = recordingQueues();
    expect((await inbox(again).reconcile()).reRegistered).toBe(0);
  });

  it('a second process starting up while a file is being spooled leaves that upload alone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'intake-spool-'));
    try {
      let release: () => void = () => undefined;
      const released = new Promise<void>((resolve) => (release = resolve));
      let started: () => void = () => undefined;
      const firstChunk = new Promise<void>((resolve) => (started = resolve));
      async function* slowUpload() {
        yield Buffer.from('order,lpn\n');
        started();
        await released;
        yield Buffer.from('A-1,L1\n');
      }
      const queues = recordingQueues();
      const receiving = new Inbox({ db: t.db, spoolDir: dir, queues, logger: silentLogger, duplicateWindowHours: 24, maxFileBytes: 1024 }).receive({
        customer: 'slow',
        channel: 'sftp',
        originalName: 'slow.csv',
        content: slowUpload(),
      });
      await firstChunk;
      // `intake worker` started on the same DATA_DIR: its start-up reconciles the spool.
      await new Inbox({ db: t.db, spoolDir: dir, queues: recordingQueues(), logger: silentLogger, duplicateWindowHours: 24, maxFileBytes: 1024 }).reconcile();
      release();
      const receipt = await receiving;
      expect(receipt.state).toBe('QUEUED');
      expect(readFileSync((await getFile(t.db, receipt.fileId))!.spool_path, 'utf8')).toBe('order,lpn\nA-1,L1\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a stray file in the spool folder or an unreadable spool entry does not stop start-up, and the others are recovered', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'intake-spool-'));
    try {
      writeFileSync(join(dir, 'notes.txt'), 'someone left this here');
      mkdirSync(join(dir, 'stray'));
      writeFileSync(join(dir, 'stray', 'f-torn.json'), '{"fileId": "f-to');
      writeFileSync(join(dir, 'stray', `f-kept-${kind}.dat`), 'hello');
      writeFileSync(
        join(dir, 'stray', `f-kept-${kind}.json`),
        JSON.stringify({ fileId: `f-kept-${kind}`, customer: 'stray', channel: 'folder', originalName: 'k.csv', sender: '', sizeBytes: 5, sha256: 'kept', receivedAt: new Date().toISOString() }),
      );
      const queues = recordingQueues();
      const result = await new Inbox({ db: t.db, spoolDir: dir, queues, logger: silentLogger, duplicateWindowHours: 24, maxFileBytes: 1024 }).reconcile();
      expect(result.reRegistered).toBe(1);
      expect(queues.parsed).toEqual([`f-kept-${kind}`]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  /**
   * Two copies of the same bytes at the same moment (one under a name no mapping matches, one under the right name):
   * neither is answered DUPLICATE, since neither's outcome is known yet; both go to parsing, where the copy waits for
   * the original's outcome (test/pipeline/copy-of-a-file-on-its-way.test.ts). The wait is in the ledger, so a
   * restart queues the copy's parse again.
   */
  it('two copies of the same bytes arriving together are both queued for parsing, the later one awaiting the earlier, and a restart queues them again', async () => {
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
    // (Other tests' queued files in this store are queued again too.)
    expect(afterRestart.parsed).toEqual(expect.arrayContaining(receipts.map((r) => r.fileId)));
  });
});
