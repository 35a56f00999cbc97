import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listRemoteFiles } from '../../../src/channels/sftp-poll/remote-files-repo.ts';
import type { SftpPollConfigInput } from '../../../src/channels/sftp-poll/sftp-poll-schema.ts';
import { SftpPoller } from '../../../src/channels/sftp-poll/sftp-poller.ts';
import { Inbox, type IncomingFile } from '../../../src/inbox/inbox.ts';
import { getFile } from '../../../src/ledger/files-repo.ts';
import { STORE_KINDS } from '../../support/stores.ts';
import { createPollFixture, type PollFixture } from './poll-fixture.ts';
import { setFileState } from '../../../src/ledger/files-repo.ts';

describe.each(STORE_KINDS)('sftp-poll on %s: taking complete files from a real OpenSSH server', (kind) => {
  let f: PollFixture;
  const pollers: SftpPoller[] = [];
  beforeAll(async () => {
    f = await createPollFixture(kind);
  });
  afterAll(async () => {
    for (const poller of pollers) await poller.close();
    await f?.cleanup();
  });

  /** Each test gets its own customer and remote directories. */
  function setup(customer: string, overrides: Partial<SftpPollConfigInput> = {}, inbox: Pick<Inbox, 'receive'> = f.inbox) {
    const inbound = join(f.dir, 'remote', customer, 'inbound');
    const outbound = join(f.dir, 'remote', customer, 'outbound');
    mkdirSync(inbound, { recursive: true });
    mkdirSync(outbound, { recursive: true });
    const make = () => {
      const poller = new SftpPoller({
        customer,
        config: f.config({ inboundDir: inbound, outboundDir: outbound, ...overrides }),
        inbox,
        db: f.t.db,
        logger: f.logger,
        env: f.env,
        timing: { callTimeoutMs: 5_000, connectTimeoutMs: 5_000 },
      });
      pollers.push(poller);
      return poller;
    };
    return { inbound, outbound, processed: join(inbound, 'processed'), poller: make(), make };
  }

  const spooled = async (fileId: string) => readFileSync((await getFile(f.t.db, fileId))!.spool_path, 'utf8');

  it('a file appended to between polls is not taken until its size and mtime are stable', async () => {
    const { inbound, processed, poller } = setup('growing');
    writeFileSync(join(inbound, 'orders.csv'), 'sku,qty\n');
    expect(await poller.poll()).toEqual({ taken: [], waiting: [join(inbound, 'orders.csv')] });
    appendFileSync(join(inbound, 'orders.csv'), 'A,1\n');
    expect((await poller.poll()).taken).toEqual([]);
    appendFileSync(join(inbound, 'orders.csv'), 'B,2\n');
    expect((await poller.poll()).taken).toEqual([]);
    const outcome = await poller.poll();
    expect(outcome.taken).toEqual([join(inbound, 'orders.csv')]);
    const [row] = await listRemoteFiles(f.t.db, 'growing');
    expect(await spooled(row!.file_id!)).toBe('sku,qty\nA,1\nB,2\n');
    expect(readdirSync(processed)).toEqual(['orders.csv']);
  });

  it('a stable file younger than minAgeSeconds waits; once old enough it is taken', async () => {
    const { inbound, poller } = setup('young', { minAgeSeconds: 3600 });
    const path = join(inbound, 'fresh.csv');
    writeFileSync(path, 'x\n');
    await poller.poll();
    expect((await poller.poll()).waiting).toEqual([path]);
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    utimesSync(path, twoHoursAgo, twoHoursAgo);
    await poller.poll(); // the mtime changed: stable again only from now on
    expect((await poller.poll()).taken).toEqual([path]);
  });

  it('in done-file mode a file is taken only once its done-file exists, however old; both leave inbound', async () => {
    const { inbound, processed, poller } = setup('donefile', { doneFileSuffix: '.done', minAgeSeconds: 3600 });
    writeFileSync(join(inbound, 'asn.edi'), 'ISA*...~');
    const old = new Date(Date.now() - 86_400_000);
    utimesSync(join(inbound, 'asn.edi'), old, old);
    for (let i = 0; i < 3; i++) expect((await poller.poll()).taken).toEqual([]);
    writeFileSync(join(inbound, 'asn.edi.done'), '');
    expect((await poller.poll()).taken).toEqual([join(inbound, 'asn.edi')]);
    expect(readdirSync(inbound).sort()).toEqual(['processed']);
    expect(readdirSync(processed)).toEqual(['asn.edi']);
    expect(f.parsed).toHaveLength(new Set(f.parsed).size);
  });

  it('a taken file is moved to processed/ and remembered with its size, mtime, hash and file id', async () => {
    const { inbound, processed, poller } = setup('moved');
    const body = 'po,sku\n1,A\n';
    writeFileSync(join(inbound, 'po.csv'), body);
    const mtime = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
    utimesSync(join(inbound, 'po.csv'), mtime, mtime);
    await poller.poll();
    expect((await poller.poll()).taken).toHaveLength(1);
    expect(existsSync(join(inbound, 'po.csv'))).toBe(false);
    expect(readFileSync(join(processed, 'po.csv'), 'utf8')).toBe(body);
    const [row] = await listRemoteFiles(f.t.db, 'moved');
    expect(row).toMatchObject({
      remote_path: join(inbound, 'po.csv'),
      size_bytes: body.length,
      state: 'MOVED',
      sha256: createHash('sha256').update(body).digest('hex'),
      processed_path: join(processed, 'po.csv'),
    });
    expect(row!.remote_mtime.getTime()).toBe(mtime.getTime());
    const file = await getFile(f.t.db, row!.file_id!);
    expect(file).toMatchObject({ customer: 'moved', channel: 'sftp-poll', original_name: 'po.csv', state: 'QUEUED' });
    expect(file!.reply_to).toMatchObject({ channel: 'sftp-poll', remotePath: join(inbound, 'po.csv') });
    expect(f.logs.some((l) => l.msg === 'remote file taken' && l.customer === 'moved' && l.remotePath === join(inbound, 'po.csv'))).toBe(true);
  });

  it('a processed file of the same name is never overwritten: the next one is stored under its file id', async () => {
    const { inbound, processed, poller } = setup('samename');
    writeFileSync(join(inbound, 'daily.csv'), 'day 1\n');
    await poller.poll();
    await poller.poll();
    writeFileSync(join(inbound, 'daily.csv'), 'day 2, longer\n');
    await poller.poll();
    await poller.poll();
    const names = readdirSync(processed).sort();
    expect(names).toHaveLength(2);
    expect(readFileSync(join(processed, 'daily.csv'), 'utf8')).toBe('day 1\n');
    expect(readFileSync(join(processed, names.find((n) => n !== 'daily.csv')!), 'utf8')).toBe('day 2, longer\n');
  });

  it('with afterDownload: delete the taken file is removed from the server', async () => {
    const { inbound, poller } = setup('deleting', { afterDownload: 'delete' });
    writeFileSync(join(inbound, 'x.csv'), 'a\n');
    await poller.poll();
    expect((await poller.poll()).taken).toHaveLength(1);
    expect(readdirSync(inbound)).toEqual([]);
    expect((await listRemoteFiles(f.t.db, 'deleting'))[0]).toMatchObject({ state: 'DELETED', processed_path: null });
  });

  it('a new poller over the same ledger never re-ingests a file whose move failed, and finishes the move', async () => {
    const { inbound, processed, poller, make } = setup('restart', { pattern: '*.csv' });
    // A plain file where processed/ should be: the move fails even for root.
    writeFileSync(processed, 'in the way');
    writeFileSync(join(inbound, 'once.csv'), 'only once\n');
    await poller.poll();
    expect((await poller.poll()).taken).toHaveLength(1);
    expect(existsSync(join(inbound, 'once.csv'))).toBe(true);
    expect((await listRemoteFiles(f.t.db, 'restart'))[0]).toMatchObject({ state: 'TAKEN', last_error: expect.any(String) });
    expect(f.logs.some((l) => l.code === 'SFTP_POLL_CLEANUP_FAILED' && l.customer === 'restart')).toBe(true);
    await poller.close();

    const second = make();
    for (let i = 0; i < 3; i++) expect((await second.poll()).taken).toEqual([]);
    rmSync(processed);
    await second.poll();
    expect(readdirSync(processed)).toEqual(['once.csv']);
    const rows = await listRemoteFiles(f.t.db, 'restart');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ state: 'MOVED', last_error: null });
    const { rows: files } = await f.t.db.query(`SELECT id FROM gateway.files WHERE customer = 'restart'`);
    expect(files).toHaveLength(1);
  });

  it('only names matching the pattern are taken; temporary and hidden names never are', async () => {
    const { inbound, poller } = setup('pattern', { pattern: '*.{csv,CSV}' });
    for (const name of ['a.csv', 'B.CSV', 'c.txt', 'd.csv.tmp', '.e.csv', 'f.csv.filepart']) writeFileSync(join(inbound, name), name);
    mkdirSync(join(inbound, 'sub.csv'));
    await poller.poll();
    const outcome = await poller.poll();
    expect(outcome.taken.map((p) => p.slice(inbound.length + 1)).sort()).toEqual(['B.CSV', 'a.csv']);
    expect(readdirSync(inbound).sort()).toEqual(['.e.csv', 'c.txt', 'd.csv.tmp', 'f.csv.filepart', 'processed', 'sub.csv']);
  });

  it('a symbolic link matching the pattern is not taken, and is logged once (warn, with its name) however many polls list it', async () => {
    const { inbound, poller } = setup('symlink', { pattern: '*.csv' });
    writeFileSync(join(f.dir, 'link-target.csv'), 'x\n');
    symlinkSync(join(f.dir, 'link-target.csv'), join(inbound, 'linked.csv'));
    symlinkSync(join(f.dir, 'link-target.csv'), join(inbound, 'linked.txt'));
    for (let i = 0; i < 3; i++) expect(await poller.poll()).toEqual({ taken: [], waiting: [] });
    const skipped = f.logs.filter((l) => l.customer === 'symlink' && l.code === 'SFTP_POLL_LINK_SKIPPED');
    expect(skipped).toEqual([expect.objectContaining({ level: 40, remoteName: 'linked.csv', remoteDir: inbound })]);
  });

  it('a file named like our results is never taken (it would be answered with results without end), and is logged once', async () => {
    const { inbound, poller } = setup('resultnames');
    const results = ['orders.csv.result.csv', 'orders.csv.result.json', 'orders.csv.20250303-120000-0123456789.result.csv', 'asn.x12.997.x12', 'asn.x12.2.997.x12'];
    for (const name of ['orders.csv', ...results]) writeFileSync(join(inbound, name), name);
    await poller.poll();
    expect((await poller.poll()).taken).toEqual([join(inbound, 'orders.csv')]);
    await poller.poll();
    expect(readdirSync(inbound).sort()).toEqual([...results, 'processed'].sort());
    const skipped = f.logs.filter((l) => l.customer === 'resultnames' && l.code === 'SFTP_POLL_RESULT_NAME_SKIPPED');
    expect(skipped.map((l) => l.remoteName).sort()).toEqual([...results].sort());
  });

  it('names with spaces, quotes, unicode and a newline are taken and keep their name', async () => {
    const { inbound, processed, poller } = setup('hostile', { pattern: '*.csv' });
    const names = ['order list (2).csv', 'commande été – n°5.csv', "it's \"quoted\".csv", '注文.csv', 'two\nlines.csv'];
    for (const name of names) writeFileSync(join(inbound, name), `${name}\n`);
    await poller.poll();
    expect((await poller.poll()).taken).toHaveLength(names.length);
    expect(readdirSync(processed).sort()).toEqual([...names].sort());
    for (const row of await listRemoteFiles(f.t.db, 'hostile')) {
      const file = await getFile(f.t.db, row.file_id!);
      const remoteName = row.remote_path.slice(inbound.length + 1);
      // The kept name loses control characters only (results are named after it).
      expect(file!.original_name).toBe(remoteName.replace('\n', ''));
      expect(readFileSync(file!.spool_path, 'utf8')).toBe(`${remoteName}\n`);
    }
  });

  /** Writes `name` with `body` and an mtime `secondsAgo` in the past (whole seconds, as SFTP carries them). */
  const writeAged = (path: string, body: string, secondsAgo: number) => {
    writeFileSync(path, body);
    const mtime = new Date(Math.floor(Date.now() / 1000) * 1000 - secondsAgo * 1000);
    utimesSync(path, mtime, mtime);
    return mtime;
  };

  it('the same bytes uploaded again under the same name with the same mtime (WinSCP, put -p) are taken again, as a DUPLICATE', async () => {
    const { inbound, processed, poller } = setup('resend');
    const mtime = writeAged(join(inbound, 'asn.csv'), 'po,sku\n1,A\n', 600);
    await poller.poll();
    expect((await poller.poll()).taken).toEqual([join(inbound, 'asn.csv')]);
    // Applied: a copy of a file still on its way would only be decided once the first one's outcome is known.
    const { rows: [first] } = await f.t.db.query<{ id: string }>(`SELECT id FROM gateway.files WHERE customer = 'resend'`);
    await setFileState(f.t.db, first!.id, 'COMPLETED');
    writeFileSync(join(inbound, 'asn.csv'), 'po,sku\n1,A\n');
    utimesSync(join(inbound, 'asn.csv'), mtime, mtime);
    await poller.poll();
    expect((await poller.poll()).taken).toEqual([join(inbound, 'asn.csv')]);
    expect(readdirSync(inbound)).toEqual(['processed']);
    expect(readdirSync(processed)).toHaveLength(2);
    const { rows } = await f.t.db.query<{ state: string }>(`SELECT state FROM gateway.files WHERE customer = 'resend' ORDER BY received_at`);
    expect(rows.map((r) => r.state)).toEqual(['COMPLETED', 'DUPLICATE']);
    const [row] = await listRemoteFiles(f.t.db, 'resend');
    expect(row).toMatchObject({ state: 'MOVED', processed_path: expect.stringContaining('-asn.csv') });
  });

  it('files ready in the same pass are taken oldest first, whatever order the server lists them in', async () => {
    const { inbound, poller } = setup('ordered');
    // Names out of age order, so neither name order nor creation order passes by chance.
    const byAge = ['m.csv', 'c.csv', 'x.csv', 'a.csv', 'q.csv', 'b.csv', 'z.csv', 'k.csv'];
    for (const [i, name] of byAge.entries()) writeAged(join(inbound, name), name, 100 - i);
    writeAged(join(inbound, 'k2.csv'), 'same second as k.csv', 100 - 7);
    await poller.poll();
    const taken = (await poller.poll()).taken.map((p) => p.slice(inbound.length + 1));
    expect(taken).toEqual([...byAge, 'k2.csv']);
    const { rows } = await f.t.db.query<{ original_name: string }>(`SELECT original_name FROM gateway.files WHERE customer = 'ordered' ORDER BY received_at`);
    expect(rows.map((r) => r.original_name)).toEqual(taken);
  });

  it('a file deleted between the listing and its download is not marked refused: uploaded again as it was, it is taken', async () => {
    let inbound = '';
    let vanish = true;
    const vanishing = {
      receive: (file: IncomingFile) => {
        if (vanish) unlinkSync(join(inbound, file.originalName));
        vanish = false;
        return f.inbox.receive(file);
      },
    };
    const s = setup('vanished', {}, vanishing);
    inbound = s.inbound;
    const mtime = writeAged(join(inbound, 'late.csv'), 'x,y\n', 300);
    await s.poller.poll();
    expect((await s.poller.poll()).taken).toEqual([]);
    expect(f.logs.find((l) => l.customer === 'vanished' && l.code === 'SFTP_POLL_DOWNLOAD_FAILED')).toMatchObject({ level: 40, remotePath: join(inbound, 'late.csv') });
    expect(await listRemoteFiles(f.t.db, 'vanished')).toEqual([]);
    writeFileSync(join(inbound, 'late.csv'), 'x,y\n');
    utimesSync(join(inbound, 'late.csv'), mtime, mtime);
    await s.poller.poll();
    expect((await s.poller.poll()).taken).toEqual([join(inbound, 'late.csv')]);
  });

  it('a failure to store the file on our side (disk full) leaves it to be taken by a later pass', async () => {
    let failures = 1;
    const fullDisk = {
      receive: (file: IncomingFile) => {
        if (failures-- > 0) return Promise.reject(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }));
        return f.inbox.receive(file);
      },
    };
    const { inbound, poller } = setup('diskfull', {}, fullDisk);
    writeFileSync(join(inbound, 'po.csv'), 'a\n');
    await poller.poll();
    expect((await poller.poll()).taken).toEqual([]);
    await poller.poll();
    expect((await poller.poll()).taken).toEqual([join(inbound, 'po.csv')]);
    expect((await listRemoteFiles(f.t.db, 'diskfull'))[0]).toMatchObject({ state: 'MOVED' });
  });

  it('a file over the size limit is refused for good with SFTP_POLL_FILE_REFUSED, and left on the server', async () => {
    const small = new Inbox({ db: f.t.db, spoolDir: join(f.dir, 'spool-small'), queues: { enqueueParse: async () => undefined, enqueueFinalize: async () => undefined }, logger: f.logger, duplicateWindowHours: 24, maxFileBytes: 10 });
    const { inbound, poller } = setup('toobig', {}, small);
    writeFileSync(join(inbound, 'huge.csv'), 'x'.repeat(11));
    await poller.poll();
    expect((await poller.poll()).taken).toEqual([]);
    for (let i = 0; i < 2; i++) expect(await poller.poll()).toEqual({ taken: [], waiting: [] });
    expect((await listRemoteFiles(f.t.db, 'toobig'))[0]).toMatchObject({ state: 'REFUSED', last_error: expect.stringContaining('10 bytes') });
    expect(f.logs.find((l) => l.customer === 'toobig' && l.code === 'SFTP_POLL_FILE_REFUSED')).toMatchObject({ level: 50 });
    expect(existsSync(join(inbound, 'huge.csv'))).toBe(true);
    // The customer is told where results go: the file never reached the ledger, so no result file would say it.
    expect(readFileSync(join(f.dir, 'remote', 'toobig', 'outbound', 'huge.csv.error.txt'), 'utf8')).toMatch(/^huge\.csv: not processed: .*10 bytes/);
  });

  it('an inbound directory that does not exist fails the pass with SFTP_POLL_LIST_FAILED naming it; once it exists, files are taken', async () => {
    const { inbound, poller } = setup('nodir');
    rmSync(inbound, { recursive: true });
    const failure = await poller.poll().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toMatchObject({ code: 'SFTP_POLL_LIST_FAILED', message: expect.stringContaining(inbound) });
    expect(f.logs.find((l) => l.customer === 'nodir' && l.code === 'SFTP_POLL_LIST_FAILED')).toMatchObject({ level: 40, remoteDir: inbound });
    mkdirSync(inbound);
    writeFileSync(join(inbound, 'now.csv'), 'n\n');
    await poller.poll();
    expect((await poller.poll()).taken).toEqual([join(inbound, 'now.csv')]);
  });
});
