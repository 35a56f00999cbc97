import { Writable } from 'node:stream';
import { afterAll, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.ts';
import { PipelineQueues } from '../../src/pipeline/queues.ts';
import { PipelineWorkers } from '../../src/pipeline/workers.ts';
import { deleteQueueKeys, TEST_REDIS_URL, testQueuePrefix } from '../support/redis.ts';
import { waitFor } from '../support/wait-for.ts';

const prefix = testQueuePrefix();
afterAll(() => deleteQueueKeys(prefix));

it("a failed job's log line carries its file id as a field, so one file's story can be filtered from the log", async () => {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({ write: (chunk, _encoding, done) => (lines.push(...String(chunk).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)), done()) });
  const logger = createLogger({ level: 'info', destination });
  const fail = async () => {
    throw new Error('the ledger is away');
  };
  const workers = new PipelineWorkers(
    { parse: fail, submit: fail, finalize: fail, deliver: fail, parseGaveUp: fail },
    { redisUrl: TEST_REDIS_URL, prefix, lockMs: 5000, concurrency: { parse: 1, submit: 1, finalize: 1, deliver: 1 }, logger },
  );
  const queues = new PipelineQueues({ redisUrl: TEST_REDIS_URL, prefix });
  try {
    workers.start(['finalize']);
    await queues.enqueueFinalize({ fileId: 'f_job_failed_1' });
    const line = await waitFor('the failed job to be logged', async () => lines.find((l) => l.msg === 'job failed'), 15_000, 50);
    expect(line).toMatchObject({ stage: 'finalize', fileId: 'f_job_failed_1', jobId: 'finalize-f_job_failed_1' });
  } finally {
    await workers.close();
    await queues.close();
  }
});
