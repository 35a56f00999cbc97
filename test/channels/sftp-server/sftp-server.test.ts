import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sftpServerDeliverer } from '../../../src/channels/sftp-server/deliver-to-sftp-outbound.ts';
import { SftpServer, sftpOutboundDir } from '../../../src/channels/sftp-server/sftp-server.ts';
import type { Inbox } from '../../../src/inbox/inbox.ts';
import { getFile, type FileRow } from '../../../src/ledger/files-repo.ts';
import { silentLogger } from '../../../src/log/logger.ts';
import { ACME_PASSWORD, connectClient, connectRaw, eventually, runSftpBatch, startTestServer, type TestServer } from './sftp-test-peers.ts';

const { STATUS_CODE } = ssh2.utils.sftp;
const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

describe('sftp server with real clients', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => {
    await t?.close();
  });

  const received = async (fileId: string) => {
    const row = await getFile(t.db.db, fileId);
    return { row: row!, bytes: readFileSync(row!.spool_path) };
  };
  const lastParsed = () => t.parsed[t.parsed.length - 1]!;

  it('shows the root as the two folders inbound and outbound', async () => {
    const result = await runSftpBatch(t.port, 'acme', t.acmeKey.path, ['pwd', 'ls -1 /']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Remote working directory: /');
    expect(result.stdout).toMatch(/\/?inbound\n\/?outbound\n/);
  });

  it('hands a file put by OpenSSH sftp to the inbox as the customer, with the sftp channel and a reply address', async () => {
    const before = t.parsed.length;
    writeFileSync(join(t.dir, 'orders.csv'), 'order,qty\nA1,3\n');
    const result = await runSftpBatch(t.port, 'acme', t.acmeKey.path, ['put orders.csv /inbound/orders.csv'], { cwd: t.dir });
    expect(result).toMatchObject({ code: 0 });
    expect(t.parsed.length).toBe(before + 1);
    const { row, bytes } = await received(lastParsed());
    expect(bytes.toString()).toBe('order,qty\nA1,3\n');
    expect(row).toMatchObject({ customer: 'acme', channel: 'sftp', original_name: 'orders.csv', state: 'QUEUED' });
    expect(row.sender).toMatch(/^sftp:acme@127\.0\.0\.1$/);
    expect(row.reply_to).toEqual({ channel: 'sftp', customer: 'acme', username: 'acme' });
    expect(readdirSync(t.uploadsDir)).toEqual([]);
  });

  it('accepts a password login from ssh2-sftp-client and receives its upload', async () => {
    const client = await connectClient(t.port, 'acme', { password: ACME_PASSWORD });
    try {
      await client.put(Buffer.from('x,y\n1,2\n'), '/inbound/by-password.csv');
    } finally {
      await client.end();
    }
    const { row, bytes } = await received(lastParsed());
    expect(row.original_name).toBe('by-password.csv');
    expect(bytes.toString()).toBe('x,y\n1,2\n');
  });

  it('holds an upload under a temporary name and receives it on the rename (OpenSSH put + rename)', async () => {
    const before = t.parsed.length;
    writeFileSync(join(t.dir, 'held.csv'), 'held\n');
    const result = await runSftpBatch(t.port, 'acme', t.acmeKey.path, ['put held.csv /inbound/held.csv.filepart', 'ls -1 /inbound', 'rename /inbound/held.csv.filepart /inbound/held.csv'], { cwd: t.dir });
    expect(result.code).toBe(0);
    // While held it is listed under its temporary name; only the rename hands it over.
    expect(result.stdout).toContain('held.csv.filepart');
    expect(t.parsed.length).toBe(before + 1);
    const { row, bytes } = await received(lastParsed());
    expect(row.original_name).toBe('held.csv');
    expect(bytes.toString()).toBe('held\n');
  });

  it('holds uploads named .tmp, .part or with a leading dot until renamed (ssh2-sftp-client)', async () => {
    const client = await connectClient(t.port, 'acme', { password: ACME_PASSWORD });
    try {
      for (const temp of ['a.csv.tmp', 'b.csv.part', '.c.csv']) {
        const before = t.parsed.length;
        await client.put(Buffer.from(`${temp}\n`), `/inbound/${temp}`);
        expect(t.parsed.length).toBe(before);
        const final = temp.replace(/^\./, '').replace(/\.(tmp|part)$/, '');
        await client.rename(`/inbound/${temp}`, `/inbound/${final}`);
        expect(t.parsed.length).toBe(before + 1);
        expect((await received(lastParsed())).row.original_name).toBe(final);
      }
    } finally {
      await client.end();
    }
  });

  it('receives a 50 MB file byte for byte (OpenSSH)', async () => {
    const big = randomBytes(50 * 1024 * 1024);
    writeFileSync(join(t.dir, 'big.bin'), big);
    const result = await runSftpBatch(t.port, 'acme', t.acmeKey.path, ['put big.bin /inbound/big.bin'], { cwd: t.dir });
    expect(result.code).toBe(0);
    const { row, bytes } = await received(lastParsed());
    expect(row.size_bytes).toBe(big.length);
    expect(row.sha256).toBe(sha256(big));
    expect(sha256(bytes)).toBe(sha256(big));
  });

  it('receives parallel uploads from several connections and from one (fastPut, concurrent writes)', async () => {
    const before = t.parsed.length;
    const files = Array.from({ length: 6 }, (_, i) => ({ name: `parallel-${i}.bin`, data: randomBytes(300_000 + i) }));
    for (const f of files) writeFileSync(join(t.dir, f.name), f.data);
    const clients = await Promise.all([0, 1, 2].map(() => connectClient(t.port, 'acme', { password: ACME_PASSWORD })));
    try {
      await Promise.all(files.map((f, i) => clients[i % 3]!.fastPut(join(t.dir, f.name), `/inbound/${f.name}`)));
    } finally {
      await Promise.all(clients.map((c) => c.end()));
    }
    expect(t.parsed.length).toBe(before + files.length);
    const rows = await Promise.all(t.parsed.slice(before).map((id) => getFile(t.db.db, id)));
    for (const f of files) expect(rows.find((r) => r!.original_name === f.name)?.sha256).toBe(sha256(f.data));
  });

  it('receives each upload with its own bytes when one connection writes on several SFTP channels at once', async () => {
    const before = t.parsed.length;
    const raw = await connectRaw(t.port, 'acme', { password: ACME_PASSWORD });
    try {
      const second = await new Promise<ssh2.SFTPWrapper>((resolve, reject) => raw.conn.sftp((err, sftp) => (err ? reject(err) : resolve(sftp))));
      const channels = [raw.sftp, second, raw.sftp, second];
      const uploads = channels.map((sftp, i) => ({ sftp, name: `channel-${i}.csv`, data: randomBytes(1000 + i) }));
      const call = <T>(op: (cb: (err: Error | null | undefined, value?: T) => void) => void) =>
        new Promise<T>((resolve, reject) => op((err, value) => (err ? reject(err) : resolve(value as T))));
      // Every file opened and written before any is closed: each channel's uploads overlap the other's.
      const handles: Buffer[] = [];
      for (const u of uploads) {
        const handle = await call<Buffer>((cb) => u.sftp.open(`/inbound/${u.name}`, 'w', cb));
        await call((cb) => u.sftp.write(handle, u.data, 0, u.data.length, 0, cb));
        handles.push(handle);
      }
      await Promise.all(uploads.map((u, i) => call((cb) => u.sftp.close(handles[i]!, cb))));
      expect(t.parsed.length).toBe(before + uploads.length);
      const rows = await Promise.all(t.parsed.slice(before).map((id) => getFile(t.db.db, id)));
      for (const u of uploads) expect(rows.find((r) => r!.original_name === u.name)?.sha256).toBe(sha256(u.data));
    } finally {
      raw.end();
    }
  });

  it('lets the customer list, download and delete results written by the deliverer (and never shows its temporary files)', async () => {
    const deliverer = sftpServerDeliverer({ dataDir: t.dataDir });
    const resultPath = join(t.dir, 'orders.result.csv');
    writeFileSync(resultPath, 'line,status\n1,OK\n');
    const file = { id: 'f1', customer: 'acme', reply_to: { channel: 'sftp', customer: 'acme', username: 'acme' } } as unknown as FileRow;
    await deliverer.deliver(file, [{ name: 'orders.result.csv', path: resultPath }]);
    writeFileSync(join(sftpOutboundDir(t.dataDir, 'acme'), '.in-progress.partial'), 'half');
    const download = join(t.dir, 'downloaded.csv');
    const result = await runSftpBatch(t.port, 'acme', t.acmeKey.path, ['ls -1 /outbound', `get /outbound/orders.result.csv ${download}`, 'rm /outbound/orders.result.csv', 'ls -1 /outbound'], { cwd: t.dir });
    expect(result.code).toBe(0);
    expect(result.stdout.match(/orders\.result\.csv/g)?.length).toBeGreaterThanOrEqual(2);
    expect(result.stdout).not.toContain('in-progress');
    expect(readFileSync(download, 'utf8')).toBe('line,status\n1,OK\n');
    expect(existsSync(join(sftpOutboundDir(t.dataDir, 'acme'), 'orders.result.csv'))).toBe(false);
  });

  it('refuses to deliver a file that did not come through the SFTP server', async () => {
    const deliverer = sftpServerDeliverer({ dataDir: t.dataDir });
    const file = { id: 'f2', customer: 'acme', reply_to: { channel: 'folder' } } as unknown as FileRow;
    await expect(deliverer.deliver(file, [])).rejects.toMatchObject({ code: 'SFTP_DELIVERY_NO_REPLY_ADDRESS' });
  });

  it('answers a client that stats its file right after the upload (size of what was received)', async () => {
    const client = await connectClient(t.port, 'acme', { password: ACME_PASSWORD });
    try {
      await client.put(Buffer.from('12345'), '/inbound/stat-me.csv');
      expect((await client.stat('/inbound/stat-me.csv')).size).toBe(5);
    } finally {
      await client.end();
    }
  });
});

