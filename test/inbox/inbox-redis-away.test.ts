import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Inbox } from '../../src/inbox/inbox.ts';
import { getFile } from '../../src/ledger/files-repo.ts';
import { migrateLedger } from '../../src/ledger/migrations.ts';
import { createLogger } from '../../src/log/logger.ts';
import { PipelineQueues } from '../../src/pipeline/queues.ts';
import { TestRedisServer } from '../support/redis-server.ts';
import { createTestDb, type TestDatabase } from '../support/stores.ts';
import { waitFor } from '../support/wait-for.ts';

let t: TestDatabase;
let redis: TestRedisServer;
let spoolDir: string;
beforeAll(async () => {
  t = await createTestDb('pglite');
  await migrateLedger(t.db);
  redis = await TestRedisServer.start();
  spoolDir = mkdtempSync(join(tmpdir(), 'intake-spool-'));
}, 60_000);
afterAll(async () => {
  await redis?.stop();
  await t?.drop();
  rmSync(spoolDir, { recursive: true, force: true });
});

it('tells the sender "received" while Redis is away (the file is spooled and recorded), and queues its job once Redis is back', async () => {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ level: 'info', destination: new Writable({ write: (chunk, _e, done) => (lines.push(JSON.parse(String(chunk)) as Record<string, unknown>), done()) }) });
  const queues = new PipelineQueues({ redisUrl: redis.url, prefix: '{inbox-redis-away}', logger });
  try {
    await queues.queue('parse').waitUntilReady();
    await redis.kill();
    const inbox = new Inbox({ db: t.db, spoolDir, queues, logger, duplicateWindowHours: 0, maxFileBytes: 1024 * 1024 });

    // Before, this waited for Redis as long as it was away: the sender gave up and sent the file again.
    const receipt = await inbox.receive({ customer: 'acme', channel: 'http', originalName: 'orders.csv', content: Buffer.from('order,sku\nA-1,S1\n') });
    expect(receipt.state).toBe('QUEUED');
    expect((await getFile(t.db, receipt.fileId))?.state).toBe('QUEUED');
    expect(lines).toContainEqual(expect.objectContaining({ level: 40, fileId: receipt.fileId, msg: expect.stringContaining('queued when Redis is back') }));

    await redis.restart();
    const job = await waitFor('the parse job', async () => (await queues.queue('parse').getJob(`parse-${receipt.fileId}`)) ?? undefined, 30_000);
    expect(job.data).toEqual({ fileId: receipt.fileId });
  } finally {
    await queues.close();
  }
}, 90_000);
