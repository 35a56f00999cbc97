import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { gatewayPaths } from '../../src/gateway/start-gateway.ts';
import { orderCsvMapping } from '../support/order-csv-mapping.ts';
import { startProduct, type RunningProduct } from '../support/running-product.ts';
import { waitFor } from '../support/wait-for.ts';

let product: RunningProduct;
let mappingsDir: string;
beforeAll(async () => {
  mappingsDir = mkdtempSync(join(tmpdir(), 'intake-mappings-'));
  mkdirSync(join(mappingsDir, 'shipper'));
  writeFileSync(join(mappingsDir, 'shipper', 'customer.yaml'), 'business: kargo\nfacility: sf\ndirection: OUTBOUND\n');
  writeFileSync(join(mappingsDir, 'shipper', 'orders.yaml'), orderCsvMapping());
  product = await startProduct({ mappingsDir, env: { SUBMIT_MAX_ATTEMPTS: '2', SUBMIT_RETRY_BASE_MS: '10', SUBMIT_RETRY_MAX_MS: '20', ENGINE_TIMEOUT_MS: '1000' } });
}, 120_000);
afterAll(async () => {
  await product?.stop();
  rmSync(mappingsDir, { recursive: true, force: true });
});

it("a document the engine never took is FAILED with the reason in the customer's words, never the engine's address", async () => {
  const engineUrl = product.engine.url;
  await product.engine.close();
  const { dropDir } = gatewayPaths(product.env);
  mkdirSync(join(dropDir, 'shipper', 'inbound'), { recursive: true });
  writeFileSync(join(dropDir, 'shipper', 'inbound', 'away.csv'), 'order,shipment,lpn,sku,qty,unit\nAWAY-1,AWAY-1,L1,S1,1,CASE\n');
  const resultPath = join(dropDir, 'shipper', 'outbound', 'away.csv.result.json');
  await waitFor(resultPath, () => (existsSync(resultPath) ? true : undefined), 90_000);

  const result = JSON.parse(readFileSync(resultPath, 'utf8')) as { file: { state: string }; documents: { outcome: string; error: { code: string; message: string } }[] };
  expect(result.file.state).toBe('FAILED');
  const { error } = result.documents[0]!;
  expect(error).toMatchObject({ code: 'ENGINE_UNAVAILABLE', message: expect.stringMatching(/^the platform could not be reached on 2 attempts; nothing of this document was applied/) });
  const { host, port } = new URL(engineUrl);
  for (const secret of [host, port, 'oauth', 'token', 'ECONNREFUSED']) expect(error.message).not.toContain(secret);
}, 120_000);