describe('sftp server hand-over to the inbox', () => {
  it('answers the CLOSE only after inbox.receive resolved', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let receiveResolved = false;
    const inbox: Pick<Inbox, 'receive'> = {
      async receive(file) {
        for await (const _ of file.content as AsyncIterable<Uint8Array>) void _;
        await gate;
        receiveResolved = true;
        return { fileId: 'slow', state: 'QUEUED', sha256: '', sizeBytes: 0 };
      },
    };
    const t = await startTestServer({ inbox });
    try {
      const client = await connectClient(t.port, 'acme', { password: ACME_PASSWORD });
      let putDone = false;
      const put = client.put(Buffer.from('slow'), '/inbound/slow.csv').then(() => (putDone = true));
      await new Promise((r) => setTimeout(r, 300));
      expect(putDone).toBe(false);
      release();
      await put;
      expect(receiveResolved).toBe(true);
      await client.end();
    } finally {
      await t.close();
    }
  });

  it('gives the client FAILURE with a message when the inbox fails, and keeps nothing', async () => {
    const inbox: Pick<Inbox, 'receive'> = {
      async receive() {
        throw new Error('database is down: connection refused at 10.0.0.5');
      },
    };
    const t = await startTestServer({ inbox });
    try {
      const client = await connectClient(t.port, 'acme', { password: ACME_PASSWORD });
      const error = await client.put(Buffer.from('data'), '/inbound/fails.csv').catch((e: Error) => e);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toContain('could not be received');
      // Internal details stay in our log, not in the customer's client.
      expect((error as Error).message).not.toContain('10.0.0.5');
      await client.end();
      expect(readdirSync(t.uploadsDir)).toEqual([]);
    } finally {
      await t.close();
    }
  });
});

