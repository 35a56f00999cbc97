import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordReceivedFile, setFileState } from '../../src/ledger/files-repo.ts';
import { loadFileStory } from '../../src/ledger/file-story.ts';
import { migrateLedger } from '../../src/ledger/migrations.ts';
import { silentLogger } from '../../src/log/logger.ts';
import { runDeliverJob } from '../../src/pipeline/deliver-stage.ts';
import { resultDir } from '../../src/pipeline/finalize-stage.ts';
import { jobIds } from '../../src/pipeline/jobs.ts';
import { PipelineQueues } from '../../src/pipeline/queues.ts';
import { PipelineWorkers } from '../../src/pipeline/workers.ts';
import { deleteQueueKeys, testQueuePrefix, TEST_REDIS_URL } from '../support/redis.ts';
import { createTestDb, type TestDatabase } from '../support/stores.ts';
import { waitFor } from '../support/wait-for.ts';

describe('the deliver stage: a result that cannot be delivered', () => {
  let t: TestDatabase;
  let resultsDir: string;
  const prefix = testQueuePrefix();
  let queues: PipelineQueues;
  let workers: PipelineWorkers | undefined;
  beforeAll(async () => {
    t = await createTestDb('postgres');
    await migrateLedger(t.db);
    resultsDir = mkdtempSync(join(tmpdir(), 'intake-results-'));
    queues = new PipelineQueues({ redisUrl: TEST_REDIS_URL, prefix });
  });
  afterAll(async () => {
    await workers?.close();
    await queues?.close();
    await deleteQueueKeys(prefix);
    await t?.drop();
    rmSync(resultsDir, { recursive: true, force: true });
  });

  async function finishedFile(id: string): Promise<void> {
    await recordReceivedFile(
      t.db,
      { fileId: id, customer: 'c', channel: 'sftp', originalName: 'o.csv', sender: '', sizeBytes: 1, sha256: id, receivedAt: new Date().toISOString() },
      '/nowhere',
      { duplicateWindowHours: 0 },
    );
    await setFileState(t.db, id, 'COMPLETED');
    await t.db.query(`INSERT INTO gateway.deliveries (file_id, channel, target, state) VALUES ($1, 'sftp', '{}', 'PENDING')`, [id]);
  }

  it('ends FAILED with its last error once the queue stops retrying, not RETRYING for ever', async () => {
    const id = 'deliver-never';
    await finishedFile(id);
    mkdirSync(resultDir(resultsDir, id), { recursive: true });
    writeFileSync(join(resultDir(resultsDir, id), 'o.csv.result.csv'), 'x');
    const failing = { deliver: async () => Promise.reject(new Error('outbound folder is full')) };
    workers = new PipelineWorkers(
      {
        parse: async () => undefined,
        submit: async () => undefined,
        finalize: async () => undefined,
        parseGaveUp: async () => undefined,
        deliver: (job) => runDeliverJob({ db: t.db, resultsDir, deliverers: { sftp: failing }, logger: silentLogger }, job),
      },
      { redisUrl: TEST_REDIS_URL, prefix, lockMs: 5000, logger: silentLogger, concurrency: { parse: 1, submit: 1, finalize: 1, deliver: 1 } },
    );
    workers.start(['deliver']);
    const job = { fileId: id, channel: 'sftp' };
    await queues.queue('deliver').add('deliver', job, { jobId: jobIds.deliver(job), attempts: 3, backoff: { type: 'fixed', delay: 10 } });

    await waitFor('the job to fail for good', async () => ((await queues.queue('deliver').getJobState(jobIds.deliver(job))) === 'failed' ? true : undefined), 20_000, 50);
    const story = await loadFileStory(t.db, id);
    expect(story?.deliveries).toEqual([expect.objectContaining({ channel: 'sftp', state: 'FAILED', attempts: 3, lastError: 'outbound folder is full' })]);
  }, 30_000);

  it('records results missing from the disk as the reason of a failed attempt', async () => {
    const id = 'deliver-no-results';
    await finishedFile(id);
    await expect(
      runDeliverJob({ db: t.db, resultsDir, deliverers: { sftp: { deliver: async () => undefined } }, logger: silentLogger }, { fileId: id, channel: 'sftp', lastAttempt: false }),
    ).rejects.toThrow(/ENOENT/);
    const story = await loadFileStory(t.db, id);
    expect(story?.deliveries).toEqual([expect.objectContaining({ state: 'RETRYING', attempts: 1, lastError: expect.stringContaining(resultDir(resultsDir, id)) })]);
  });

  it("records the names the results were delivered under (another file's result had the plain name), not the names on our disk", async () => {
    const id = 'deliver-renamed';
    await finishedFile(id);
    mkdirSync(resultDir(resultsDir, id), { recursive: true });
    writeFileSync(join(resultDir(resultsDir, id), 'o.csv.result.csv'), 'x');
    const tagging = { deliver: async () => [`o.csv.${id}.result.csv`] };
    await runDeliverJob({ db: t.db, resultsDir, deliverers: { sftp: tagging }, logger: silentLogger }, { fileId: id, channel: 'sftp', lastAttempt: false });
    const story = await loadFileStory(t.db, id);
    expect(story?.timeline.find((event) => event.state === 'DELIVERED')?.detail).toMatchObject({ results: [`o.csv.${id}.result.csv`] });
  });
});
