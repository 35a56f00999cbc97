import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncomingFile } from '../../../src/inbox/inbox.ts';
import { listRemoteFiles } from '../../../src/channels/sftp-poll/remote-files-repo.ts';
import { RemoteSession } from '../../../src/channels/sftp-poll/remote-session.ts';
import { SftpPollSchema, SftpPollTimingSchema } from '../../../src/channels/sftp-poll/sftp-poll-schema.ts';
import { SftpPollError } from '../../../src/channels/sftp-poll/sftp-poll-errors.ts';
import { SftpPoller } from '../../../src/channels/sftp-poll/sftp-poller.ts';
import { getFile } from '../../../src/ledger/files-repo.ts';
import { createPollFixture, waitFor, type PollFixture } from './poll-fixture.ts';

describe('sftp-poll: broken connections, stalled servers and closing mid-poll', () => {
  let f: PollFixture;
  beforeAll(async () => {
    f = await createPollFixture();
  });
  afterAll(async () => {
    await f?.cleanup();
  });

  const poller = (customer: string, pattern: string, extra: Partial<ConstructorParameters<typeof SftpPoller>[0]> = {}) =>
    new SftpPoller({
      customer,
      config: f.config({ pattern }),
      inbox: f.inbox,
      db: f.t.db,
      logger: f.logger,
      env: f.env,
      timing: { callTimeoutMs: 2_000, connectTimeoutMs: 2_000, backoffInitialMs: 100, backoffMaxMs: 500 },
      ...extra,
    });

  it('a connection that ends before the server answers the close of a file just read is no uncaught error (it took the gateway down)', async () => {
    const remotePath = join(f.remote.inbound, 'late-close.txt');
    writeFileSync(remotePath, 'x'.repeat(4096));
    const session = await RemoteSession.open({ config: SftpPollSchema.parse(f.config()), timing: SftpPollTimingSchema.parse({}), logger: f.logger, env: f.env });
    const uncaught: unknown[] = [];
    const keep = (error: unknown) => void uncaught.push(error);
    process.on('uncaughtException', keep);
    try {
      let bytes = 0;
      for await (const chunk of session.download(remotePath, 4096)) bytes += chunk.byteLength;
      expect(bytes).toBe(4096);
      // The handle's CLOSE has just been sent: no answer can have come yet.
      session.destroy('the test ends it');
      await new Promise((resolve) => setTimeout(resolve, 500));
    } finally {
      process.off('uncaughtException', keep);
    }
    expect(uncaught).toEqual([]);
  });

  it('sshd killed and restarted on the same port: the poller rebuilds its connection and takes the next file', async () => {
    const p = poller('dropped', 'drop-*.csv');
    const taken = async () => (await listRemoteFiles(f.t.db, 'dropped')).length;
    writeFileSync(join(f.remote.inbound, 'drop-1.csv'), 'one\n');
    p.start();
    try {
      await waitFor(async () => (await taken()) === 1, 10_000, 'the first file');
      f.sshd.kill();
      writeFileSync(join(f.remote.inbound, 'drop-2.csv'), 'two\n');
      await waitFor(() => f.logs.filter((l) => l.customer === 'dropped' && l.msg?.toString().startsWith('sftp-poll pass failed')).length >= 2, 10_000, 'failed passes');
      await f.sshd.restart();
      await waitFor(async () => (await taken()) === 2, 10_000, 'the second file');
      // A file is remembered before it is moved (so a failed move never re-ingests it): the move follows.
      const processed = () => (existsSync(join(f.remote.inbound, 'processed')) ? readdirSync(join(f.remote.inbound, 'processed')).sort() : []);
      await waitFor(() => processed().length === 2, 10_000, 'both files moved to processed/');
      expect(processed()).toEqual(['drop-1.csv', 'drop-2.csv']);
      expect(f.logs.filter((l) => l.customer === 'dropped' && l.msg === 'sftp-poll connected').length).toBeGreaterThanOrEqual(2);
      const failures = f.logs.filter((l) => l.customer === 'dropped' && l.msg?.toString().startsWith('sftp-poll pass failed'));
      expect(failures.every((l) => typeof l.code === 'string' && l.level === 40)).toBe(true);
    } finally {
      await p.close();
    }
  });

  it('a server that stops answering fails the call within callTimeoutMs; the next pass reconnects', async () => {
    const p = poller('stalled', 'stall-*.csv');
    await p.poll(); // connected
    f.sshd.pause();
    const started = Date.now();
    let failure: unknown;
    try {
      failure = await p.poll().then(
        () => undefined,
        (error: unknown) => error,
      );
    } finally {
      f.sshd.resume();
    }
    expect(Date.now() - started).toBeLessThan(4_000);
    expect((failure as SftpPollError).code).toBe('SFTP_POLL_TIMEOUT');
    writeFileSync(join(f.remote.inbound, 'stall-1.csv'), 'after\n');
    await p.poll();
    expect((await p.poll()).taken).toEqual([join(f.remote.inbound, 'stall-1.csv')]);
    await p.close();
  });

  it('close() during a download stops at once, records nothing, and a later poller takes the whole file', async () => {
    const body = randomBytes(8 * 1024 * 1024);
    writeFileSync(join(f.remote.inbound, 'big-1.bin'), body);
    let downloading!: () => void;
    const started = new Promise<void>((resolve) => (downloading = resolve));
    // An inbox that reads slowly, so the close lands in the middle of the download.
    const slowInbox = {
      receive: (file: IncomingFile) =>
        f.inbox.receive({
          ...file,
          content: (async function* () {
            for await (const chunk of file.content as AsyncIterable<Uint8Array>) {
              downloading();
              await new Promise((resolve) => setTimeout(resolve, 20));
              yield chunk;
            }
          })(),
        }),
    };
    const p = poller('closing', 'big-*.bin', { inbox: slowInbox });
    p.start();
    await started;
    const closing = Date.now();
    await p.close();
    expect(Date.now() - closing).toBeLessThan(1_000);
    expect(await listRemoteFiles(f.t.db, 'closing')).toEqual([]);
    expect(existsSync(join(f.remote.inbound, 'big-1.bin'))).toBe(true);
    const spoolDir = join(f.dir, 'spool', 'closing');
    expect(existsSync(spoolDir) ? readdirSync(spoolDir) : []).toEqual([]);
    // It must stay closed: no timer left to start another pass.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await listRemoteFiles(f.t.db, 'closing')).toEqual([]);

    const later = poller('closing', 'big-*.bin');
    await later.poll();
    await later.poll();
    const [row] = await listRemoteFiles(f.t.db, 'closing');
    expect(row!.sha256).toBe(createHash('sha256').update(body).digest('hex'));
    expect(readFileSync((await getFile(f.t.db, row!.file_id!))!.spool_path).equals(body)).toBe(true);
    await later.close();
  });
});
