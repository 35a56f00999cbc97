import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPEND_MAPPING, appendFile, CUSTOMER_YAML, PipelineCluster, sleep, tally, waitFor } from '../support/pipeline-processes.ts';
import { TestRedisServer } from '../support/redis-server.ts';

/**
 * Fault: the Redis server of the queues SIGKILLed mid-run and started again EMPTY (no AOF to load: a Redis without
 * persistence, a flush). Every queued job is gone; the ledger still knows the work. The workers that merely
 * reconnected left documents QUEUED with no job until someone restarted them (recovery ran at start-up only).
 */
describe('fault: Redis restarted empty mid-run', () => {
  let redis: TestRedisServer;
  let cluster: PipelineCluster;
  beforeAll(async () => {
    redis = await TestRedisServer.start();
    cluster = await PipelineCluster.create({
      redisUrl: redis.url,
      customers: { shipper: { customer: CUSTOMER_YAML, mappings: { 'orders.yaml': APPEND_MAPPING } } },
      workerEnv: { SUBMIT_CONCURRENCY: '4', ENGINE_TIMEOUT_MS: '1000', SUBMIT_MAX_ATTEMPTS: '30' },
    });
    await cluster.startEngine();
  }, 90_000);
  afterAll(async () => {
    await cluster?.close();
    await redis?.stop();
  }, 60_000);

  it('finishes every file without a restart of the workers: none lost, none twice', async () => {
    await cluster.startWorker();
    const files = [appendFile('RLO-A', 300, { perOrder: 3 }), appendFile('RLO-B', 300, { perOrder: 3 })];
    const ids = [(await cluster.receive('shipper', 'a.csv', files[0]!.csv)).fileId, (await cluster.receive('shipper', 'b.csv', files[1]!.csv)).fileId];
    await waitFor('the first documents accepted', async () => ((await cluster.documentStates(ids)).ACCEPTED ?? 0) >= 50 || undefined, 30_000, 20);
    await redis.kill();
    await sleep(1000);
    await redis.restart({ empty: true });

    const results = await cluster.waitForFinal(ids, 60_000);
    const counts = await Promise.all(files.map((f, i) => tally(cluster, ['RLO-A', 'RLO-B'][i]!, f.expected, [results[i]!])));
    const total = counts.reduce((a, c) => ({ expectedItems: a.expectedItems + c.expectedItems, lost: a.lost + c.lost, extra: a.extra + c.extra, appliedTwice: a.appliedTwice + c.appliedTwice }));
    expect(total).toEqual({ expectedItems: 1200, lost: 0, extra: 0, appliedTwice: 0 });
    expect(results.map((r) => r.state)).toEqual(['COMPLETED', 'COMPLETED']);
    expect(cluster.workers.every((w) => w.running)).toBe(true);
  }, 150_000);
});
