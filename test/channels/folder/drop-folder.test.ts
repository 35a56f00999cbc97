import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DropFolder, type DropFolderSettings, type FolderSource } from '../../../src/channels/folder/drop-folder.ts';
import type { IncomingFile } from '../../../src/inbox/inbox.ts';
import { SpoolLimitError } from '../../../src/inbox/spool.ts';
import { createLogger } from '../../../src/log/logger.ts';

describe('drop folder', () => {
  let root: string;
  let received: Array<{ customer: string; name: string; content: string }>;
  let logs: Array<Record<string, unknown>>;
  let onReceive: () => void | Promise<void>;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'intake-drop-'));
    received = [];
    logs = [];
    onReceive = () => undefined;
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const folder = (findReceived?: DropFolderSettings['findReceived']) =>
    new DropFolder({
      ...(findReceived ? { findReceived } : {}),
      root,
      customers: ['acme'],
      pollIntervalMs: 1000,
      minAgeMs: 0,
      inbox: {
        async receive(file: IncomingFile) {
          const chunks: Buffer[] = [];
          for await (const chunk of file.content as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(chunk));
          received.push({ customer: file.customer, name: file.originalName, content: Buffer.concat(chunks).toString('utf8') });
          await onReceive();
          return { fileId: `f${received.length}`, state: 'QUEUED', sha256: '', sizeBytes: 0 };
        },
      },
      logger: createLogger({
        level: 'debug',
        destination: new Writable({
          write(chunk, _encoding, callback) {
            for (const line of String(chunk).split('\n')) if (line.trim() !== '') logs.push(JSON.parse(line) as Record<string, unknown>);
            callback();
          },
        }),
      }),
    });
  const dirs = (customer = 'acme') => {
    const customerDir = join(root, customer);
    for (const sub of ['inbound', 'processed', 'failed', 'outbound']) mkdirSync(join(customerDir, sub), { recursive: true });
    return { inbound: join(customerDir, 'inbound'), processed: join(customerDir, 'processed'), failed: join(customerDir, 'failed'), customerDir };
  };
  const pollTimes = async (drop: DropFolder, n: number) => {
    for (let i = 0; i < n; i++) await drop.poll();
  };

  it('takes a name that fills the 255-byte limit once, and moves it to processed/ under a name that fits, extension kept', async () => {
    const { inbound, processed } = dirs();
    const name = `orders_${'é'.repeat(122)}.csv`; // 255 bytes
    expect(Buffer.byteLength(name)).toBe(255);
    writeFileSync(join(inbound, name), 'a,b\n');
    await pollTimes(folder(), 4);
    expect(received).toHaveLength(1);
    expect(readdirSync(inbound)).toEqual([]);
    const [moved] = readdirSync(processed);
    expect(moved).toMatch(/^[0-9a-z]+-orders_é+\.csv$/);
    expect(Buffer.byteLength(`${moved}.error.txt`)).toBeLessThanOrEqual(255);
  });

  it('takes a backlog oldest first (by modification time, then name), not in directory order', async () => {
    const { inbound } = dirs();
    // Written in this order; names and creation order disagree with it.
    const written = ['zz-first.csv', 'mm-second.csv', 'aa-third.csv', 'bb-third-too.csv'];
    const base = Date.now() / 1000 - 3600;
    written.forEach((name, i) => {
      writeFileSync(join(inbound, name), `${name}\n`);
      utimesSync(join(inbound, name), base + Math.min(i, 2), base + Math.min(i, 2));
    });
    await pollTimes(folder(), 2);
    expect(received.map((r) => r.name)).toEqual(['zz-first.csv', 'mm-second.csv', 'aa-third.csv', 'bb-third-too.csv']);
  });

  it('a file an earlier process recorded but did not move out of inbound/ is moved now, not received a second time', async () => {
    const { inbound, processed } = dirs();
    const an_hour_ago = Date.now() / 1000 - 3600;
    for (const name of ['taken.csv', 'taken-and-moved.csv', 'new.csv']) {
      writeFileSync(join(inbound, name), `${name}\n`);
      utimesSync(join(inbound, name), an_hour_ago, an_hour_ago);
    }
    // The earlier take of taken-and-moved.csv did finish (its processed/ copy exists): this one is a new drop.
    writeFileSync(join(processed, 'k1-taken-and-moved.csv'), 'taken-and-moved.csv\n');
    const asked: FolderSource[] = [];
    const drop = folder(async (customer, source) => {
      asked.push(source);
      if (customer !== 'acme' || source.name === 'new.csv') return undefined;
      return { fileId: `f-${source.name}`, consumedPath: join(processed, `k1-${source.name}`) };
    });
    await pollTimes(drop, 2);
    expect(received.map((r) => r.name).sort()).toEqual(['new.csv', 'taken-and-moved.csv']);
    expect(readdirSync(processed)).toContain('k1-taken.csv');
    expect(readdirSync(inbound)).toEqual([]);
    expect(asked.find((s) => s.name === 'taken.csv')).toMatchObject({ size: 10, mtimeMs: expect.any(Number) });
    expect(logs.find((l) => l.fileId === 'f-taken.csv')?.msg).toMatch(/received before a restart but not moved: moved to processed/);
  });

  it('asks the ledger only about files older than its own start (a file dropped since cannot be half taken)', async () => {
    const { inbound } = dirs();
    let asked = 0;
    const drop = folder(async () => {
      asked++;
      return undefined;
    });
    writeFileSync(join(inbound, 'fresh.csv'), 'fresh\n');
    // Set after the folder's start, whatever the file system's timestamp granularity.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const since = (Date.now() - 10) / 1000;
    utimesSync(join(inbound, 'fresh.csv'), since, since);
    await pollTimes(drop, 2);
    expect(received.map((r) => r.name)).toEqual(['fresh.csv']);
    expect(asked).toBe(0);
  });

  it('a file the inbox could not take for a reason of ours (the store down) stays in inbound/ and is taken once that passes', async () => {
    const { inbound, customerDir } = dirs();
    writeFileSync(join(inbound, 'orders.csv'), 'a,b\n');
    let outage = true;
    onReceive = () => {
      if (outage) throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
    };
    const drop = folder();
    await pollTimes(drop, 6);
    expect(readdirSync(join(customerDir, 'failed'))).toEqual([]);
    expect(existsSync(join(inbound, 'orders.csv'))).toBe(true);
    outage = false;
    await pollTimes(drop, 2);
    expect(existsSync(join(inbound, 'orders.csv'))).toBe(false);
    expect(readdirSync(join(customerDir, 'processed'))).toHaveLength(1);
    expect(logs.filter((l) => String(l.msg).includes('could not be received (our side)'))).toHaveLength(1);
  });

  it('a file whose move out of inbound/ fails is received once, not at every poll, and the failure is logged', async () => {
    const { inbound, processed } = dirs();
    writeFileSync(join(inbound, 'orders.csv'), 'a,b\n');
    // processed/ turns into a plain file while the inbox has the file: the rename then fails (ENOTDIR).
    onReceive = () => {
      rmSync(processed, { recursive: true });
      writeFileSync(processed, '');
    };
    await pollTimes(folder(), 6);
    expect(received).toHaveLength(1);
    expect(existsSync(join(inbound, 'orders.csv'))).toBe(true);
    expect(logs.filter((l) => String(l.msg).includes('not moved to processed/'))).toHaveLength(1);
  });

  it('never follows a symbolic link: a link to a secret is left alone, logged once, and its target never read', async () => {
    const { inbound } = dirs();
    const secret = join(root, 'ops.token');
    writeFileSync(secret, 'secret-token\n');
    symlinkSync(secret, join(inbound, 'token.csv'));
    symlinkSync('/etc/passwd', join(inbound, 'passwd.csv'));
    await pollTimes(folder(), 4);
    expect(received).toEqual([]);
    expect(readdirSync(inbound).sort()).toEqual(['passwd.csv', 'token.csv']);
    expect(logs.filter((l) => String(l.msg).includes('not a regular file'))).toHaveLength(2);
  });

  it('leaves files being written under the SFTP server\'s temporary names alone, `.temp` included', async () => {
    const { inbound } = dirs();
    for (const name of ['a.csv.temp', 'b.csv.TMP', 'c.csv.filepart', '.d.csv', 'e.csv~']) writeFileSync(join(inbound, name), 'x\n');
    await pollTimes(folder(), 3);
    expect(received).toEqual([]);
  });

  it('a refused file\'s .error.txt never writes through a link the customer put at its predictable name', async () => {
    const { inbound, failed } = dirs();
    const victim = join(root, 'victim.txt');
    writeFileSync(victim, 'precious\n');
    writeFileSync(join(inbound, 'orders.csv'), 'a,b\n');
    const planted = new Set<string>();
    onReceive = async () => {
      // The stamp is the time in base 36: the customer puts a link at each name of a moment to come, and the file
      // is refused at that moment.
      const at = Date.now() + 600;
      for (let ms = at - 100; ms < at + 300; ms++) planted.add(`${ms.toString(36)}-orders.csv.error.txt`);
      for (const name of planted) symlinkSync(victim, join(failed, name));
      await new Promise((resolve) => setTimeout(resolve, at - Date.now()));
      throw new SpoolLimitError(3);
    };
    await pollTimes(folder(), 2);
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    const moved = readdirSync(failed).filter((name) => name.endsWith('-orders.csv'));
    expect(moved).toHaveLength(1);
    expect(planted).toContain(`${moved[0]}.error.txt`);
    const reason = join(failed, `${moved[0]}.error.txt`);
    expect(lstatSync(reason).isFile()).toBe(true);
    expect(readFileSync(reason, 'utf8')).toBe('the file is larger than the limit of 3 bytes\n');
  });

  it('a file replaced under its name while it is being received is not moved unread: the new file is received at a later poll', async () => {
    const { inbound, processed, failed } = dirs();
    writeFileSync(join(inbound, 'orders.csv'), 'first\n');
    onReceive = () => {
      onReceive = () => undefined;
      writeFileSync(join(inbound, '.orders.csv.upload'), 'second\n');
      renameSync(join(inbound, '.orders.csv.upload'), join(inbound, 'orders.csv')); // mv over it
    };
    await pollTimes(folder(), 4);
    expect(received.map((r) => r.content)).toEqual(['first\n', 'second\n']);
    expect(readdirSync(inbound)).toEqual([]);
    expect(readdirSync(failed)).toEqual([]);
    expect(readdirSync(processed).map((name) => readFileSync(join(processed, name), 'utf8'))).toEqual(['second\n']);
    expect(logs.filter((l) => String(l.msg).includes('replaced under its name while being taken'))).toHaveLength(1);
  });

  it('a customer folder or subfolder that is a link is never followed: nothing taken from it or written to it, one error naming it, taken once it is a folder again', async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'intake-drop-elsewhere-'));
    try {
      // Another customer's folders, or any folder the gateway can read and write.
      for (const sub of ['inbound', 'processed']) mkdirSync(join(elsewhere, sub));
      writeFileSync(join(elsewhere, 'inbound', 'theirs.csv'), 'not yours\n');
      mkdirSync(join(root, 'beta'));
      symlinkSync(join(elsewhere, 'inbound'), join(root, 'beta', 'inbound'));
      symlinkSync(elsewhere, join(root, 'gamma'));
      const delta = dirs('delta');
      writeFileSync(join(delta.inbound, 'orders.csv'), 'a,b\n');
      rmSync(delta.processed, { recursive: true });
      symlinkSync(join(elsewhere, 'processed'), delta.processed);
      const drop = folder();
      await pollTimes(drop, 4);
      expect(received).toEqual([]);
      expect(readdirSync(join(elsewhere, 'inbound'))).toEqual(['theirs.csv']);
      expect(readdirSync(join(elsewhere, 'processed'))).toEqual([]);
      expect(readdirSync(delta.inbound)).toEqual(['orders.csv']);
      const errors = logs.filter((l) => String(l.msg).includes('cannot be used'));
      expect(errors.map((l) => l.customer).sort()).toEqual(['beta', 'delta', 'gamma']);
      for (const [customer, folder] of [['beta', 'beta/inbound'], ['gamma', 'gamma'], ['delta', 'delta/processed']]) {
        expect((errors.find((l) => l.customer === customer)?.err as { message: string }).message).toContain(`${join(root, folder!)} is not a folder`);
      }
      rmSync(delta.processed);
      mkdirSync(delta.processed);
      await pollTimes(drop, 2);
      expect(received).toEqual([{ customer: 'delta', name: 'orders.csv', content: 'a,b\n' }]);
      expect(readdirSync(delta.processed)).toHaveLength(1);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });
});
