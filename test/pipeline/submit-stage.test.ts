import { orderCsvMapping } from '../support/order-csv-mapping.ts';
import { waitFor } from '../support/wait-for.ts';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.ts';
import { gatewayPaths } from '../../src/gateway/start-gateway.ts';
import { startProduct, type RunningProduct } from '../support/running-product.ts';

describe('the submit stage records what the engine said', () => {
  let product: RunningProduct;
  let mappingsDir: string;
  const logLines: string[] = [];
  beforeAll(async () => {
    mappingsDir = mkdtempSync(join(tmpdir(), 'intake-mappings-'));
    mkdirSync(join(mappingsDir, 'shipper'));
    writeFileSync(join(mappingsDir, 'shipper', 'customer.yaml'), 'business: kargo\nfacility: sf\ndirection: OUTBOUND\n');
    writeFileSync(join(mappingsDir, 'shipper', 'orders.yaml'), orderCsvMapping());
    const destination = new Writable({ write: (chunk, _encoding, done) => (logLines.push(...String(chunk).trim().split('\n')), done()) });
    product = await startProduct({ mappingsDir, logger: createLogger({ level: 'info', destination }) });
  }, 120_000);
  afterAll(async () => {
    await product?.stop();
    rmSync(mappingsDir, { recursive: true, force: true });
  });

  async function drop(name: string, csv: string): Promise<{ file: { state: string }; documents: { outcome: string; created: { type: string; id: string }[] }[] }> {
    const { dropDir } = gatewayPaths(product.env);
    mkdirSync(join(dropDir, 'shipper', 'inbound'), { recursive: true });
    writeFileSync(join(dropDir, 'shipper', 'inbound', name), csv);
    const result = join(dropDir, 'shipper', 'outbound', `${name}.result.json`);
    await waitFor(result, () => (existsSync(result) ? true : undefined), 90_000);
    return JSON.parse(readFileSync(result, 'utf8'));
  }

  it("keeps each document's ids in the ledger, not its shipment's every order: 200 orders on one load stay small", async () => {
    // Every response carries the whole shipment view (all its orders and items so far), so keeping it per
    // document grows with the square of the load: about 14 MB for these 200 orders, gigabytes for an ASN of 2,000.
    const orders = 200;
    const lines = ['order,shipment,lpn,sku,qty,unit'];
    for (let i = 0; i < orders; i++) lines.push(`LOAD-O${i},LOAD-1,L${i},SKU${i},1,CASE`);
    const result = await drop('load.csv', `${lines.join('\n')}\n`);

    expect(result.file.state).toBe('COMPLETED');
    expect(result.documents).toHaveLength(orders);
    expect(result.documents.every((d) => d.outcome === 'ACCEPTED' && d.created.some((ref) => ref.type === 'ORDER'))).toBe(true);
    const { rows } = await product.db.query<{ bytes: string; largest: number; shipment: unknown }>(
      `SELECT sum(length(response::text))::text AS bytes, max(length(response::text))::int AS largest,
              (array_agg(response->'shipment' ORDER BY idx DESC))[1] AS shipment
         FROM gateway.documents WHERE order_number LIKE 'LOAD-O%'`,
    );
    expect(rows[0]!.largest).toBeLessThan(2_000);
    expect(Number(rows[0]!.bytes)).toBeLessThan(orders * 2_000);
    expect(rows[0]!.shipment).toMatchObject({ shipmentNumber: 'LOAD-1', status: 'SCHEDULED' });
  }, 120_000);

  it('every line the submit stage logs names the file and its customer, so one customer\'s story can be found', async () => {
    await drop('one.csv', 'order,shipment,lpn,sku,qty,unit\nLOG-1,LOG-1,L1,S1,1,CASE\n');
    const submitLines = logLines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.msg === 'document accepted');
    expect(submitLines.length).toBeGreaterThan(0);
    expect(submitLines.every((line) => line.customer === 'shipper' && typeof line.fileId === 'string')).toBe(true);
  }, 120_000);
});
