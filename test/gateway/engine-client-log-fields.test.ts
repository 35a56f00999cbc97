import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.ts';
import { orderCsvMapping } from '../support/order-csv-mapping.ts';
import { startProduct, type RunningProduct } from '../support/running-product.ts';
import { waitFor } from '../support/wait-for.ts';

/**
 * `npm start` logs the gateway as `part: "gateway"`; the engine client's lines carried `"part":"gateway",
 * "part":"engine-client"`, one key twice: JSON.parse keeps the last, log shippers disagree on which one wins.
 */
describe("the engine client's log lines in the gateway", () => {
  const lines: string[] = [];
  let product: RunningProduct;
  let mappingsDir: string;
  beforeAll(async () => {
    mappingsDir = mkdtempSync(join(tmpdir(), 'intake-log-fields-'));
    mkdirSync(join(mappingsDir, 'logco'));
    writeFileSync(join(mappingsDir, 'logco', 'customer.yaml'), 'business: kargo\nfacility: sf\ndirection: INBOUND\n');
    writeFileSync(join(mappingsDir, 'logco', 'orders.yaml'), orderCsvMapping());
    const destination = new Writable({ write: (chunk, _encoding, done) => (lines.push(...String(chunk).trim().split('\n')), done()) });
    // As `intake start` builds the gateway's logger.
    product = await startProduct({ mappingsDir, logger: createLogger({ level: 'info', destination }).child({ part: 'gateway' }) });
  }, 120_000);
  afterAll(async () => {
    await product?.stop();
    rmSync(mappingsDir, { recursive: true, force: true });
  });

  it('name their part once, and say they are the engine client', async () => {
    await product.gateway.inbox.receive({ customer: 'logco', channel: 'cli', originalName: 'orders.csv', content: Buffer.from('order,shipment,lpn,sku,qty,unit\nLOG-1,S1,L1,SKU1,1,CASE\n') });
    const line = await waitFor('the engine client to log', async () => lines.find((l) => l.includes('"msg":"engine token obtained"')), 30_000, 50);
    expect(line.match(/"part":/g), line).toHaveLength(1);
    expect(JSON.parse(line)).toMatchObject({ part: 'gateway', component: 'engine-client' });
  }, 60_000);
});
