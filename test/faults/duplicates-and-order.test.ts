import { orderCsvMapping } from '../support/order-csv-mapping.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.ts';
import { APPEND_MAPPING, appendFile, CUSTOMER_YAML, PipelineCluster, sleep, tally, waitFor } from '../support/pipeline-processes.ts';

/**
 * Fault 5: the same file received twice (one after the other, and twice at the same moment): DUPLICATE, nothing
 * applied twice. Then files for the same orders while the first file's documents are being retried (the engine
 * answers 503 to them for a while): the engine ends as if the files had been applied in arrival order.
 */
const ORDERED_MAPPING = (strategy: 'OVERWRITE' | 'MERGE', pattern: string) => orderCsvMapping({ sorted: true, strategy, fileName: pattern });
const ORDERS = 20;
const HOLD_MS = Number(process.env.FAULT_HOLD_MS ?? 4000);

function orderedFile(rows: (order: string) => [lpn: string, qty: number][]): string {
  const lines = ['order,shipment,lpn,sku,qty,unit'];
  for (let o = 0; o < ORDERS; o++) {
    const order = `SEQ-${String(o).padStart(3, '0')}`;
    for (const [lpn, qty] of rows(order)) lines.push(`${order},${order}-S,${lpn},SKU-${lpn},${qty},CASE`);
  }
  return `${lines.join('\n')}\n`;
}

describe('fault: duplicate files, and files for the same order while the first is being retried', () => {
  let cluster: PipelineCluster;
  let proxy: FaultProxy;
  let holdFirstFile = true;
  let firstFileId = '';
  beforeAll(async () => {
    cluster = await PipelineCluster.create({
      customers: {
        shipper: { customer: CUSTOMER_YAML, mappings: { 'orders.yaml': APPEND_MAPPING } },
        ordered: {
          customer: CUSTOMER_YAML,
          mappings: { 'overwrite.yaml': ORDERED_MAPPING('OVERWRITE', '*.overwrite.csv'), 'merge.yaml': ORDERED_MAPPING('MERGE', '*.merge.csv') },
        },
      },
      workerEnv: { SUBMIT_CONCURRENCY: '8', ENGINE_TIMEOUT_MS: '1000', SUBMIT_MAX_ATTEMPTS: '100', SUBMIT_RETRY_BASE_MS: '50', SUBMIT_RETRY_MAX_MS: '300' },
    });
    await cluster.startEngine();
    // 503 to the first ordered file's documents (Idempotency-Key = file id + index) while held.
    proxy = await startFaultProxy(cluster.engineUrl, (request) => {
      if (request.documentIndex === undefined || !holdFirstFile) return 'pass';
      return String(request.headers['idempotency-key'] ?? '').startsWith(firstFileId) && firstFileId !== '' ? { status: 503 } : 'pass';
    });
    await cluster.startWorker({ engineUrl: proxy.url });
  }, 90_000);
  afterAll(async () => {
    await proxy?.close();
    await cluster?.close();
  }, 60_000);

  it('answers a file received again with DUPLICATE and applies nothing twice (also two copies at once)', async () => {
    const file = appendFile('DUP', 50, { perOrder: 2, items: 2 });
    const original = await cluster.receive('shipper', 'dup.csv', file.csv);
    const [first] = await cluster.waitForFinal([original.fileId], 30_000);
    const again = await cluster.receive('shipper', 'dup-again.csv', file.csv);
    // Two copies of new bytes at the same moment (a sender retrying an upload): both are answered QUEUED (neither
    // outcome is known yet); one is processed, the other DUPLICATE once the first has applied its documents.
    const twin = appendFile('TWIN', 20, { perOrder: 2, items: 2 });
    const twins = await Promise.all([cluster.receive('shipper', 'twin-1.csv', twin.csv), cluster.receive('shipper', 'twin-2.csv', twin.csv)]);
    const results = await cluster.waitForFinal([again.fileId, ...twins.map((t) => t.fileId)], 30_000);

    expect(again.state).toBe('DUPLICATE');
    expect(twins.map((t) => t.state)).toEqual(['QUEUED', 'QUEUED']);
    expect(results.map((r) => r.state).sort()).toEqual(['COMPLETED', 'DUPLICATE', 'DUPLICATE']);
    expect(results.every((r) => r.resultJson !== undefined)).toBe(true);
    const dup = await tally(cluster, 'DUP', file.expected, [first!, results[0]!]);
    const twinCount = await tally(cluster, 'TWIN', twin.expected, results.slice(1));
    console.log(`duplicates: DUP ${JSON.stringify(dup)}, TWIN ${JSON.stringify(twinCount)}`);
    expect(dup).toEqual({ expectedItems: 100, lost: 0, extra: 0, appliedTwice: 0 });
    expect(twinCount).toEqual({ expectedItems: 40, lost: 0, extra: 0, appliedTwice: 0 });
    expect(await cluster.documentStates([again.fileId])).toEqual({});
  }, 60_000);

  it('applies files for the same orders in arrival order while the first is retried (OVERWRITE A,B; OVERWRITE C; MERGE C)', async () => {
    const first = await cluster.receive('ordered', 'one.overwrite.csv', orderedFile(() => [['A', 1], ['B', 2]]));
    firstFileId = first.fileId;
    // The first file's documents are being retried (503) when the next files arrive.
    await waitFor('the first file retried', () => ([...proxy.keys].some(([key, n]) => key.startsWith(firstFileId) && n >= 2) ? true : undefined), 20_000, 20);
    const second = await cluster.receive('ordered', 'two.overwrite.csv', orderedFile(() => [['C', 3]]));
    const third = await cluster.receive('ordered', 'three.merge.csv', orderedFile(() => [['C', 7]]));
    await sleep(HOLD_MS);

    // Still held: nothing of the later files reached the engine.
    const held = await cluster.engineItems('SEQ-');
    expect([...held.values()].some((items) => items.has('C'))).toBe(false);
    const waiting = await cluster.documentStates([second.fileId, third.fileId]);
    expect(waiting).toEqual({ WAITING: 2 * ORDERS });

    holdFirstFile = false;
    const results = await cluster.waitForFinal([first.fileId, second.fileId, third.fileId], 40_000);
    expect(results.map((r) => r.state)).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED']);

    const items = await cluster.engineItems('SEQ-');
    let wrong = 0;
    for (let o = 0; o < ORDERS; o++) {
      const order = items.get(`SEQ-${String(o).padStart(3, '0')}`);
      const ok = order?.size === 1 && order.get('C')?.rows === 1 && order.get('C')?.quantity === 7;
      if (!ok) wrong++;
    }
    const retried = await cluster.retried([first.fileId]);
    console.log(`ordering: first file held ${HOLD_MS} ms (${retried.maxAttempts} attempts at most), ${wrong}/${ORDERS} orders not equal to in-order application`);
    expect(wrong).toBe(0);
    expect(retried.maxAttempts).toBeGreaterThan(1);
    expect(await cluster.engineOrderCount('SEQ-')).toEqual({ orders: ORDERS, distinctNumbers: ORDERS });
  }, 60_000);
});
