import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPEND_MAPPING, appendFile, CUSTOMER_YAML, PipelineCluster } from '../support/pipeline-processes.ts';

/**
 * `intake worker` stopped the way a service manager stops it (SIGTERM) after it has done work: it exits on its
 * own, with 0. Each BullMQ worker was given an ioredis connection that nothing closed, so the process logged
 * "stopping" and then lived for ever (the shutdown watchdog was already cleared).
 */
describe('a worker process asked to stop', () => {
  let cluster: PipelineCluster;
  beforeAll(async () => {
    cluster = await PipelineCluster.create({ customers: { shipper: { customer: CUSTOMER_YAML, mappings: { 'orders.yaml': APPEND_MAPPING } } } });
    await cluster.startEngine();
  }, 90_000);
  afterAll(async () => cluster?.close(), 60_000);

  it('exits by itself with 0 after SIGTERM, not killed', async () => {
    const worker = await cluster.startWorker();
    const file = appendFile('TERM', 4, { perOrder: 2, items: 1 });
    const receipt = await cluster.receive('shipper', 'term.csv', file.csv);
    await cluster.waitForFinal([receipt.fileId], 60_000);
    // A SIGKILL comes only if it is still running 40 s later (the product's own bound is 15 s).
    await worker.stop(40_000);
    expect({ code: worker.child.exitCode, signal: worker.child.signalCode }, worker.tail()).toEqual({ code: 0, signal: null });
    // Closed, not cut short: nothing was left open for the linger to end.
    expect(worker.tail(50)).not.toContain('open handles kept the process alive');
  }, 150_000);
});
