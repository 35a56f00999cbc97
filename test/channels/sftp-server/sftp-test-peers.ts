import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import SftpClient from 'ssh2-sftp-client';
import { Inbox } from '../../../src/inbox/inbox.ts';
import { migrateLedger } from '../../../src/ledger/migrations.ts';
import { silentLogger, type Logger } from '../../../src/log/logger.ts';
import { hashSftpPassword } from '../../../src/channels/sftp-server/check-credentials.ts';
import { SftpServer } from '../../../src/channels/sftp-server/sftp-server.ts';
import type { SftpServerOptionsInput } from '../../../src/channels/sftp-server/sftp-server-options.ts';
import { createTestDb, type TestDatabase } from '../../support/stores.ts';
import { generateSshKeyPair } from '../../../src/channels/sftp-server/generate-key-pair.ts';

export const ACME_PASSWORD = 'acme-correct-horse-battery';
export const ACME2_PASSWORD = 'acme2-correct-horse-battery';

export interface ClientKey {
  /** Private key file (mode 0600) for OpenSSH's `-i`. */
  path: string;
  privateKey: string;
  publicKey: string;
}

export function makeClientKey(dir: string, name: string, type: 'ed25519' | 'rsa' = 'ed25519'): ClientKey {
  const pair = generateSshKeyPair(type, name);
  const path = join(dir, name);
  writeFileSync(path, pair.private, { mode: 0o600 });
  return { path, privateKey: pair.private, publicKey: pair.public };
}

export interface TestServer {
  server: SftpServer;
  dir: string;
  dataDir: string;
  port: number;
  db: TestDatabase;
  parsed: string[];
  acmeKey: ClientKey;
  acme2Key: ClientKey;
  strangerKey: ClientKey;
  uploadsDir: string;
  spoolDir: string;
  close(): Promise<void>;
}

let cachedHashes: Promise<[string, string]> | undefined;

/**
 * A real server over a real Inbox (PGlite ledger, spool on disk that fsyncs) with two customers, `acme` and
 * `acme2` (the sibling-prefix pair), each with a password and a key.
 */
export async function startTestServer(overrides: Partial<SftpServerOptionsInput> & { inbox?: Pick<Inbox, 'receive'>; logger?: Logger } = {}): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'sftp-server-test-'));
  const db = await createTestDb('pglite');
  await migrateLedger(db.db);
  const parsed: string[] = [];
  const spoolDir = join(dir, 'spool');
  const inbox =
    overrides.inbox ??
    new Inbox({
      db: db.db,
      spoolDir,
      queues: { enqueueParse: async (job) => void parsed.push(job.fileId), enqueueFinalize: async () => {} },
      logger: silentLogger,
      duplicateWindowHours: 0,
      maxFileBytes: 1024 * 1024 * 1024,
    });
  cachedHashes ??= Promise.all([hashSftpPassword(ACME_PASSWORD), hashSftpPassword(ACME2_PASSWORD)]);
  const [acmeHash, acme2Hash] = await cachedHashes;
  const acmeKey = makeClientKey(dir, 'acme_key');
  const acme2Key = makeClientKey(dir, 'acme2_key');
  const strangerKey = makeClientKey(dir, 'stranger_key');
  const dataDir = join(dir, 'data');
  const { inbox: _inbox, logger, ...options } = overrides;
  const server = new SftpServer({
    host: '127.0.0.1',
    port: 0,
    dataDir,
    accounts: [
      { customer: 'acme', username: 'acme', passwordHashes: [acmeHash], authorizedKeys: [acmeKey.publicKey] },
      { customer: 'acme2', username: 'acme2', passwordHashes: [acme2Hash], authorizedKeys: [acme2Key.publicKey] },
    ],
    ...options,
    inbox,
    logger: logger ?? silentLogger,
  });
  await server.start();
  return {
    server,
    dir,
    dataDir,
    port: server.port,
    db,
    parsed,
    acmeKey,
    acme2Key,
    strangerKey,
    uploadsDir: join(dataDir, 'uploads'),
    spoolDir,
    async close() {
      await server.close();
      await db.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface BatchResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * OpenSSH's `sftp` in batch mode (`-b -`: commands on stdin; a failing command stops the batch unless it starts
 * with `-`). Key login only: BatchMode forbids password prompts.
 */
export function runSftpBatch(port: number, user: string, keyPath: string, commands: string[], options: { cwd?: string; extraArgs?: string[] } = {}): Promise<BatchResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'sftp',
      [
        // OpenSSH keeps the first value given for an option: the test's own options go first.
        ...(options.extraArgs ?? []),
        '-b',
        '-',
        '-P',
        String(port),
        '-i',
        keyPath,
        '-o',
        'StrictHostKeyChecking=no',
        '-o',
        'UserKnownHostsFile=/dev/null',
        '-o',
        'BatchMode=yes',
        '-o',
        'IdentitiesOnly=yes',
        '-o',
        'IdentityAgent=none',
        '-o',
        'LogLevel=ERROR',
        `${user}@127.0.0.1`,
      ],
      { cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(commands.join('\n') + '\n');
  });
}

