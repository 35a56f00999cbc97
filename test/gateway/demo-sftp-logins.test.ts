import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSftpPassword } from '../../src/channels/sftp-server/check-credentials.ts';
import { loadEnv } from '../../src/config/env.ts';
import { loadCustomerChannels, startChannels } from '../../src/gateway/channels.ts';
import { Inbox } from '../../src/inbox/inbox.ts';
import { migrateLedger } from '../../src/ledger/migrations.ts';
import { createLogger, silentLogger } from '../../src/log/logger.ts';
import { connectClient } from '../channels/sftp-server/sftp-test-peers.ts';
import { createTestDb, type TestDatabase } from '../support/stores.ts';

/** An operator's real account whose password happens to follow the demo's `<username>-demo` pattern. */
const OPERATOR = { customer: 'warehouse', username: 'warehouse-ops', password: 'warehouse-ops-demo' };

describe('the start-up log and the SFTP accounts', () => {
  let dir: string;
  let t: TestDatabase;
  let channels: Awaited<ReturnType<typeof startChannels>>;
  const lines: string[] = [];
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'intake-demo-logins-'));
    t = await createTestDb('pglite');
    await migrateLedger(t.db);
    const env = loadEnv({ DATA_DIR: join(dir, 'data'), MAPPINGS_DIR: 'mappings', SFTP_HOST: '127.0.0.1', SFTP_PORT: '0', ENGINE_DEMO: 'true' });
    const inbox = new Inbox({ db: t.db, spoolDir: join(dir, 'spool'), queues: { enqueueParse: async () => {}, enqueueFinalize: async () => {} }, logger: silentLogger, duplicateWindowHours: 0, maxFileBytes: env.MAX_FILE_BYTES });
    // The demo customers as shipped in mappings/, and the operator's own.
    const customers = [
      ...(await loadCustomerChannels('mappings', silentLogger)),
      { id: OPERATOR.customer, channels: { sftp: { username: OPERATOR.username, passwordHashes: [await hashSftpPassword(OPERATOR.password)] } } },
    ];
    const logger = createLogger({ destination: new Writable({ write: (chunk, _encoding, done) => (lines.push(String(chunk)), done()) }) });
    channels = await startChannels({ env, db: t.db, inbox, customers, logger });
  }, 60_000);
  afterAll(async () => {
    await channels?.close();
    await t?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("prints the demo customers' published logins, never an operator's password that merely looks like one", async () => {
    const client = await connectClient(channels.sftpPort!, OPERATOR.username, { password: OPERATOR.password });
    await client.end();

    const log = lines.join('');
    expect(log).toContain('sftp -P');
    expect(log).toContain('northwind@127.0.0.1  password: northwind-demo');
    expect(log).toContain('bluefin@127.0.0.1  password: bluefin-demo');
    expect(log).not.toContain(OPERATOR.password);
  });
});
