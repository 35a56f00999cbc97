import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPEND_MAPPING, appendFile, CUSTOMER_YAML, PipelineCluster, sleep, tally, waitFor } from '../support/pipeline-processes.ts';

/**
 * Fault 3: the engine process gone (SIGKILL) for an outage (a minute in production terms; FAULT_OUTAGE_MS,
 * 10 s by default here), then started again on the same port. Documents wait and retry (connection refused,
 * then a fresh engine); with SUBMIT_MAX_ATTEMPTS and the backoff covering the outage, none is FAILED.
 */
const OUTAGE_MS = Number(process.env.FAULT_OUTAGE_MS ?? 10_000);
const DOCUMENTS = 400;

describe('fault: the engine down for a while, then back', () => {
  let cluster: PipelineCluster;
  beforeAll(async () => {
    cluster = await PipelineCluster.create({
      customers: { shipper: { customer: CUSTOMER_YAML, mappings: { 'orders.yaml': APPEND_MAPPING } } },
      // Backoff capped at 1 s: 60 attempts cover an outage of well over 30 s.
      workerEnv: { SUBMIT_CONCURRENCY: '4', ENGINE_TIMEOUT_MS: '1000', SUBMIT_MAX_ATTEMPTS: String(Math.max(60, Math.ceil(OUTAGE_MS / 250))), SUBMIT_RETRY_BASE_MS: '100', SUBMIT_RETRY_MAX_MS: '1000' },
    });
    await cluster.startEngine();
  }, 90_000);
  afterAll(async () => cluster?.close(), 60_000);

  it('waits out the outage: every document applied once, none FAILED', async () => {
    await cluster.startWorker();
    const file = appendFile('DOWN', DOCUMENTS, { perOrder: 4, items: 2 });
    const receipt = await cluster.receive('shipper', 'down.csv', file.csv);
    const acceptedBefore = await waitFor(
      'some documents accepted',
      async () => {
        const n = (await cluster.documentStates([receipt.fileId])).ACCEPTED ?? 0;
        return n >= 50 ? n : undefined;
      },
      30_000,
      20,
    );
    await cluster.engine!.kill();
    const downAt = Date.now();
    await sleep(OUTAGE_MS / 2);
    const acceptedDuring = (await cluster.documentStates([receipt.fileId])).ACCEPTED ?? 0;
    await sleep(Math.max(0, OUTAGE_MS - (Date.now() - downAt)));
    await cluster.startEngine();
    const outageMs = Date.now() - downAt;

    const [result] = await cluster.waitForFinal([receipt.fileId], 40_000);
    const count = await tally(cluster, 'DOWN', file.expected, [result!]);
    const retried = await cluster.retried([receipt.fileId]);
    console.log(
      `engine down ${outageMs} ms after ${acceptedBefore} accepted (${acceptedDuring} half-way through the outage): ${JSON.stringify(count)}; ` +
        `sent more than once ${JSON.stringify(retried)}; states ${JSON.stringify(await cluster.documentStates([receipt.fileId]))}`,
    );
    expect(count).toEqual({ expectedItems: DOCUMENTS * 2, lost: 0, extra: 0, appliedTwice: 0 });
    expect(result!.state).toBe('COMPLETED');
    expect(result!.resultJson!.documents.filter((d) => d.outcome !== 'ACCEPTED')).toEqual([]);
    expect(retried.documents).toBeGreaterThan(0);
    expect(acceptedDuring).toBeLessThan(DOCUMENTS);
  }, 90_000);
});
