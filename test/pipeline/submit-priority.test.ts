import { afterAll, expect, it } from 'vitest';
import { Worker } from 'bullmq';
import { PipelineQueues, redisConnection, submitPriority } from '../../src/pipeline/queues.ts';
import type { SubmitJob } from '../../src/pipeline/jobs.ts';
import { deleteQueueKeys, TEST_REDIS_URL, testQueuePrefix } from '../support/redis.ts';
import { waitFor } from '../support/wait-for.ts';

const prefix = testQueuePrefix();
afterAll(() => deleteQueueKeys(prefix));

it("a small file's documents are submitted before a large file's remaining ones, not after all of them", async () => {
  const queues = new PipelineQueues({ redisUrl: TEST_REDIS_URL, prefix });
  const connection = redisConnection(TEST_REDIS_URL);
  const taken: SubmitJob[] = [];
  try {
    // The large file's 2,000 documents are queued first, the three-line upload's after them.
    await queues.enqueueSubmits(Array.from({ length: 2000 }, (_, idx) => ({ fileId: 'f_large', idx })));
    await queues.enqueueSubmits([0, 1, 2].map((idx) => ({ fileId: 'f_small', idx })));
    const worker = new Worker<SubmitJob>('submit', async (job) => void taken.push(job.data), { connection, prefix, concurrency: 1 });
    try {
      await waitFor('every document taken', () => (taken.length === 2003 ? true : undefined), 60_000, 20);
    } finally {
      await worker.close();
    }
    const lastSmall = taken.findLastIndex((job) => job.fileId === 'f_small');
    expect(lastSmall).toBeLessThan(20);
    // One file's documents still leave in their own order.
    const large = taken.filter((job) => job.fileId === 'f_large').map((job) => job.idx);
    expect(large).toEqual([...large].sort((a, b) => a - b));
  } finally {
    await queues.close();
    connection.disconnect();
  }
}, 90_000);

it('gives each document a BullMQ priority from 1 (a file\'s first) growing with the log of its place', () => {
  expect([0, 1, 2, 3, 6, 7, 19_999].map((idx) => submitPriority({ fileId: 'f', idx }))).toEqual([1, 2, 2, 3, 3, 4, 15]);
});