/**
 * curl (libssh2's SFTP) with a password; `operations` are curl arguments, several transfers joined by `--next`
 * share one connection, as they do when a customer's script runs one curl command.
 */
export function runCurlSftp(port: number, user: string, password: string, operations: string[][]): Promise<BatchResult> {
  const login = ['-sS', '--insecure', '-u', `${user}:${password}`];
  const args = operations.flatMap((op, i) => [...(i > 0 ? ['--next'] : []), ...login, ...op.map((a) => a.replace('{port}', String(port)))]);
  return new Promise((resolve, reject) => {
    execFile('curl', args, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') return reject(error);
      resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
    });
  });
}

/** ssh2-sftp-client, connected; password or key. No retries: a refused login must fail at once. */
export async function connectClient(port: number, username: string, auth: { password: string } | { privateKey: string }): Promise<SftpClient> {
  const client = new SftpClient();
  await client.connect({ host: '127.0.0.1', port, username, ...auth, readyTimeout: 10_000, retries: 0 } as SftpClient.ConnectOptions);
  return client;
}

/** Resolves once `check` is true (polled), or throws after `timeoutMs`. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A raw ssh2 SFTP client: each call sends exactly one request, so an attack reaches the server as written. */
export interface RawSftp {
  sftp: ssh2.SFTPWrapper;
  conn: ssh2.Client;
  /** Runs one request; resolves to the status code of its error (0 when it succeeded) and the value. */
  call<T>(op: (cb: (err: (Error & { code?: number }) | null | undefined, value?: T) => void) => void): Promise<{ code: number; message: string; value?: T }>;
  end(): void;
}

export function connectRaw(port: number, username: string, auth: { password: string } | { privateKey: string }): Promise<RawSftp> {
  return new Promise((resolve, reject) => {
    const conn = new ssh2.Client();
    conn.on('error', reject);
    conn.on('ready', () => {
      conn.sftp((err, sftp) => {
        if (err) return reject(err);
        resolve({
          sftp,
          conn,
          call: (op) =>
            new Promise((done) => {
              op((error, value) => done(error ? { code: typeof error.code === 'number' ? error.code : -1, message: error.message } : { code: 0, message: '', ...(value === undefined ? {} : { value }) }));
            }),
          end: () => conn.end(),
        });
      });
    });
    conn.connect({ host: '127.0.0.1', port, username, ...auth, readyTimeout: 10_000 });
  });
}

/** A TCP connection that sends an SSH ident line (or nothing) and then sits, as a connection flood does. */
export interface IdleConnection {
  /** `held`: the server answered with its own ident line; `refused`: it closed the connection without a byte. */
  outcome: 'held' | 'refused';
  socket: Socket;
  /** Resolves when the connection is closed (by either side). */
  closed: Promise<void>;
}

export function openIdleConnection(port: number, options: { ident?: boolean } = {}): Promise<IdleConnection> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const closed = new Promise<void>((done) => socket.once('close', () => done()));
    socket.once('connect', () => {
      if (options.ident ?? true) socket.write('SSH-2.0-x\r\n');
    });
    socket.once('data', () => resolve({ outcome: 'held', socket, closed }));
    // A refusal may arrive as a reset: the outcome is the same.
    socket.on('error', () => undefined);
    socket.once('close', () => resolve({ outcome: 'refused', socket, closed }));
  });
}
