import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPEND_MAPPING, appendFile, CUSTOMER_YAML, PipelineCluster, tally, waitFor } from '../support/pipeline-processes.ts';

/**
 * Fault 1: a worker process SIGKILLed in the middle of a 1,000-document file, then another one started. The
 * killed process's jobs stall (their locks run out after BullMQ's lockDuration, 30 s) and run again in the new
 * one; a document the engine applied just before the kill is sent again with the same Idempotency-Key.
 */
describe('fault: a worker process SIGKILLed mid-file', () => {
  let cluster: PipelineCluster;
  beforeAll(async () => {
    cluster = await PipelineCluster.create({
      customers: { shipper: { customer: CUSTOMER_YAML, mappings: { 'orders.yaml': APPEND_MAPPING } } },
      workerEnv: { SUBMIT_CONCURRENCY: '4' },
    });
    await cluster.startEngine();
  }, 90_000);
  afterAll(async () => cluster?.close(), 60_000);

  it('loses no document and applies none twice; the file ends COMPLETED with a result', async () => {
    const first = await cluster.startWorker();
    const file = appendFile('KILL', 1000, { perOrder: 4, items: 2 });
    const receipt = await cluster.receive('shipper', 'kill.csv', file.csv);

    // Mid-file: some documents applied, most not.
    const acceptedAtKill = await waitFor(
      'a quarter of the documents accepted',
      async () => {
        const n = (await cluster.documentStates([receipt.fileId])).ACCEPTED ?? 0;
        return n >= 250 ? n : undefined;
      },
      60_000,
      20,
    );
    await first.kill();
    expect(acceptedAtKill).toBeLessThan(1000);

    await cluster.startWorker();
    const [result] = await cluster.waitForFinal([receipt.fileId], 75_000);

    const count = await tally(cluster, 'KILL', file.expected, [result!]);
    console.log(`worker SIGKILLed after ${acceptedAtKill}/1000 accepted: ${JSON.stringify(count)}; states ${JSON.stringify(await cluster.documentStates([receipt.fileId]))}; sent more than once ${JSON.stringify(await cluster.retried([receipt.fileId]))}`);
    expect(count.lost).toBe(0);
    expect(count.extra).toBe(0);
    expect(count.appliedTwice).toBe(0);
    expect(count.expectedItems).toBe(2000);
    expect(result!.state).toBe('COMPLETED');
    expect(result!.resultJson!.documents).toHaveLength(1000);
    expect(result!.resultJson!.documents.every((d) => d.outcome === 'ACCEPTED')).toBe(true);
    expect(await cluster.engineOrderCount('KILL')).toEqual({ orders: 250, distinctNumbers: 250 });
  }, 170_000);
});
