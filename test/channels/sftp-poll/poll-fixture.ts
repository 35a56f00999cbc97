import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Inbox } from '../../../src/inbox/inbox.ts';
import { migrateLedger } from '../../../src/ledger/migrations.ts';
import { createLogger, type Logger } from '../../../src/log/logger.ts';
import type { SftpPollConfigInput } from '../../../src/channels/sftp-poll/sftp-poll-schema.ts';
import { createTestDb, type StoreKind, type TestDatabase } from '../../support/stores.ts';
import { startOpenSshServer, type OpenSshServer } from './openssh-server.ts';

/** Everything a poller test needs: a real sshd over a temp "remote" tree, a real inbox over a test ledger, captured logs. */
export interface PollFixture {
  dir: string;
  sshd: OpenSshServer;
  t: TestDatabase;
  inbox: Inbox;
  parsed: string[];
  logger: Logger;
  logs: Array<Record<string, unknown>>;
  env: NodeJS.ProcessEnv;
  /** The remote tree (sshd serves the real file system; these paths are absolute on both sides). */
  remote: { inbound: string; outbound: string };
  config(overrides?: Partial<SftpPollConfigInput>): SftpPollConfigInput;
  cleanup(): Promise<void>;
}

export async function createPollFixture(kind: StoreKind = 'pglite'): Promise<PollFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'intake-sftp-poll-'));
  const sshd = await startOpenSshServer(join(dir, 'sshd'));
  const t = await createTestDb(kind);
  await migrateLedger(t.db);
  const parsed: string[] = [];
  const logs: Array<Record<string, unknown>> = [];
  const logger = createLogger({
    level: 'debug',
    destination: new Writable({
      write(chunk, _encoding, callback) {
        for (const line of String(chunk).split('\n')) if (line.trim() !== '') logs.push(JSON.parse(line) as Record<string, unknown>);
        callback();
      },
    }),
  });
  const inbox = new Inbox({
    db: t.db,
    spoolDir: join(dir, 'spool'),
    queues: { enqueueParse: async (job) => void parsed.push(job.fileId), enqueueFinalize: async () => undefined },
    logger,
    duplicateWindowHours: 24,
    maxFileBytes: 64 * 1024 * 1024,
  });
  const remote = { inbound: join(dir, 'remote', 'inbound'), outbound: join(dir, 'remote', 'outbound') };
  mkdirSync(remote.inbound, { recursive: true });
  mkdirSync(remote.outbound, { recursive: true });
  const env = { TEST_SFTP_POLL_KEY: sshd.clientPrivateKey };
  return {
    dir,
    sshd,
    t,
    inbox,
    parsed,
    logger,
    logs,
    env,
    remote,
    config: (overrides = {}) => ({
      host: '127.0.0.1',
      port: sshd.port,
      username: sshd.username,
      auth: { method: 'key', privateKey: { env: 'TEST_SFTP_POLL_KEY' } },
      hostKeySha256: sshd.hostKeySha256,
      inboundDir: remote.inbound,
      outboundDir: remote.outbound,
      pattern: '*',
      intervalSeconds: 0.2,
      minAgeSeconds: 0,
      ...overrides,
    }),
    async cleanup() {
      await sshd.stop();
      await t.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 15_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
