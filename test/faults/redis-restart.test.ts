import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPEND_MAPPING, appendFile, CUSTOMER_YAML, PipelineCluster, sleep, tally, waitFor } from '../support/pipeline-processes.ts';
import { TestRedisServer } from '../support/redis-server.ts';

/**
 * Fault 4: the Redis server the queues live on (one of the test's own: AOF, appendfsync always) SIGKILLed
 * mid-run and started again on the same port and directory, twice: once while files are being parsed and
 * submitted, once later. Workers and the inbox reconnect; the pipeline continues where it was.
 * Then started again EMPTY (no AOF to load: a Redis without persistence, a flush): every queued job is gone, the
 * ledger still knows the work. Workers that merely reconnected left documents QUEUED with no job until someone
 * restarted them (recovery ran at start-up only).
 */
const DOWN_MS = Number(process.env.FAULT_REDIS_DOWN_MS ?? 2000);

describe('fault: Redis restarted mid-run', () => {
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

  it('continues after each restart: none lost, none twice, every file final with a result', async () => {
    await cluster.startWorker();
    await cluster.startWorker();
    const files = [appendFile('RDS-A', 400, { perOrder: 4 }), appendFile('RDS-B', 400, { perOrder: 4 }), appendFile('RDS-C', 200, { perOrder: 2 })];
    const ids = [(await cluster.receive('shipper', 'a.csv', files[0]!.csv)).fileId, (await cluster.receive('shipper', 'b.csv', files[1]!.csv)).fileId];

    await waitFor(
      'the first documents accepted',
      async () => ((await cluster.documentStates(ids)).ACCEPTED ?? 0) >= 100 || undefined,
      30_000,
      20,
    );
    const t0 = Date.now();
    const mark = (what: string) => console.log(`${((Date.now() - t0) / 1000).toFixed(1)} s: ${what}`);
    await redis.kill();
    await sleep(DOWN_MS);
    await redis.restart();
    mark('Redis restarted (1)');
    // A file received right after the restart (the inbox's own connection reconnects too).
    ids.push((await cluster.receive('shipper', 'c.csv', files[2]!.csv)).fileId);

    await waitFor('more documents accepted', async () => ((await cluster.documentStates(ids)).ACCEPTED ?? 0) >= 550 || undefined, 40_000, 20);
    mark('550 accepted');
    await redis.kill();
    await sleep(DOWN_MS / 2);
    await redis.restart();
    mark('Redis restarted (2)');

    const results = await cluster.waitForFinal(ids, 60_000);
    mark('all final');
    const counts = await Promise.all(files.map((f, i) => tally(cluster, ['RDS-A', 'RDS-B', 'RDS-C'][i]!, f.expected, [results[i]!])));
    const total = counts.reduce((a, c) => ({ expectedItems: a.expectedItems + c.expectedItems, lost: a.lost + c.lost, extra: a.extra + c.extra, appliedTwice: a.appliedTwice + c.appliedTwice }));
    console.log(`Redis SIGKILLed and restarted twice: ${JSON.stringify(total)}; states ${JSON.stringify(await cluster.documentStates(ids))}; sent more than once ${JSON.stringify(await cluster.retried(ids))}`);
    expect(total).toEqual({ expectedItems: 2000, lost: 0, extra: 0, appliedTwice: 0 });
    expect(results.map((r) => r.state)).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED']);
    expect(results.every((r) => r.resultJson!.documents.every((d) => d.outcome === 'ACCEPTED'))).toBe(true);
    expect(cluster.workers.every((w) => w.running)).toBe(true);
  }, 150_000);

  it('after a restart EMPTY, finishes every file without a restart of the workers: none lost, none twice', async () => {
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
