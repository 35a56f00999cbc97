import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { describe, expect, it } from 'vitest';
import { loadEnv } from '../../../src/config/env.ts';
import { startChannels } from '../../../src/gateway/channels.ts';
import { Inbox } from '../../../src/inbox/inbox.ts';
import { migrateLedger } from '../../../src/ledger/migrations.ts';
import { silentLogger } from '../../../src/log/logger.ts';
import { createTestDb } from '../../support/stores.ts';
import { connectRaw, makeClientKey } from './sftp-test-peers.ts';

const { STATUS_CODE } = ssh2.utils.sftp;

describe("the gateway's SFTP server", () => {
  it('refuses an upload at its first write over MAX_FILE_BYTES with "quota exceeded", not once all of it is on disk', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sftp-gateway-'));
    const t = await createTestDb('pglite');
    try {
      await migrateLedger(t.db);
      const env = loadEnv({ DATA_DIR: join(dir, 'data'), MAPPINGS_DIR: dir, SFTP_HOST: '127.0.0.1', SFTP_PORT: '0', MAX_FILE_BYTES: '1000' });
      const inbox = new Inbox({ db: t.db, spoolDir: join(dir, 'spool'), queues: { enqueueParse: async () => {}, enqueueFinalize: async () => {} }, logger: silentLogger, duplicateWindowHours: 0, maxFileBytes: env.MAX_FILE_BYTES });
      const key = makeClientKey(dir, 'acme_key');
      const channels = await startChannels({ env, db: t.db, inbox, customers: [{ id: 'acme', channels: { sftp: { username: 'acme', authorizedKeys: [key.publicKey] } } }], logger: silentLogger });
      try {
        const raw = await connectRaw(channels.sftpPort!, 'acme', { privateKey: key.privateKey });
        const handle = (await raw.call<Buffer>((cb) => raw.sftp.open('/inbound/orders.csv', 'w', cb))).value!;
        expect((await raw.call((cb) => raw.sftp.write(handle, Buffer.alloc(1000, 'a'), 0, 1000, 0, cb))).code).toBe(0);
        const over = await raw.call((cb) => raw.sftp.write(handle, Buffer.from('b'), 0, 1, 1000, cb));
        expect(over).toMatchObject({ code: STATUS_CODE.FAILURE, message: 'quota exceeded: files may be at most 1000 bytes' });
        raw.end();
      } finally {
        await channels.close();
      }
    } finally {
      await t.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
