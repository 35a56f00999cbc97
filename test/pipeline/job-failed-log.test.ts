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

it('failures repeating one error (an outage) make one line with the stack and one with every file id, not a stack trace per job', async () => {
  const outagePrefix = testQueuePrefix();
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({ write: (chunk, _encoding, done) => (lines.push(...String(chunk).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)), done()) });
  const fail = async (job: { fileId: string }) => {
    throw new Error(job.fileId === 'f_outage_other' ? 'a mapping bug' : 'connect ECONNREFUSED 127.0.0.1:5432');
  };
  const workers = new PipelineWorkers(
    { parse: fail, submit: fail, finalize: fail, deliver: fail, parseGaveUp: fail },
    { redisUrl: TEST_REDIS_URL, prefix: outagePrefix, lockMs: 5000, concurrency: { parse: 1, submit: 1, finalize: 4, deliver: 1 }, logger: createLogger({ level: 'info', destination }) },
  );
  const queues = new PipelineQueues({ redisUrl: TEST_REDIS_URL, prefix: outagePrefix });
  const fileIds = Array.from({ length: 30 }, (_, i) => `f_outage_${i}`);
  try {
    workers.start(['finalize']);
    // One attempt each, so the count of failed jobs says when every failure has happened.
    for (const fileId of [...fileIds, 'f_outage_other']) await queues.queue('finalize').add('finalize', { fileId }, { jobId: `finalize-${fileId}` });
    await waitFor('every job to fail', async () => ((await queues.queue('finalize').getJobCountByTypes('failed')) === 31 ? true : undefined), 30_000, 50);
  } finally {
    await workers.close();
    await queues.close();
    await deleteQueueKeys(outagePrefix);
  }
  const first = lines.filter((l) => l.msg === 'job failed');
  expect(first.map((l) => (l.err as { message: string }).message).sort()).toEqual(['a mapping bug', 'connect ECONNREFUSED 127.0.0.1:5432']);
  for (const line of first) expect((line.err as { stack: string }).stack).toMatch(/\n\s+at /);
  const repeats = lines.filter((l) => l.msg === 'job failed again, same error');
  expect(repeats).toHaveLength(1);
  expect(repeats[0]).toMatchObject({ stage: 'finalize', error: 'connect ECONNREFUSED 127.0.0.1:5432', repeats: 29 });
  expect(repeats[0]).not.toHaveProperty('err');
  // Every file whose job failed can still be found by its id.
  const outageFirst = first.find((l) => (l.err as { message: string }).message !== 'a mapping bug')!;
  expect([outageFirst.fileId, ...(repeats[0]!.fileIds as string[])].sort()).toEqual([...fileIds].sort());
}, 60_000);