describe('sftp server host key', () => {
  it('generates an ed25519 host key once (mode 0600), keeps it across restarts, and its fingerprint is what ssh-keygen prints', async () => {
    const t = await startTestServer();
    try {
      const keyPath = join(t.dataDir, 'host-keys', 'ssh_host_ed25519_key');
      expect(statSync(keyPath).mode & 0o777).toBe(0o600);
      const first = t.server.hostKeyFingerprint;
      const printed = execFileSync('ssh-keygen', ['-lf', `${keyPath}.pub`]).toString();
      expect(printed).toContain(first);
      const again = new SftpServer({ host: '127.0.0.1', port: 0, dataDir: t.dataDir, inbox: { receive: async () => ({ fileId: '', state: 'QUEUED', sha256: '', sizeBytes: 0 }) }, logger: silentLogger });
      await again.start();
      expect(again.hostKeyFingerprint).toBe(first);
      await again.close();
      // A client that pins the key (strict known_hosts) connects: the key it sees is the one we publish.
      const knownHosts = join(t.dir, 'known_hosts');
      writeFileSync(knownHosts, `[127.0.0.1]:${t.port} ${t.server.hostPublicKey}\n`);
      const pinned = await runSftpBatch(t.port, 'acme', t.acmeKey.path, ['pwd'], { extraArgs: ['-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${knownHosts}`] });
      expect(pinned.code).toBe(0);
    } finally {
      await t.close();
    }
  });
});

describe('sftp server limits', () => {
  it('refuses an upload over the size limit with "quota exceeded" and keeps nothing', async () => {
    const t = await startTestServer({ maxFileBytes: 1024 * 1024 });
    try {
      const client = await connectClient(t.port, 'acme', { password: ACME_PASSWORD });
      const error = await client.put(randomBytes(3 * 1024 * 1024), '/inbound/too-big.bin').catch((e: Error) => e);
      expect((error as Error).message).toContain('quota exceeded');
      await client.end();
      writeFileSync(join(t.dir, 'too-big.bin'), randomBytes(2 * 1024 * 1024));
      const batch = await runSftpBatch(t.port, 'acme', t.acmeKey.path, ['put too-big.bin /inbound/too-big.bin'], { cwd: t.dir });
      expect(batch.code).not.toBe(0);
      await eventually(() => readdirSync(t.uploadsDir).length === 0);
      expect(t.parsed).toEqual([]);
    } finally {
      await t.close();
    }
  });

  it('refuses a write that would leave a hole (1 byte at 30 MiB) with FAILURE, and spools and queues nothing', async () => {
    const t = await startTestServer();
    try {
      const raw = await connectRaw(t.port, 'acme', { password: ACME_PASSWORD });
      const handle = (await raw.call<Buffer>((cb) => raw.sftp.open('/inbound/orders_sparse.csv', 'w', cb))).value!;
      const write = await raw.call((cb) => raw.sftp.write(handle, Buffer.from('x'), 0, 1, 30 * 1024 * 1024, cb));
      expect(write).toMatchObject({ code: STATUS_CODE.FAILURE, message: expect.stringContaining('bytes from 0 on have not arrived yet') });
      expect((await raw.call((cb) => raw.sftp.close(handle, cb))).code).toBe(STATUS_CODE.FAILURE);
      raw.end();
      expect(t.parsed).toEqual([]);
      expect(readdirSync(t.uploadsDir)).toEqual([]);
      expect(existsSync(t.spoolDir) ? readdirSync(t.spoolDir, { recursive: true }).filter((f) => statSync(join(t.spoolDir, String(f))).isFile()) : []).toEqual([]);
    } finally {
      await t.close();
    }
  });

  it('refuses at the close an upload whose out-of-order writes left a gap, naming the missing bytes', async () => {
    const t = await startTestServer();
    try {
      const raw = await connectRaw(t.port, 'acme', { password: ACME_PASSWORD });
      const handle = (await raw.call<Buffer>((cb) => raw.sftp.open('/inbound/gappy.csv', 'w', cb))).value!;
      expect((await raw.call((cb) => raw.sftp.write(handle, Buffer.from('abc'), 0, 3, 0, cb))).code).toBe(0);
      // Within the reordering window fastPut needs, so the write itself is taken; the gap is what the close refuses.
      expect((await raw.call((cb) => raw.sftp.write(handle, Buffer.from('xyz'), 0, 3, 1024 * 1024, cb))).code).toBe(0);
      const close = await raw.call((cb) => raw.sftp.close(handle, cb));
      expect(close).toMatchObject({ code: STATUS_CODE.FAILURE, message: expect.stringContaining(`bytes 3 to ${1024 * 1024 - 1} never arrived`) });
      raw.end();
      expect(t.parsed).toEqual([]);
      await eventually(() => readdirSync(t.uploadsDir).length === 0);
    } finally {
      await t.close();
    }
  });

  it('continues a held upload at its end within the session: OpenSSH reput and ssh2-sftp-client append', async () => {
    const t = await startTestServer();
    try {
      const whole = randomBytes(3 * 1024 * 1024 + 17);
      writeFileSync(join(t.dir, 'resume.bin'), whole);
      writeFileSync(join(t.dir, 'resume-start.bin'), whole.subarray(0, 1024 * 1024 + 5));
      const batch = await runSftpBatch(
        t.port,
        'acme',
        t.acmeKey.path,
        ['put resume-start.bin /inbound/reput.bin.filepart', 'reput resume.bin /inbound/reput.bin.filepart', 'rename /inbound/reput.bin.filepart /inbound/reput.bin'],
        { cwd: t.dir },
      );
      expect(batch).toMatchObject({ code: 0 });
      const client = await connectClient(t.port, 'acme', { password: ACME_PASSWORD });
      try {
        await client.put(whole.subarray(0, 2 * 1024 * 1024), '/inbound/append.bin.part');
        await client.append(whole.subarray(2 * 1024 * 1024), '/inbound/append.bin.part');
        await client.rename('/inbound/append.bin.part', '/inbound/append.bin');
      } finally {
        await client.end();
      }
      const rows = await Promise.all(t.parsed.map((id) => getFile(t.db.db, id)));
      expect(rows.map((r) => ({ name: r!.original_name, size: r!.size_bytes, sha256: r!.sha256 }))).toEqual(
        ['reput.bin', 'append.bin'].map((name) => ({ name, size: whole.length, sha256: sha256(whole) })),
      );
    } finally {
      await t.close();
    }
  });

  it('applies an account limit below the server limit', async () => {
    const t = await startTestServer();
    try {
      const accounts = [{ customer: 'acme', username: 'acme', authorizedKeys: [t.acmeKey.publicKey], maxFileBytes: 10 }];
      t.server.setAccounts(accounts);
      writeFileSync(join(t.dir, 'eleven.txt'), '01234567890');
      const batch = await runSftpBatch(t.port, 'acme', t.acmeKey.path, ['put eleven.txt /inbound/eleven.txt'], { cwd: t.dir });
      expect(batch.code).not.toBe(0);
      expect(t.parsed).toEqual([]);
    } finally {
      await t.close();
    }
  });

  it('refuses a login beyond the account\'s concurrent sessions, and accepts it again once one closes', async () => {
    const t = await startTestServer({ maxSessionsPerAccount: 2 });
    try {
      const first = await connectClient(t.port, 'acme', { password: ACME_PASSWORD });
      const second = await connectClient(t.port, 'acme', { password: ACME_PASSWORD });
      await expect(connectClient(t.port, 'acme', { password: ACME_PASSWORD })).rejects.toThrow();
      // Another account is not affected.
      const other = await connectClient(t.port, 'acme2', { privateKey: t.acme2Key.privateKey });
      await other.end();
      await first.end();
      await eventually(async () => {
        const c = await connectClient(t.port, 'acme', { password: ACME_PASSWORD }).catch(() => undefined);
        await c?.end();
        return c !== undefined;
      });
      await second.end();
    } finally {
      await t.close();
    }
  });

  it('closes an idle connection', async () => {
    const t = await startTestServer({ idleTimeoutMs: 300 });
    try {
      const raw = await connectRaw(t.port, 'acme', { password: ACME_PASSWORD });
      const closed = new Promise<void>((resolve) => raw.conn.on('close', () => resolve()));
      await closed;
    } finally {
      await t.close();
    }
  });

  it('negotiates only modern algorithms: no CBC, no SHA-1 MACs, no SHA-1 key exchange', async () => {
    const t = await startTestServer();
    try {
      // MACs only matter with a non-AEAD cipher, so the SHA-1 MAC is offered next to aes128-ctr.
      for (const options of [['Ciphers=aes128-cbc'], ['Ciphers=aes128-ctr', 'MACs=hmac-sha1'], ['KexAlgorithms=diffie-hellman-group14-sha1']]) {
        const batch = await runSftpBatch(t.port, 'acme', t.acmeKey.path, ['pwd'], { extraArgs: options.flatMap((o) => ['-o', o]) });
        expect(batch.code, options.join(' ')).not.toBe(0);
        expect(batch.stderr, options.join(' ')).toMatch(/no matching|Connection closed/);
      }
      for (const cipher of ['aes128-gcm@openssh.com', 'aes256-gcm@openssh.com', 'chacha20-poly1305@openssh.com']) {
        const batch = await runSftpBatch(t.port, 'acme', t.acmeKey.path, ['pwd'], { extraArgs: ['-o', `Ciphers=${cipher}`, '-o', 'KexAlgorithms=curve25519-sha256'] });
        expect(batch.code, cipher).toBe(0);
      }
    } finally {
      await t.close();
    }
  });
});
