import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import type { Attributes } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Inbox } from '../../../src/inbox/inbox.ts';
import { getFile } from '../../../src/ledger/files-repo.ts';
import { ACME_PASSWORD, connectRaw, eventually, runCurlSftp, startTestServer, type TestServer } from './sftp-test-peers.ts';

const { STATUS_CODE } = ssh2.utils.sftp;

describe('sftp server answers to what real clients ask', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ maxOpenHandles: 3, maxChannelsPerConnection: 2 });
  });
  afterAll(async () => {
    await t?.close();
  });

  const spooled = async (fileId: string) => readFileSync((await getFile(t.db.db, fileId))!.spool_path, 'utf8');

  it('appends to a held upload opened with APPEND whatever offset the client writes at (curl --append writes from 0)', async () => {
    writeFileSync(join(t.dir, 'part-1.csv'), 'order,qty\nA1,3\n');
    writeFileSync(join(t.dir, 'part-2.csv'), 'A2,4\n');
    const url = 'sftp://127.0.0.1:{port}/inbound/appended.csv.filepart';
    const curl = await runCurlSftp(t.port, 'acme', ACME_PASSWORD, [
      ['-T', join(t.dir, 'part-1.csv'), url],
      ['--append', '-T', join(t.dir, 'part-2.csv'), url, '-Q', '-rename /inbound/appended.csv.filepart /inbound/appended.csv'],
    ]);
    expect(curl).toMatchObject({ code: 0, stderr: '' });
    expect(await spooled(t.parsed.at(-1)!)).toBe('order,qty\nA1,3\nA2,4\n');
  });

  it('refuses to truncate an upload (paramiko truncate) rather than answer OK and ingest the bytes the client dropped', async () => {
    const raw = await connectRaw(t.port, 'acme', { password: ACME_PASSWORD });
    try {
      const handle = (await raw.call<Buffer>((cb) => raw.sftp.open('/inbound/cut.csv.part', 'w', cb))).value!;
      expect((await raw.call((cb) => raw.sftp.write(handle, Buffer.from('order,qty\nA1,3\n'), 0, 15, 0, cb))).code).toBe(0);
      const ftruncate = await raw.call((cb) => raw.sftp.fsetstat(handle, { size: 10 } as Attributes, cb));
      expect(ftruncate).toMatchObject({ code: STATUS_CODE.OP_UNSUPPORTED, message: expect.stringContaining('cannot be truncated') });
      expect((await raw.call((cb) => raw.sftp.close(handle, cb))).code).toBe(0);
      expect((await raw.call((cb) => raw.sftp.setstat('/inbound/cut.csv.part', { size: 0 } as Attributes, cb))).code).toBe(STATUS_CODE.OP_UNSUPPORTED);
      // What clients send after every upload is still fine: times, modes, the size it already has.
      expect((await raw.call((cb) => raw.sftp.setstat('/inbound/cut.csv.part', { mtime: 1_700_000_000, atime: 1_700_000_000, mode: 0o644, size: 15 } as Attributes, cb))).code).toBe(0);
    } finally {
      raw.end();
    }
  });

  it('refuses an OPEN beyond maxOpenHandles with a message, and opens again once one is closed', async () => {
    const raw = await connectRaw(t.port, 'acme', { password: ACME_PASSWORD });
    try {
      const handles: Buffer[] = [];
      for (const name of ['h1.csv', 'h2.csv', 'h3.csv']) handles.push((await raw.call<Buffer>((cb) => raw.sftp.open(`/inbound/${name}`, 'w', cb))).value!);
      expect(await raw.call((cb) => raw.sftp.open('/inbound/h4.csv', 'w', cb))).toMatchObject({ code: STATUS_CODE.FAILURE, message: expect.stringContaining('at most 3 at once') });
      expect((await raw.call((cb) => raw.sftp.opendir('/outbound', cb))).code).toBe(STATUS_CODE.FAILURE);
      expect(readdirSync(t.uploadsDir)).toHaveLength(3);
      expect((await raw.call((cb) => raw.sftp.close(handles[0]!, cb))).code).toBe(0);
      expect((await raw.call((cb) => raw.sftp.open('/inbound/h4.csv', 'w', cb))).code).toBe(0);
    } finally {
      raw.end();
    }
    await eventually(() => readdirSync(t.uploadsDir).length === 0);
  });

  it('refuses a channel beyond maxChannelsPerConnection, and discards a closed channel\'s unfinished upload while the connection stays', async () => {
    const raw = await connectRaw(t.port, 'acme', { password: ACME_PASSWORD });
    try {
      const second = await new Promise<ssh2.SFTPWrapper>((resolve, reject) => raw.conn.sftp((err, sftp) => (err ? reject(err) : resolve(sftp))));
      await expect(new Promise((resolve, reject) => raw.conn.sftp((err, sftp) => (err ? reject(err) : resolve(sftp))))).rejects.toThrow();
      const handle = await new Promise<Buffer>((resolve, reject) => second.open('/inbound/left.csv', 'w', (err, h) => (err ? reject(err) : resolve(h))));
      await new Promise<void>((resolve, reject) => second.write(handle, Buffer.from('half'), 0, 4, 0, (err) => (err ? reject(err) : resolve())));
      expect(readdirSync(t.uploadsDir)).toHaveLength(1);
      second.end();
      await eventually(() => readdirSync(t.uploadsDir).length === 0);
      // The channel's place is free again, and the first channel never noticed.
      await new Promise((resolve, reject) => raw.conn.sftp((err, sftp) => (err ? reject(err) : resolve(sftp))));
      expect((await raw.call((cb) => raw.sftp.stat('/outbound', cb))).code).toBe(0);
    } finally {
      raw.end();
    }
    const received = await Promise.all(t.parsed.map(async (id) => (await getFile(t.db.db, id))!.original_name));
    expect(received).not.toContain('left.csv');
  });
});

describe('sftp server shutdown', () => {
  it('waits for a hand-over to the inbox even when the channel that asked for it closed first', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let receiving = false;
    const inbox: Pick<Inbox, 'receive'> = {
      async receive(file) {
        receiving = true;
        for await (const _ of file.content as AsyncIterable<Uint8Array>) void _;
        await gate;
        return { fileId: 'slow', state: 'QUEUED', sha256: '', sizeBytes: 4 };
      },
    };
    const t = await startTestServer({ inbox });
    try {
      const raw = await connectRaw(t.port, 'acme', { password: ACME_PASSWORD });
      const handle = (await raw.call<Buffer>((cb) => raw.sftp.open('/inbound/slow.csv', 'w', cb))).value!;
      await raw.call((cb) => raw.sftp.write(handle, Buffer.from('slow'), 0, 4, 0, cb));
      raw.sftp.close(handle, () => undefined);
      await eventually(() => receiving);
      raw.sftp.end();
      await new Promise((r) => setTimeout(r, 100));
      let closed = false;
      const closing = t.server.close().then(() => (closed = true));
      await new Promise((r) => setTimeout(r, 300));
      expect(closed).toBe(false);
      release();
      await closing;
    } finally {
      release();
      await t.close();
    }
  });
});
