/**
 * Our SFTP server against OpenSSH's own `internal-sftp`, same machine, same run, same client (OpenSSH's `sftp`
 * in batch mode): one large upload (default 200 MB) and many small files (default 500 of 4 KB).
 *
 * Ours runs with a real Inbox (PGlite ledger, spool that fsyncs each file before the client hears OK); OpenSSH
 * writes to the page cache only. So the ratio is "durable intake" against "plain file server": below 1 is
 * expected for small files (one fsync per file). Each figure is the best of RUNS runs (default 2) and includes
 * the login (~0.1 s per batch).
 *
 *   npm run bench:sftp            # or: npx tsx bench/sftp.ts [bigMB] [smallFiles]
 *   BENCH_NULL_INBOX=1 npm run bench:sftp   # an inbox that only reads the bytes: the server's own cost
 *
 * Needs `sftp`, `ssh-keygen` (openssh-client) and `sshd` (openssh-server). The bench starts its own sshd with its
 * own config, host key and authorized key on a random port, and stops it at the end.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { SftpServer } from '../src/channels/sftp-server/sftp-server.ts';
import { Inbox } from '../src/inbox/inbox.ts';
import { migrateLedger } from '../src/ledger/migrations.ts';
import { silentLogger } from '../src/log/logger.ts';
import { openDb } from '../src/store/db.ts';
import { generateSshKeyPair } from '../src/channels/sftp-server/generate-key-pair.ts';

const bigMb = Number(process.argv[2] ?? 200);
const smallCount = Number(process.argv[3] ?? 500);
const smallBytes = 4096;
const runs = Number(process.env.RUNS ?? 2);
const SSHD = ['/usr/sbin/sshd', '/usr/bin/sshd'].find((p) => existsSync(p));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function sftpBatch(port: number, user: string, key: string, commands: string[], cwd: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(
      'sftp',
      ['-b', '-', '-P', String(port), '-i', key, '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-o', 'LogLevel=ERROR', `${user}@127.0.0.1`],
      { cwd, stdio: ['pipe', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve((performance.now() - started) / 1000) : reject(new Error(`sftp exited ${code}: ${stderr}`))));
    child.stdin.end(`${commands.join('\n')}\n`);
  });
}

async function startSshd(dir: string, publicKey: string): Promise<{ port: number; root: string; child: ChildProcess }> {
  if (!SSHD) throw new Error('sshd not found: apt-get install -y openssh-server');
  // sshd refuses to start without its privilege-separation directory.
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const port = await freePort();
  const root = join(dir, 'openssh-root');
  mkdirSync(join(root, 'inbound'), { recursive: true });
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'sshd_host_key')]);
  writeFileSync(join(dir, 'authorized_keys'), `${publicKey}\n`, { mode: 0o600 });
  const config = join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'sshd_host_key')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'StrictModes no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin prohibit-password',
      'UsePAM no',
      'Subsystem sftp internal-sftp',
      `ForceCommand internal-sftp -d ${root}`,
      '',
    ].join('\n'),
  );
  const child = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  // Ready once it accepts a TCP connection.
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`sshd exited: ${stderr}`);
    const up = await new Promise<boolean>((resolve) => {
      const socket = new Socket();
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
      socket.connect(port, '127.0.0.1');
    });
    if (up) return { port, root, child };
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`sshd did not come up: ${stderr}`);
}

async function best(label: string, run: () => Promise<number>): Promise<number> {
  let fastest = Infinity;
  for (let i = 0; i < runs; i++) fastest = Math.min(fastest, await run());
  process.stderr.write(`  ${label}: best ${fastest.toFixed(2)} s\n`);
  return fastest;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'intake-bench-sftp-'));
  let sshd: ChildProcess | undefined;
  let server: SftpServer | undefined;
  let db: Awaited<ReturnType<typeof openDb>> | undefined;
  try {
    const user = userInfo().username;
    const pair = generateSshKeyPair('ed25519');
    const key = join(dir, 'client_key');
    writeFileSync(key, pair.private, { mode: 0o600 });
    const work = join(dir, 'work');
    mkdirSync(join(work, 'small'), { recursive: true });
    writeFileSync(join(work, 'big.bin'), randomBytes(bigMb * 1024 * 1024));
    for (let i = 0; i < smallCount; i++) writeFileSync(join(work, 'small', `f${String(i).padStart(5, '0')}.csv`), randomBytes(smallBytes));

    db = await openDb({ kind: 'pglite' });
    await migrateLedger(db);
    const spoolDir = join(dir, 'spool');
    // BENCH_NULL_INBOX=1: an inbox that only reads the bytes, to tell the server's own cost from the spool's fsyncs.
    const nullInbox = { receive: async (file: { content: AsyncIterable<Uint8Array> | Uint8Array }) => {
      if (!(file.content instanceof Uint8Array)) for await (const _ of file.content) void _;
      return { fileId: 'null', state: 'QUEUED' as const, sha256: '', sizeBytes: 0 };
    } };
    const inbox = process.env.BENCH_NULL_INBOX === '1' ? nullInbox : new Inbox({ db, spoolDir, queues: { enqueueParse: async () => {}, enqueueFinalize: async () => {} }, logger: silentLogger, duplicateWindowHours: 0, maxFileBytes: 4 * 1024 ** 3 });
    server = new SftpServer({ host: '127.0.0.1', port: 0, dataDir: join(dir, 'sftp-data'), inbox, logger: silentLogger, maxFileBytes: 4 * 1024 ** 3, accounts: [{ customer: 'bench', username: 'bench', authorizedKeys: [pair.public] }] });
    await server.start();
    const openssh = await startSshd(dir, pair.public);
    sshd = openssh.child;

    const bigCmd = ['put big.bin inbound/big.bin'];
    const smallCmd = ['put small/* inbound/'];
    const clearOurs = () => rmSync(spoolDir, { recursive: true, force: true });
    const clearOpenssh = () => {
      rmSync(join(openssh.root, 'inbound'), { recursive: true, force: true });
      mkdirSync(join(openssh.root, 'inbound'));
    };
    process.stderr.write(`big file ${bigMb} MB, ${smallCount} files of ${smallBytes} B, best of ${runs}\n`);
    const oursBig = await best('ours big', async () => (clearOurs(), sftpBatch(server!.port, 'bench', key, bigCmd, work)));
    const opensshBig = await best('openssh big', async () => (clearOpenssh(), sftpBatch(openssh.port, user, key, bigCmd, work)));
    const oursSmall = await best('ours small', async () => (clearOurs(), sftpBatch(server!.port, 'bench', key, smallCmd, work)));
    const opensshSmall = await best('openssh small', async () => (clearOpenssh(), sftpBatch(openssh.port, user, key, smallCmd, work)));

    const mbps = (s: number) => (bigMb * 1.048576) / s;
    const fps = (s: number) => smallCount / s;
    const rows = [
      ['', 'ours (inbox, fsync)', 'openssh internal-sftp', 'ours/openssh'],
      [`${bigMb} MB upload, MB/s`, mbps(oursBig).toFixed(1), mbps(opensshBig).toFixed(1), `${(opensshBig / oursBig).toFixed(2)}x`],
      [`${smallCount} x 4 KB, files/s`, fps(oursSmall).toFixed(0), fps(opensshSmall).toFixed(0), `${(opensshSmall / oursSmall).toFixed(2)}x`],
    ];
    for (const row of rows) console.log(`${row[0]!.padEnd(22)} ${row[1]!.padStart(20)} ${row[2]!.padStart(22)} ${row[3]!.padStart(12)}`);
  } finally {
    if (sshd && sshd.exitCode === null) sshd.kill('SIGTERM');
    await server?.close();
    await db?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
