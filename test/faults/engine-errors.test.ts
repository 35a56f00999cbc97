import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFaultProxy, type FaultAction, type FaultProxy } from '../support/fault-proxy.ts';
import { APPEND_MAPPING, appendFile, CUSTOMER_YAML, PipelineCluster, tally } from '../support/pipeline-processes.ts';

/**
 * Fault 2: the engine answering 500, 502 and 429 (with Retry-After), and hanging past the client timeout, for
 * the first FAULTY document requests; half of the hangs and errors come after the engine applied the document
 * (the gateway cannot know it did: only the Idempotency-Key keeps the retry from applying it twice).
 */
const FAULTY = Number(process.env.FAULT_ENGINE_ERRORS ?? 120);
const DOCUMENTS = 300;

function injected(index: number): FaultAction {
  switch (index % 6) {
    case 0:
      return { status: 500 };
    case 1:
      return { status: 429, headers: { 'retry-after': '1' } };
    case 2:
      return 'hang';
    case 3:
      return 'forwardThenHang';
    case 4:
      return { forwardThen: 500 };
    default:
      return { forwardThen: 503, headers: { 'retry-after': '1' } };
  }
}

describe('fault: the engine answering 500/429 and hanging past the client timeout', () => {
  let cluster: PipelineCluster;
  let proxy: FaultProxy;
  beforeAll(async () => {
    cluster = await PipelineCluster.create({
      customers: { shipper: { customer: CUSTOMER_YAML, mappings: { 'orders.yaml': APPEND_MAPPING } } },
      workerEnv: { SUBMIT_CONCURRENCY: '8', ENGINE_TIMEOUT_MS: '1000', SUBMIT_MAX_ATTEMPTS: '30', SUBMIT_RETRY_BASE_MS: '50', SUBMIT_RETRY_MAX_MS: '500' },
    });
    await cluster.startEngine();
    proxy = await startFaultProxy(cluster.engineUrl, (request) =>
      request.documentIndex !== undefined && request.documentIndex < FAULTY ? injected(request.documentIndex) : 'pass',
    );
  }, 90_000);
  afterAll(async () => {
    await proxy?.close();
    await cluster?.close();
  }, 60_000);

  it('retries every document to its one application: none lost, none twice, none FAILED', async () => {
    await cluster.startWorker({ engineUrl: proxy.url });
    const file = appendFile('ERR', DOCUMENTS, { perOrder: 3, items: 2 });
    const receipt = await cluster.receive('shipper', 'errors.csv', file.csv);
    const [result] = await cluster.waitForFinal([receipt.fileId], 50_000);

    const count = await tally(cluster, 'ERR', file.expected, [result!]);
    const retried = await cluster.retried([receipt.fileId]);
    console.log(`engine faults ${JSON.stringify(proxy.counts)}: ${JSON.stringify(count)}; sent more than once ${JSON.stringify(retried)}`);
    expect(proxy.counts['forwardThenHang']).toBeGreaterThan(0);
    expect(proxy.counts['status:429']).toBeGreaterThan(0);
    expect(count).toEqual({ expectedItems: DOCUMENTS * 2, lost: 0, extra: 0, appliedTwice: 0 });
    expect(result!.state).toBe('COMPLETED');
    expect(result!.resultJson!.documents.filter((d) => d.outcome !== 'ACCEPTED')).toEqual([]);
    expect(retried.documents).toBeGreaterThan(0);
  }, 80_000);
});
